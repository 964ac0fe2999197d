package infra

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/dotnet"
)

// Runtime is the .NET an image chain installs (the prerequisites stage: Hosting Bundle
// and SDK of Channel) and the framework the app stage publishes.
type Runtime struct {
	Channel   dotnet.Channel
	Framework string // dotnet publish -f
	// Detected is what the app's project said; nil when webapi:dotnetChannel chose.
	Detected *dotnet.Detection
	Commit   string // the commit Detected was read at
	// Warning says the channel is past its end of support; empty while supported.
	Warning string
}

// Windows Server versions the prerequisites stage can start from (Amazon's
// Windows_Server-<version>-English-Full-Base-* images).
var windowsVersions = []string{"2022", "2025"}

var (
	// Secrets Manager secret names: 1-512 of letters, digits and /_+=.@- (Secrets Manager
	// API reference, CreateSecret Name).
	secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretArnPattern  = regexp.MustCompile(`^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
)

// validateRuntime checks the keys of the app's runtime and source: the Windows base, a
// channel override the catalog has, and a token secret that can only be an https
// repository's.
func (c *Config) validateRuntime(p *problems) {
	if !slices.Contains(windowsVersions, c.WindowsVersion) {
		p.fail("windowsVersion", c.WindowsVersion, "want 2022 or 2025 (the Windows Server base image)")
	}
	if c.DotnetChannel != "" {
		catalog, err := dotnet.Pinned()
		if err == nil {
			_, err = catalog.Lookup(c.DotnetChannel)
		}
		if err != nil {
			p.fail("dotnetChannel", c.DotnetChannel, err.Error())
		}
	}
	if s := c.AppRepositoryTokenSecret; s != "" {
		switch {
		case strings.HasPrefix(s, "arn:") && !secretArnPattern.MatchString(s):
			p.fail("appRepositoryTokenSecret", s, "want a Secrets Manager secret ARN arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>, or the secret's name")
		case !strings.HasPrefix(s, "arn:") && !secretNamePattern.MatchString(s):
			p.fail("appRepositoryTokenSecret", s, "want a Secrets Manager secret name (letters, digits, /_+=.@-) or ARN")
		case c.AppRepository != "" && !strings.HasPrefix(c.AppRepository, "https://"):
			p.fail("appRepositoryTokenSecret", s, "the token is sent as an HTTP header, so webapi:appRepository must be an https:// URL (an ssh URL uses keys, not a token)")
		}
	}
}

// runtimeDeps is what resolving the runtime needs from outside: the clock, the
// repository's ref → commit (git ls-remote) and its files at a commit. Tests replace it.
type runtimeDeps struct {
	now     func() time.Time
	resolve func(ctx context.Context, repo, ref string) (string, error)
	fetch   func(ctx context.Context, cacheRoot, repo, commit string) (dotnet.Tree, error)
}

var liveRuntimeDeps = runtimeDeps{
	now:     time.Now,
	resolve: bake.ResolveCommit,
	fetch: func(ctx context.Context, cacheRoot, repo, commit string) (dotnet.Tree, error) {
		return dotnet.FetchCommit(ctx, cacheRoot, repo, commit)
	},
}

// ResolveRuntime sets cfg.Runtime before anything is registered, on the machine that
// runs the program, so a preview already shows the channel and whether it is supported:
// the prerequisites image does not know the app, yet its Hosting Bundle is the app's
// channel and must be part of its trigger before anything bakes. With
// webapi:dotnetChannel nothing is read from the app (no git access); otherwise appRef is
// resolved to a commit (git ls-remote, the machine's own git credentials) and the app's
// project and Directory.Build.props are read at that commit. A channel past its end of
// support is a warning in the preview, or an error when webapi:allowUnsupportedRuntime is
// false. Nothing is resolved when no image is baked (webapi:amiId).
func ResolveRuntime(ctx *pulumi.Context, cfg *Config, repoRoot string) error {
	rt, err := resolveRuntime(ctx.Context(), cfg, repoRoot, liveRuntimeDeps)
	if err != nil || rt == nil {
		return err
	}
	if rt.Warning != "" {
		if err := ctx.Log.Warn(rt.Warning, nil); err != nil {
			return fmt.Errorf("logging the runtime warning: %w", err)
		}
	}
	if err := ctx.Log.Info(rt.Summary(), nil); err != nil {
		return fmt.Errorf("logging the runtime: %w", err)
	}
	cfg.Runtime = rt
	return nil
}

func resolveRuntime(ctx context.Context, cfg *Config, repoRoot string, deps runtimeDeps) (*Runtime, error) {
	if cfg.AmiID != "" {
		return nil, nil
	}
	catalog, err := dotnet.Pinned()
	if err != nil {
		return nil, err
	}
	rt := &Runtime{}
	var frameworks []string
	if cfg.DotnetChannel == "" {
		if rt.Commit, rt.Detected, err = detectFrameworks(ctx, cfg, repoRoot, deps); err != nil {
			return nil, err
		}
		frameworks = rt.Detected.Frameworks
	}
	choice, err := dotnet.Choose(catalog, frameworks, cfg.DotnetChannel)
	if err != nil {
		return nil, fmt.Errorf("webapi:dotnetChannel: %w", err)
	}
	rt.Channel, rt.Framework = choice.Channel, choice.Framework
	rt.Warning = choice.Channel.SupportWarning(deps.now())
	if rt.Warning != "" && !cfg.AllowUnsupportedRuntime {
		return nil, fmt.Errorf("webapi:allowUnsupportedRuntime is false, and %s", rt.Warning)
	}
	return rt, nil
}

// detectFrameworks reads the app's target frameworks at the commit appRef names.
func detectFrameworks(ctx context.Context, cfg *Config, repoRoot string, deps runtimeDeps) (string, *dotnet.Detection, error) {
	where := fmt.Sprintf("%s at %s", cfg.AppRepository, cfg.AppRef)
	fail := func(err error) error {
		return fmt.Errorf("reading the app's .NET target framework (webapi:dotnetChannel is not set) from %s: %w", where, err)
	}
	commit, err := deps.resolve(ctx, cfg.AppRepository, cfg.AppRef)
	if err != nil {
		return "", nil, fail(err)
	}
	where += " (commit " + commit + ")"
	tree, err := deps.fetch(ctx, filepath.Join(repoRoot, ".bake", "git"), cfg.AppRepository, commit)
	if err != nil {
		return "", nil, fail(err)
	}
	d, err := dotnet.Detect(tree, cfg.AppProject)
	if err != nil {
		return "", nil, fail(err)
	}
	return commit, &d, nil
}

// Summary is the preview's line about the runtime.
func (rt *Runtime) Summary() string {
	from := "webapi:dotnetChannel"
	if rt.Detected != nil {
		from = fmt.Sprintf("%s at %.12s, which targets %s", rt.Detected.Project, rt.Commit, strings.Join(rt.Detected.Frameworks, ", "))
	}
	return fmt.Sprintf("image: .NET %s (Hosting Bundle %s, SDK %s, end of support %s), publishing %s; from %s",
		rt.Channel.Channel, rt.Channel.LatestVersion, rt.Channel.SDK.Version, rt.Channel.EndOfSupport, rt.Framework, from)
}

// prerequisitesVars are the Packer variables the runtime gives the prerequisites stage:
// part of its trigger, so a new channel or a refreshed patch re-bakes it (and, through
// its AMI, the app), and an unchanged one bakes nothing.
func (rt *Runtime) prerequisitesVars() map[string]string {
	return map[string]string{
		"dotnet_channel":        rt.Channel.Channel,
		"dotnet_version":        rt.Channel.LatestVersion,
		"dotnet_end_of_support": rt.Channel.EndOfSupport,
		"hosting_bundle_url":    rt.Channel.HostingBundle.URL,
		"hosting_bundle_sha512": rt.Channel.HostingBundle.SHA512,
		"dotnet_sdk_version":    rt.Channel.SDK.Version,
		"dotnet_sdk_url":        rt.Channel.SDK.URL,
		"dotnet_sdk_sha512":     rt.Channel.SDK.SHA512,
	}
}
