package main

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// workflowSamples are sample values for the variables the workflows pass to the tool;
// a variable without one fails the test, so every new call gets checked too.
// SERVING_MODE takes each value apply.yml gives it.
var workflowSamples = map[string][]string{
	"COLOUR": {"green"}, "APP_REF": {"v1.5.0"}, "CAPACITY": {"2"}, "STEPS": {"10,50,100"}, "PAUSE": {"10m"},
	"AMI": {"ami-0123456789abcdef0"}, "BASE_AMI": {"ami-0123456789abcdef0", ""}, "STARTED": {"2026-11-29T12:00:00Z"}, "RUNNER_TEMP": {"/tmp/runner"},
	"GITHUB_STEP_SUMMARY": {"/tmp/summary.md"}, "SERVING_MODE": {"--defer-fleet", "--in-place"},
}

var workflowVar = regexp.MustCompile(`\$\{?([A-Z_]+)\}?`)

// errReachedEngine is what the engine of runToEngine returns: the call got past every
// check the tool makes before it builds anything.
var errReachedEngine = errors.New("the call passed the tool's checks and reached the engine")

// runToEngine runs args through the tool itself, with an engine that is never built: the
// commands check their arguments and flags (cobra's and their own, in RunE) before they
// build a Release, so reaching the engine (or a nil error, for a call that builds none)
// means the tool accepted the call.
func runToEngine(workDir string, args []string) error {
	d := deps{out: io.Discard, clock: release.RealClock{},
		newEngine: func(string, io.Writer) (release.Engine, error) { return nil, errReachedEngine }}
	root := newRootCommand(d)
	root.SetErr(io.Discard)
	err := execute(context.Background(), root, append([]string{"--workdir", workDir}, args...))
	if errors.Is(err, errReachedEngine) {
		return nil
	}
	return err
}

// Every call the workflows make is accepted by the tool: the command exists, its flags
// exist and take the given values, the arguments are the right number, and the command's
// own checks (--defer-fleet with --desired-capacity, --steps without 100, --pause 0, …)
// pass. A workflow call the tool refuses would exit 2 on the day of a release.
func TestEveryWorkflowCallParsesWithTheTool(t *testing.T) {
	t.Chdir(t.TempDir()) // the tool changes to --workdir; this puts the test's back after
	workDir := projectWorkdir(t)
	for _, bad := range [][]string{
		{"deploy", "green", "--defer-fleet", "--desired-capacity", "2"},
		{"shift", "green", "--steps", "10,50", "--pause", "10m"},
		{"summary", "--since", "yesterday"},
	} {
		assert.Equal(t, release.ExitUsage, release.ExitCode(runToEngine(workDir, bad)), "the test sees the commands' own checks: %v", bad)
	}
	calls := 0
	for _, name := range workflowFiles(t) {
		_, raw := readWorkflow(t, name)
		for _, line := range strings.Split(raw, "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), "exec "+builtTool+" ")
			if !ok {
				continue
			}
			rest, _, _ = strings.Cut(rest, " > ") // the shell's redirection
			for _, args := range expandWorkflowCall(t, name, rest) {
				calls++
				assert.NoError(t, runToEngine(workDir, args), "%s: %v", name, args)
			}
		}
	}
	assert.GreaterOrEqual(t, calls, 15, "the workflows' tool calls were all found")
}

// expandWorkflowCall splits a call's shell words (double quotes only, as the workflows
// write them) and substitutes the sample values of every variable in each word, once per
// combination of values.
func expandWorkflowCall(t *testing.T, file, call string) [][]string {
	var words []string
	for _, w := range regexp.MustCompile(`"[^"]*"|\S+`).FindAllString(call, -1) {
		words = append(words, strings.Trim(w, `"`))
	}
	out := [][]string{nil}
	for _, w := range words {
		values := []string{w}
		for _, m := range workflowVar.FindAllStringSubmatch(w, -1) {
			samples, ok := workflowSamples[m[1]]
			require.True(t, ok, "%s: no sample value for $%s in %q: add one to workflowSamples", file, m[1], call)
			var next []string
			for _, v := range values {
				for _, s := range samples {
					next = append(next, strings.ReplaceAll(strings.ReplaceAll(v, "${"+m[1]+"}", s), "$"+m[1], s))
				}
			}
			values = next
		}
		var next [][]string
		for _, args := range out {
			for _, v := range values {
				next = append(next, append(append([]string{}, args...), v))
			}
		}
		out = next
	}
	return out
}

// Every variable of a word gets its sample, not only the first.
func TestExpandWorkflowCallSubstitutesEveryVariable(t *testing.T) {
	got := expandWorkflowCall(t, "test", `deploy "$COLOUR" --report "$RUNNER_TEMP/deploy-$COLOUR.json" "$SERVING_MODE"`)
	assert.Equal(t, [][]string{
		{"deploy", "green", "--report", "/tmp/runner/deploy-green.json", "--defer-fleet"},
		{"deploy", "green", "--report", "/tmp/runner/deploy-green.json", "--in-place"},
	}, got)
}
