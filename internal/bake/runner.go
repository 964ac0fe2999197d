package bake

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const logTailLines = 40

// Build runs Packer (init, then build) for opts.Stage and returns the AMI id the build
// registered in opts.Region, read from Packer's manifest. Packer's own output goes to
// WorkDir/.bake/logs/<stack>-<stage>-<time>.log and never to opts.Log: it is long, and the
// command resource would store it in state. Log gets progress and, on failure, the tail.
func Build(ctx context.Context, opts Options) (string, error) {
	if err := opts.Validate(); err != nil {
		return "", err
	}
	opts = opts.withDefaults()
	packer, env, err := packerEnv(ctx, opts)
	if err != nil {
		return "", err
	}
	run, err := startRun(opts)
	if err != nil {
		return "", err
	}
	defer run.log.Close()
	env = append(env, "PKR_VAR_manifest_path="+run.manifest, "CHECKPOINT_DISABLE=1")

	start := time.Now()
	fmt.Fprintf(opts.Log, "bake %s: packer build %s (log: %s)\n", opts.Stage.Name, opts.Stage.Template, run.logPath)
	if w := SupportWarning(opts.Getenv, opts.Now()); w != "" {
		// In the update's output and at the top of the stage's own log.
		fmt.Fprintf(opts.Log, "bake %s: %s\n", opts.Stage.Name, w)
		fmt.Fprintf(run.log, "bake %s: %s\n", opts.Stage.Name, w)
	}
	for _, argv := range [][]string{{"init", opts.Stage.Template}, {"build", "-color=false", "-timestamp-ui", opts.Stage.Template}} {
		cmd := exec.CommandContext(ctx, packer, argv...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = opts.WorkDir, env, run.log, run.log
		if err := cmd.Run(); err != nil {
			printTail(opts.Log, run.logPath)
			return "", fmt.Errorf("packer %s for stage %s failed after %s: %w (full log: %s)", argv[0], opts.Stage.Name, time.Since(start).Round(time.Second), err, run.logPath)
		}
	}
	data, err := os.ReadFile(run.manifest)
	if err != nil {
		return "", fmt.Errorf("stage %s: packer wrote no manifest at %s: %w", opts.Stage.Name, run.manifest, err)
	}
	ami, err := AmiFromManifest(data, ManifestWant{Region: opts.Region, Role: opts.Stage.Name, Stack: opts.Stack, TemplateHash: opts.TemplateHash})
	if err != nil {
		return "", fmt.Errorf("stage %s: %w", opts.Stage.Name, err)
	}
	fmt.Fprintf(opts.Log, "bake %s: %s in %s\n", opts.Stage.Name, ami, time.Since(start).Round(time.Second))
	return ami, nil
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.WorkDir = cmp.Or(o.WorkDir, ".")
	o.Project = cmp.Or(o.Project, DefaultProject)
	return o
}

// packerEnv finds the packer binary and the environment it runs with: this process's,
// plus the plugin folder of the pinned build and the app stage's resolved commit.
func packerEnv(ctx context.Context, opts Options) (packer string, env []string, err error) {
	packer, extra, err := packerBinary(opts)
	if err != nil {
		return "", nil, err
	}
	if opts.Stage == StageApp && opts.Getenv("PKR_VAR_app_commit") == "" {
		repo, ref := opts.Getenv("PKR_VAR_app_repository"), opts.Getenv("PKR_VAR_app_ref")
		if repo == "" || ref == "" {
			return "", nil, inputErrorf("PKR_VAR_app_repository and PKR_VAR_app_ref are required for the app stage")
		}
		commit, err := ResolveCommit(ctx, repo, ref)
		if err != nil {
			return "", nil, err
		}
		extra = append(extra, "PKR_VAR_app_commit="+commit)
		fmt.Fprintf(opts.Log, "bake app: %s at %s is commit %s\n", repo, ref, commit)
	}
	return packer, append(os.Environ(), extra...), nil
}

// packerBinary prefers WEBAPI_PACKER, then the project's pinned build, then PATH.
func packerBinary(opts Options) (bin string, env []string, err error) {
	if p := opts.Getenv(EnvPacker); p != "" {
		return p, nil, nil
	}
	tools, err := filepath.Abs(filepath.Join(opts.WorkDir, ".tools"))
	if err != nil {
		return "", nil, fmt.Errorf("finding the pinned packer: %w", err)
	}
	if _, err := os.Stat(filepath.Join(tools, "bin", "packer")); err == nil {
		if opts.Getenv("PACKER_PLUGIN_PATH") == "" {
			env = append(env, "PACKER_PLUGIN_PATH="+filepath.Join(tools, "packer-plugins"))
		}
		return filepath.Join(tools, "bin", "packer"), env, nil
	}
	p, err := exec.LookPath("packer")
	if err != nil {
		return "", nil, inputErrorf("packer is not on PATH: run scripts/install-tools.sh packer, or install Packer 1.11 and run `packer init images`")
	}
	return p, nil, nil
}

// packerRun is where one run writes: its own log file and a manifest no earlier run wrote.
type packerRun struct {
	manifest string // absolute: the same file to Packer, running in WorkDir, and to us
	logPath  string
	log      *os.File
}

func startRun(opts Options) (packerRun, error) {
	dir := filepath.Join(opts.WorkDir, ".bake")
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return packerRun{}, fmt.Errorf("stage %s: %w", opts.Stage.Name, err)
	}
	manifest, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("%s-%s.manifest.json", opts.Stack, opts.Stage.Name)))
	if err != nil {
		return packerRun{}, fmt.Errorf("stage %s: manifest path: %w", opts.Stage.Name, err)
	}
	// A fresh manifest per run: nothing of an earlier run can be mistaken for this one.
	if err := os.Remove(manifest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return packerRun{}, fmt.Errorf("stage %s: removing the last run's manifest: %w", opts.Stage.Name, err)
	}
	logPath := filepath.Join(dir, "logs", fmt.Sprintf("%s-%s-%s.log", opts.Stack, opts.Stage.Name, time.Now().UTC().Format("20060102T150405Z")))
	log, err := os.Create(logPath)
	if err != nil {
		return packerRun{}, fmt.Errorf("stage %s: %w", opts.Stage.Name, err)
	}
	return packerRun{manifest: manifest, logPath: logPath, log: log}, nil
}

func printTail(w io.Writer, path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > logTailLines {
			lines = lines[1:]
		}
	}
	fmt.Fprintf(w, "--- last %d lines of %s ---\n%s\n---\n", len(lines), path, strings.Join(lines, "\n"))
}
