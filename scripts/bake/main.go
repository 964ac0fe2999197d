// Command bake runs one stage of the image chain for infra/image.go's local.Command:
//
//	bake build        run Packer for WEBAPI_BAKE_STAGE; print only the AMI id on stdout
//	bake deregister   deregister the stage's AMI(s) and delete their snapshots
//
// Inputs come from the environment the command resource sets: WEBAPI_BAKE_STAGE,
// WEBAPI_BAKE_REGION and Packer's own PKR_VAR_* variables (stack, template_hash, …).
// Packer's output goes to .bake/logs/<stack>-<stage>-<time>.log; on failure the log's
// tail is printed to stderr. Exit codes: 0 ok, 1 the bake or AWS call failed, 2 bad input.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/webapi-platform/infra/infra"
)

const logTailLines = 40

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	hashPattern   = regexp.MustCompile(`^[0-9a-f]{64}$`) // a stage's SHA-256 trigger hash
)

// usageError is bad input: exit code 2, before anything runs.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, newEC2))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ec2For func(context.Context, string) (imageAPI, error)) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: bake build|deregister (inputs from WEBAPI_BAKE_* and PKR_VAR_* environment variables)")
		return 2
	}
	in, err := readInputs(getenv)
	if err == nil {
		switch args[0] {
		case "build":
			var ami string
			if ami, err = build(ctx, in, getenv, stderr); err == nil {
				fmt.Fprint(stdout, ami)
			}
		case "deregister":
			var api imageAPI
			if api, err = ec2For(ctx, in.region); err == nil {
				err = deregister(ctx, api, in, stderr)
			}
		default:
			err = usageError{fmt.Sprintf("command %q is not allowed: want build or deregister", args[0])}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "bake: %v\n", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	return 0
}

type inputs struct {
	stage        infra.BakeStage
	region       string
	stack        string
	templateHash string
}

func readInputs(getenv func(string) string) (inputs, error) {
	stage, err := infra.StageByName(getenv("WEBAPI_BAKE_STAGE"))
	if err != nil {
		return inputs{}, usageError{"WEBAPI_BAKE_STAGE: " + err.Error()}
	}
	in := inputs{stage: stage, region: getenv("WEBAPI_BAKE_REGION"), stack: getenv("PKR_VAR_stack"), templateHash: getenv("PKR_VAR_template_hash")}
	if !regionPattern.MatchString(in.region) {
		return inputs{}, usageError{fmt.Sprintf("WEBAPI_BAKE_REGION %q is not allowed: want an AWS region such as eu-west-1", in.region)}
	}
	if in.stack == "" {
		return inputs{}, usageError{"PKR_VAR_stack is empty: want the Pulumi stack that owns the image"}
	}
	if !hashPattern.MatchString(in.templateHash) {
		return inputs{}, usageError{fmt.Sprintf("PKR_VAR_template_hash %q is not allowed: want the stage's 64-hex trigger hash", in.templateHash)}
	}
	return in, nil
}

// packerBinary prefers WEBAPI_PACKER, then the project's pinned build, then PATH.
func packerBinary(getenv func(string) string) (bin string, env []string, err error) {
	if p := getenv("WEBAPI_PACKER"); p != "" {
		return p, nil, nil
	}
	if _, err := os.Stat(".tools/bin/packer"); err == nil {
		abs, _ := filepath.Abs(".tools")
		if getenv("PACKER_PLUGIN_PATH") == "" {
			env = append(env, "PACKER_PLUGIN_PATH="+filepath.Join(abs, "packer-plugins"))
		}
		return filepath.Join(abs, "bin", "packer"), env, nil
	}
	p, err := exec.LookPath("packer")
	if err != nil {
		return "", nil, usageError{"packer is not on PATH: run scripts/install-tools.sh packer, or install Packer 1.11 and run `packer init images`"}
	}
	return p, nil, nil
}

func build(ctx context.Context, in inputs, getenv func(string) string, stderr io.Writer) (string, error) {
	packer, extraEnv, err := packerBinary(getenv)
	if err != nil {
		return "", err
	}
	if in.stage == infra.StageApp && getenv("PKR_VAR_app_commit") == "" {
		commit, err := resolveCommit(ctx, getenv("PKR_VAR_app_repository"), getenv("PKR_VAR_app_ref"))
		if err != nil {
			return "", err
		}
		extraEnv = append(extraEnv, "PKR_VAR_app_commit="+commit)
		fmt.Fprintf(stderr, "bake app: %s at %s is commit %s\n", getenv("PKR_VAR_app_repository"), getenv("PKR_VAR_app_ref"), commit)
	}
	if err := os.MkdirAll(filepath.Join(".bake", "logs"), 0o755); err != nil {
		return "", err
	}
	manifest, _ := filepath.Abs(filepath.Join(".bake", fmt.Sprintf("%s-%s.manifest.json", in.stack, in.stage.Name)))
	// A fresh manifest per run: nothing of an earlier run can be mistaken for this one.
	if err := os.Remove(manifest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	logPath := filepath.Join(".bake", "logs", fmt.Sprintf("%s-%s-%s.log", in.stack, in.stage.Name, time.Now().UTC().Format("20060102T150405Z")))
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close()

	env := append(os.Environ(), extraEnv...)
	env = append(env, "PKR_VAR_manifest_path="+manifest, "CHECKPOINT_DISABLE=1")
	start := time.Now()
	fmt.Fprintf(stderr, "bake %s: packer build %s (log: %s)\n", in.stage.Name, in.stage.Template, logPath)
	for _, argv := range [][]string{{"init", in.stage.Template}, {"build", "-color=false", "-timestamp-ui", in.stage.Template}} {
		cmd := exec.CommandContext(ctx, packer, argv...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
		if err := cmd.Run(); err != nil {
			printTail(stderr, logPath)
			return "", fmt.Errorf("packer %s for stage %s failed after %s: %w (full log: %s)", argv[0], in.stage.Name, time.Since(start).Round(time.Second), err, logPath)
		}
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		return "", fmt.Errorf("stage %s: packer wrote no manifest at %s: %w", in.stage.Name, manifest, err)
	}
	ami, err := infra.AmiFromManifest(data, infra.ManifestWant{Region: in.region, Role: in.stage.Name, Stack: in.stack, TemplateHash: in.templateHash})
	if err != nil {
		return "", fmt.Errorf("stage %s: %w", in.stage.Name, err)
	}
	fmt.Fprintf(stderr, "bake %s: %s in %s\n", in.stage.Name, ami, time.Since(start).Round(time.Second))
	return ami, nil
}

func resolveCommit(ctx context.Context, repo, ref string) (string, error) {
	if repo == "" || ref == "" {
		return "", usageError{"PKR_VAR_app_repository and PKR_VAR_app_ref are required for the app stage"}
	}
	if c, err := infra.ResolveRef("", ref); err == nil {
		return c, nil
	}
	// "--" ends options: neither value can be taken for a git option.
	out, err := exec.CommandContext(ctx, "git", "ls-remote", "--", repo, ref, ref+"^{}").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-remote %s %s: %w", repo, ref, err)
	}
	return infra.ResolveRef(string(out), ref)
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

// imageAPI is the part of EC2 that deregister uses.
type imageAPI interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DeregisterImage(context.Context, *ec2.DeregisterImageInput, ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	DeleteSnapshot(context.Context, *ec2.DeleteSnapshotInput, ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
}

func newEC2(ctx context.Context, region string) (imageAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return ec2.NewFromConfig(cfg), nil
}

// deregister removes the AMIs this stage registered for this stack and input hash (found
// by their tags, so it needs no state from the create run), then their snapshots.
func deregister(ctx context.Context, api imageAPI, in inputs, stderr io.Writer) error {
	out, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners: []string{"self"},
		Filters: []ec2types.Filter{
			{Name: aws.String("tag:role"), Values: []string{in.stage.Name}},
			{Name: aws.String("tag:stack"), Values: []string{in.stack}},
			{Name: aws.String("tag:template_hash"), Values: []string{in.templateHash}},
		},
	})
	if err != nil {
		return fmt.Errorf("describe images: %w", err)
	}
	if len(out.Images) == 0 {
		fmt.Fprintf(stderr, "bake %s: no AMI tagged for stack %s and hash %.12s; nothing to deregister\n", in.stage.Name, in.stack, in.templateHash)
		return nil
	}
	for _, img := range out.Images {
		id := aws.ToString(img.ImageId)
		if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
			return fmt.Errorf("deregister %s: %w", id, err)
		}
		for _, bdm := range img.BlockDeviceMappings {
			if bdm.Ebs == nil || bdm.Ebs.SnapshotId == nil {
				continue
			}
			if _, err := api.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: bdm.Ebs.SnapshotId}); err != nil {
				return fmt.Errorf("delete snapshot %s of %s: %w", aws.ToString(bdm.Ebs.SnapshotId), id, err)
			}
		}
		fmt.Fprintf(stderr, "bake %s: deregistered %s and its snapshots\n", in.stage.Name, id)
	}
	return nil
}
