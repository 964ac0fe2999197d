package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// jobRun runs a workflow's plain shell steps (no action, no tool call) the way GitHub's
// runner does: `bash -e {0}`, the default shell on Linux when a step names none
// (docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax,
// jobs.<job_id>.steps[*].shell), with RUNNER_TEMP, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY,
// the job's env as the test gives it, and the step's env with
// ${{ steps.<id>.outputs.<name> }} taken from the steps run before. The files the tool
// steps would write (status.json, idle.txt, …) the test writes into RUNNER_TEMP.
type jobRun struct {
	t       *testing.T
	temp    string
	env     map[string]string
	outputs map[string]map[string]string
}

func newJobRun(t *testing.T, env map[string]string) *jobRun {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (GitHub's ubuntu runners have it)")
	}
	return &jobRun{t: t, temp: t.TempDir(), env: env, outputs: map[string]map[string]string{}}
}

// file writes a file into RUNNER_TEMP.
func (j *jobRun) file(name, content string) {
	j.t.Helper()
	require.NoError(j.t, os.WriteFile(filepath.Join(j.temp, name), []byte(content), 0o644))
}

// statusFile writes status.json as `status --json` would print rep.
func (j *jobRun) statusFile(name string, rep release.StatusReport) {
	j.t.Helper()
	b, err := json.MarshalIndent(rep, "", "  ")
	require.NoError(j.t, err)
	j.file(name, string(b)+"\n")
}

var stepOutputRef = regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`)

// run runs the step's shell and returns its error (nil: exit 0) and what it wrote to the
// job summary; its outputs are kept for the steps after it.
func (j *jobRun) run(s step) (summary string, err error) {
	j.t.Helper()
	require.NotEmpty(j.t, s.Run, "step %q runs a shell", s.Name)
	require.Empty(j.t, toolCall(s), "step %q calls the tool: the test cannot run it", s.Name)
	dir := j.t.TempDir()
	script, out, sum := filepath.Join(dir, "step.sh"), filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	require.NoError(j.t, os.WriteFile(script, []byte(s.Run), 0o644))
	cmd := exec.Command("bash", "-e", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + j.temp, "GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + sum}
	for k, v := range j.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range s.Env {
		if m := stepOutputRef.FindStringSubmatch(v); m != nil {
			v = j.outputs[m[1]][m[2]]
		}
		require.NotContains(j.t, v, "${{", "step %q env %s: the test resolves only steps.<id>.outputs.<name>", s.Name, k)
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	log, err := cmd.CombinedOutput()
	j.t.Logf("step %q:\n%s", s.Name, log)
	outputs := map[string]string{}
	if f, ferr := os.Open(out); ferr == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				outputs[k] = v
			}
		}
		f.Close()
	}
	if s.ID != "" {
		j.outputs[s.ID] = outputs
	}
	b, _ := os.ReadFile(sum)
	return string(b), err
}

// stepByID is the job's step with that id.
func stepByID(t *testing.T, steps []step, id string) step {
	t.Helper()
	for _, s := range steps {
		if s.ID == id {
			return s
		}
	}
	require.Failf(t, "no step", "no step with id %q", id)
	return step{}
}

// stepIndex is where the step with that id is in the job, -1 when none.
func stepIndex(steps []step, id string) int {
	for i, s := range steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func ptr[T any](v T) *T { return &v }
