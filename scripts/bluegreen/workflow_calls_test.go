package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workflowSamples are sample values for the variables the workflows pass to the tool;
// a variable without one fails the test, so every new call gets checked too.
// SERVING_MODE takes each value apply.yml gives it.
var workflowSamples = map[string][]string{
	"COLOUR": {"green"}, "APP_REF": {"v1.5.0"}, "CAPACITY": {"2"}, "STEPS": {"10,50,100"}, "PAUSE": {"10m"},
	"AMI": {"ami-0123456789abcdef0"}, "STARTED": {"2026-11-29T12:00:00Z"}, "RUNNER_TEMP": {"/tmp/runner"},
	"GITHUB_STEP_SUMMARY": {"/tmp/summary.md"}, "SERVING_MODE": {"--defer-fleet", "--in-place"},
}

var workflowVar = regexp.MustCompile(`\$\{?([A-Z_]+)\}?`)

// Every call the workflows make parses with the tool's own commands: the command
// exists, its flags exist and take the given values, and the arguments are the right
// number. A workflow calling a flag or argument the tool does not have would exit 2 on
// the day of a release.
func TestEveryWorkflowCallParsesWithTheTool(t *testing.T) {
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
				root := newRootCommand(deps{})
				cmd, flagsAndArgs, err := root.Find(args)
				require.NoError(t, err, "%s: %v", name, args)
				require.NotSame(t, root, cmd, "%s: %v names no command", name, args)
				if assert.NoError(t, cmd.ParseFlags(flagsAndArgs), "%s: %v", name, args) {
					assert.NoError(t, cmd.ValidateArgs(cmd.Flags().Args()), "%s: %v", name, args)
				}
			}
		}
	}
	assert.GreaterOrEqual(t, calls, 15, "the workflows' tool calls were all found")
}

// expandWorkflowCall splits a call's shell words (double quotes only, as the workflows
// write them) and substitutes the sample values, once per value of each variable.
func expandWorkflowCall(t *testing.T, file, call string) [][]string {
	var words []string
	for _, w := range regexp.MustCompile(`"[^"]*"|\S+`).FindAllString(call, -1) {
		words = append(words, strings.Trim(w, `"`))
	}
	out := [][]string{nil}
	for _, w := range words {
		values := []string{w}
		if m := workflowVar.FindStringSubmatch(w); m != nil {
			samples, ok := workflowSamples[m[1]]
			require.True(t, ok, "%s: no sample value for $%s in %q: add one to workflowSamples", file, m[1], call)
			values = nil
			for _, s := range samples {
				values = append(values, workflowVar.ReplaceAllString(w, s))
			}
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
