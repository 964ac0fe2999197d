package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/testutil"
)

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		If             string            `yaml:"if"`
		TimeoutMinutes int               `yaml:"timeout-minutes"`
		Environment    any               `yaml:"environment"`
		Permissions    map[string]string `yaml:"permissions"`
		Env            map[string]string `yaml:"env"`
		Steps          []step            `yaml:"steps"`
	} `yaml:"jobs"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

func readWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(testutil.RepoPath(".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(raw, &w))
	return w, string(raw)
}

func TestWorkflowsUseOIDCAndMinimalPermissions(t *testing.T) {
	for _, name := range workflowFiles(t) {
		w, raw := readWorkflow(t, name)
		assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions, "%s: read-only by default", name)
		for _, secret := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id"} {
			assert.NotContains(t, raw, secret, "%s: no long-lived AWS keys", name)
		}
		for job, j := range w.Jobs {
			usesAWS := false
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					usesAWS = true
					assert.NotEmpty(t, s.With["role-to-assume"], "%s/%s: assumes a role", name, job)
				}
			}
			if usesAWS {
				assert.Equal(t, "write", j.Permissions["id-token"], "%s/%s: OIDC needs id-token: write", name, job)
			} else {
				assert.NotContains(t, j.Permissions, "id-token", "%s/%s: no OIDC token without AWS", name, job)
			}
		}
	}
}

func TestPullRequestsGetOneStickyPreviewComment(t *testing.T) {
	w, _ := readWorkflow(t, "pr.yml")
	previewJob := w.Jobs["preview"]
	var run, script string
	for _, s := range previewJob.Steps {
		if toolCall(s) == "preview" {
			run = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/github-script@") {
			script = s.With["script"]
		}
	}
	assert.Contains(t, run, "--stack all --markdown preview.md")
	assert.Contains(t, script, "<!-- webapi-preview -->", "finds its earlier comment by the marker RenderMarkdown writes")
	assert.Contains(t, script, "updateComment")
	assert.Equal(t, "write", previewJob.Permissions["pull-requests"])
	assert.Contains(t, preview.RenderMarkdown(nil), "<!-- webapi-preview -->")
	var testRun string
	for _, s := range w.Jobs["test"].Steps {
		testRun += s.Run
	}
	assert.Contains(t, testRun, "scripts/test.sh", "PRs run the README's test command")
}

// GitHub keeps at most one running and one pending run per concurrency group and
// cancels the older pending one when another is queued
// (docs.github.com/en/actions/using-jobs/using-concurrency). A shared group would let a
// push or the schedule cancel a queued release: each workflow has its own group, and the
// release lease (taken with --wait) keeps their jobs from overlapping.
func TestDeploysNeverOverlapAndNeedApproval(t *testing.T) {
	groups := map[string]string{}
	for _, name := range productionWorkflows {
		w, _ := readWorkflow(t, name)
		assert.True(t, strings.HasPrefix(w.Concurrency.Group, "deploy-production-"), "%s: %q", name, w.Concurrency.Group)
		assert.NotContains(t, groups, strings.ToLower(w.Concurrency.Group), "%s: its own group (names are case-insensitive)", name)
		groups[strings.ToLower(w.Concurrency.Group)] = name
		assert.False(t, w.Concurrency.CancelInProgress, name)
		for job, j := range w.Jobs {
			assert.Equal(t, "production", j.Environment, "%s/%s: the environment carries the required reviewers", name, job)
		}
		_, steps := onlyJob(t, w)
		take := stepsCalling(steps, "lease take")
		require.Len(t, take, 1, name)
		assert.Contains(t, take[0].Run, "lease take --ttl 30m --wait 60m", "%s: waits for another workflow's job instead of failing", name)
	}
	w, raw := readWorkflow(t, "deploy.yml")
	assert.False(t, w.Concurrency.CancelInProgress, "a running release is never cancelled by the next")
	release := w.Jobs["release"]
	assert.Equal(t, "production", release.Environment, "the environment carries the required reviewers")
	for _, command := range []string{"idle", "deploy", "shift", "rollback"} {
		assert.NotEmpty(t, stepsCalling(release.Steps, command), command)
	}
	assert.NotContains(t, raw, "git push", "release state lives beside the backend: nothing is committed back")
	assert.NotEqual(t, "write", release.Permissions["contents"], "the release job does not write to the repository")
}

func TestActionlintRejectsABrokenWorkflow(t *testing.T) {
	actionlint := testutil.RequireTool(t, "actionlint")
	repo := testutil.RepoRoot()
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	require.NoError(t, os.MkdirAll(wf, 0o755))
	raw, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "deploy.yml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(wf, "deploy.yml"), raw, 0o644))
	lint := func() ([]byte, error) {
		cmd := exec.Command(actionlint, "-no-color", "-shellcheck=", "-pyflakes=", filepath.Join(wf, "deploy.yml"))
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	out, err := lint()
	require.NoError(t, err, string(out))
	for _, name := range workflowFiles(t) {
		out, err := exec.Command(actionlint, "-no-color", "-shellcheck=", "-pyflakes=", filepath.Join(repo, ".github", "workflows", name)).CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
	}

	broken := strings.Replace(string(raw), "steps.plan.outputs.colour", "steps.plna.outputs.colour", 1)
	require.NoError(t, os.WriteFile(filepath.Join(wf, "deploy.yml"), []byte(broken), 0o644))
	out, err = lint()
	require.Error(t, err, "actionlint must reject a reference to an undefined step")
	assert.Contains(t, string(out), "plna")
}

// The workflows that change production, and which of them can release (shift).
var (
	productionWorkflows = []string{"deploy.yml", "apply.yml", "image-refresh.yml"}
	releasingWorkflows  = []string{"deploy.yml", "image-refresh.yml"}
)

func workflowFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(testutil.RepoPath(".github", "workflows"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yml") {
			names = append(names, e.Name())
		}
	}
	require.Subset(t, names, append([]string{"pr.yml", "images.yml"}, productionWorkflows...))
	return names
}

// onlyJob is the steps of a workflow's one job.
func onlyJob(t *testing.T, w workflow) (string, []step) {
	t.Helper()
	require.Len(t, w.Jobs, 1)
	for _, j := range w.Jobs {
		return j.If, j.Steps
	}
	return "", nil
}

const builtTool = `"$RUNNER_TEMP/bluegreen"`

// toolCall is the tool command a step runs ("deploy", "lease take", …), "" for none.
func toolCall(s step) string {
	for _, line := range strings.Split(s.Run, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "exec "+builtTool+" "); ok {
			f := strings.Fields(rest)
			switch {
			case f[0] == "lease":
				return f[0] + " " + f[1]
			case slices.Contains(f, "--check-flags"):
				return f[0] + " --check-flags" // checks the flags, runs nothing
			}
			return f[0]
		}
	}
	return ""
}

func stepsCalling(steps []step, command string) []step {
	var out []step
	for _, s := range steps {
		if toolCall(s) == command {
			out = append(out, s)
		}
	}
	return out
}

// Every call of the tool is the binary built once, started with exec as the last command
// of its step's shell: the step's entry process is the tool, so a cancel's signals reach
// it and its exit codes (3, 4) are the step's.
func TestEveryToolCallIsTheBuiltBinaryStartedWithExec(t *testing.T) {
	for _, name := range workflowFiles(t) {
		w, raw := readWorkflow(t, name)
		assert.NotContains(t, raw, "go run ./scripts/bluegreen", "%s: go run turns exits 3 and 4 into 1", name)
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				var calls []string
				for _, line := range strings.Split(s.Run, "\n") {
					if strings.Contains(line, builtTool) && !strings.HasPrefix(strings.TrimSpace(line), "go build -o "+builtTool+" ./scripts/bluegreen") {
						calls = append(calls, strings.TrimSpace(line))
					}
				}
				if len(calls) == 0 {
					continue
				}
				assert.Len(t, calls, 1, "%s/%s %q: one tool call per step", name, job, s.Name)
				lines := strings.Split(strings.TrimSpace(s.Run), "\n")
				last := strings.TrimSpace(lines[len(lines)-1])
				assert.Equal(t, calls[0], last, "%s/%s %q: the tool call is the shell's last command", name, job, s.Name)
				assert.True(t, strings.HasPrefix(last, "exec "+builtTool+" "), "%s/%s %q: started with exec: %s", name, job, s.Name, last)
			}
		}
	}
}

// A release is an explicit version: deploy.yml runs on a dispatch with an app-ref, never
// on a push, and no shift step can run without the dispatch's app-ref.
func TestReleaseNeedsAnExplicitVersion(t *testing.T) {
	w, _ := readWorkflow(t, "deploy.yml")
	assert.NotContains(t, w.On, "push", "a push never releases")
	assert.NotContains(t, w.On, "schedule")
	inputs := w.On["workflow_dispatch"].(map[string]any)["inputs"].(map[string]any)
	appRef := inputs["app-ref"].(map[string]any)
	assert.Equal(t, true, appRef["required"], "a dispatch must name the version")
	assert.Equal(t, map[string]any{"types": []any{"release"}}, w.On["repository_dispatch"])
	jobIf, steps := onlyJob(t, w)
	assert.Contains(t, jobIf, "github.event.client_payload.app_ref != ''", "a repository_dispatch without app_ref is no release")
	shifts := stepsCalling(steps, "shift")
	require.NotEmpty(t, shifts)
	for _, s := range shifts {
		assert.Contains(t, s.If, "(inputs.app-ref != '' || github.event.client_payload.app_ref != '')", "shift %q: only on the dispatch path", s.Name)
		assert.Contains(t, s.If, "steps.decide.outputs.shift == 'true'", "shift %q: an unchanged deploy is not re-released without rerelease", s.Name)
		assert.Contains(t, s.If, "steps.smoke.outcome == 'success'", "shift %q: after the smoke test", s.Name)
	}
	deploys := stepsCalling(steps, "deploy")
	require.Len(t, deploys, 1)
	assert.Contains(t, deploys[0].Run, `--app-ref "$APP_REF"`)
	assert.Contains(t, deploys[0].Run, `--report "$RUNNER_TEMP/deploy.json"`)
	env := w.Jobs["release"].Env
	assert.Equal(t, "${{ inputs.app-ref || github.event.client_payload.app_ref }}", env["APP_REF"], "the version reaches the shell as a variable")
	var decide step
	for _, s := range steps {
		if s.ID == "decide" {
			decide = s
		}
	}
	assert.Contains(t, decide.Run, `"$RUNNER_TEMP/deploy.json"`)
	assert.Contains(t, decide.Run, `[ "$RERELEASE" != true ]`)
	assert.Contains(t, decide.Run, "$GITHUB_STEP_SUMMARY", "says why it did not shift")
}

// A push applies infrastructure and never moves traffic: no shift, promote or rollback;
// the serving colour only with --defer-fleet, unless a dispatch asks for in-place.
func TestPushNeverShifts(t *testing.T) {
	w, raw := readWorkflow(t, "apply.yml")
	assert.Contains(t, w.On, "push")
	_, steps := onlyJob(t, w)
	for _, s := range steps {
		assert.NotContains(t, []string{"shift", "promote", "rollback", "retire", "destroy"}, toolCall(s), "%q", s.Name)
	}
	for _, s := range steps {
		assert.False(t, strings.Contains(s.Run, "--force"), "%q: no --force", s.Name)
		assert.False(t, strings.Contains(s.Run, "--app-ref"), "%q: each colour keeps the version its outputs record", s.Name)
	}
	assert.Equal(t, "${{ github.event_name == 'workflow_dispatch' && inputs.in-place && '--in-place' || '--defer-fleet' }}", w.Jobs["apply"].Env["SERVING_MODE"])
	assert.Equal(t, 1, strings.Count(raw, "'--in-place'"), "--in-place only where a dispatch asks for it")
	var order []string
	for _, s := range steps {
		switch call := toolCall(s); call {
		case "deploy":
			colour := s.Env["COLOUR"]
			order = append(order, call+" "+colour)
			if strings.Contains(colour, "serving") {
				assert.Contains(t, s.Run, `deploy "$COLOUR" "$SERVING_MODE"`)
				assert.Empty(t, s.If, "the serving colour's stack is always applied (its fleet deferred)")
			} else {
				assert.Equal(t, "${{ steps.plan.outputs.idle }}", colour)
				assert.NotContains(t, s.Run, "SERVING_MODE")
				assert.NotContains(t, s.Run, "--in-place")
			}
		case "preview":
			order = append(order, call)
		}
	}
	assert.Equal(t, []string{"preview", "deploy ${{ steps.plan.outputs.idle }}", "deploy ${{ steps.plan.outputs.serving }}", "deploy ${{ steps.plan.outputs.idle }}"}, order,
		"preview first; blue (the edge stack) before green whichever is idle")
}

func TestCancelledJobRollsBackFromTheRecord(t *testing.T) {
	for _, name := range releasingWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		found := false
		for _, s := range stepsCalling(steps, "rollback") {
			if strings.Contains(s.If, "cancelled()") {
				found = true
				assert.Contains(t, s.If, "steps.lease.outcome == 'success'", "%s: only a run that took the lease has a release to roll back", name)
				assert.Contains(t, s.If, "steps.shift.outcome == 'cancelled'", "%s: only a cancel during the shift can leave this run's release in progress", name)
			}
		}
		assert.True(t, found, "%s: a cancelled() step execs rollback", name)
	}
}

// The lease is the job's: the first tool call takes it, the last step releases it on
// always(), and WEBAPI_JOB_LEASE keeps every command in between from giving it up.
func TestLeaseIsHeldForTheWholeJob(t *testing.T) {
	for _, name := range productionWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		for _, j := range w.Jobs {
			assert.Equal(t, "true", j.Env["WEBAPI_JOB_LEASE"], name)
		}
		var calls []string
		for _, s := range steps {
			if c := toolCall(s); c != "" && !strings.HasSuffix(c, " --check-flags") { // reads nothing
				calls = append(calls, c)
			}
		}
		require.NotEmpty(t, calls, name)
		assert.Equal(t, "lease take", calls[0], "%s: the lease is taken first", name)
		// The lease is released by the last tool step but the summary: the summary needs no
		// lease, and GitHub's 5-minute cancellation window may end the job before its end.
		var releaseAt, summaryAt int
		for i, s := range steps {
			switch toolCall(s) {
			case "lease release":
				releaseAt = i
			case "summary":
				summaryAt = i
			}
		}
		release := steps[releaseAt]
		assert.Equal(t, "lease release", toolCall(release), "%s: a step releases the lease", name)
		assert.Contains(t, release.If, "always()", name)
		assert.Equal(t, len(steps)-1, summaryAt, "%s: the summary is the last step", name)
		assert.Equal(t, summaryAt-1, releaseAt, "%s: the lease is released right before it", name)
		assert.Equal(t, 1, len(stepsCalling(steps, "lease take"))+len(stepsCalling(steps, "lease release"))-1, name)
	}
}

func TestJobSummaryIsWrittenWhateverHappened(t *testing.T) {
	for _, name := range productionWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		summaries := stepsCalling(steps, "summary")
		require.Len(t, summaries, 1, name)
		s := summaries[0]
		assert.Contains(t, s.If, "always()", name)
		assert.Contains(t, s.Run, `--markdown "$GITHUB_STEP_SUMMARY"`, name)
		assert.Contains(t, s.Run, `--since "$STARTED"`, name)
		assert.Equal(t, "${{ steps.build.outputs.started }}", s.Env["STARTED"], name)
	}
}

// The image refresh runs on a schedule, pins the newest base AMI into the idle colour with
// the version users get now, and releases only through the smoke test and the gated shift.
func TestImageRefreshIsScheduledAndGated(t *testing.T) {
	w, raw := readWorkflow(t, "image-refresh.yml")
	sched, ok := w.On["schedule"].([]any)
	require.True(t, ok, "scheduled")
	require.Len(t, sched, 1)
	assert.NotEmpty(t, sched[0].(map[string]any)["cron"])
	assert.NotContains(t, w.On, "push")
	_, steps := onlyJob(t, w)
	require.Len(t, stepsCalling(steps, "base-ami"), 1)
	deploys := stepsCalling(steps, "deploy")
	require.Len(t, deploys, 1)
	assert.Contains(t, deploys[0].Run, `--base-ami "$AMI"`)
	assert.Contains(t, deploys[0].Run, `--app-ref "$APP_REF"`)
	assert.Equal(t, "${{ steps.plan.outputs.app-ref }}", deploys[0].Env["APP_REF"])
	assert.True(t, strings.Contains(raw, `select(.color == $c) | .appRef`), "the version comes from the tool's status, never a checkout")
	shifts := stepsCalling(steps, "shift")
	require.Len(t, shifts, 1)
	assert.Contains(t, shifts[0].If, "steps.decide.outputs.shift == 'true' && steps.smoke.outcome == 'success'")
	for _, ungated := range []string{"--force", "--manual", "--max-5xx-percent", "--max-p99", "--direct"} {
		assert.NotContains(t, shifts[0].Run, ungated, "the shift keeps the gates")
	}
	for _, v := range append([]string{deploys[0].Run}, slices.Collect(maps.Values(deploys[0].Env))...) {
		for _, timeBased := range []string{"date", "started", "github.run_", "schedule"} {
			assert.False(t, strings.Contains(v, timeBased), "nothing time-based reaches the deploy (the AMI id is the trigger): %s", v)
		}
	}
}
