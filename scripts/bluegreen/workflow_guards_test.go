package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

const servingBaseAmi = "ami-0aaaaaaaaaaaaaaa1"

// servingBlue is `status --json` with blue serving v1.4.0 on servingBaseAmi at desired
// capacity desired (nil: unknown) and green idle on an older pin.
func servingBlue(desired *int) release.StatusReport {
	return release.StatusReport{SchemaVersion: release.StatusSchemaVersion,
		Weights: &release.StatusWeights{Blue: 100, Source: release.WeightsFromListener},
		Colors: []release.StatusColor{
			{Color: infra.Blue, Deployed: true, LiveWeight: ptr(100), AppRef: ptr("v1.4.0"), BaseAmiID: ptr(servingBaseAmi), Desired: desired},
			{Color: infra.Green, Deployed: true, LiveWeight: ptr(0), AppRef: ptr("v1.3.0"), BaseAmiID: ptr("ami-0aaaaaaaaaaaaaaa0"), Desired: ptr(0)},
		},
		Warnings: []string{}}
}

// H1: the weekly refresh compares the newest base AMI with the one the serving colour is
// pinned to before it deploys anything: the same AMI is nothing to refresh (no bake, no
// deploy, no shift), whatever the idle colour runs.
func TestImageRefreshDoesNothingWhenTheServingColourRunsTheNewestAmi(t *testing.T) {
	w, _ := readWorkflow(t, "image-refresh.yml")
	_, steps := onlyJob(t, w)
	for _, tc := range []struct {
		name, newest string
		refresh      bool
	}{
		{"the serving colour's AMI", servingBaseAmi, false},
		{"a newer AMI", "ami-0bbbbbbbbbbbbbbb2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJobRun(t, map[string]string{"DESIRED_CAPACITY": "2"})
			j.statusFile("status.json", servingBlue(ptr(2)))
			j.file("idle.txt", "green\n")
			j.file("ami.txt", tc.newest+"\n")
			_, err := j.run(stepByID(t, steps, "plan"))
			require.NoError(t, err)
			summary, err := j.run(stepByID(t, steps, "ami"))
			require.NoError(t, err)
			assert.Equal(t, map[bool]string{true: "true", false: "false"}[tc.refresh], j.outputs["ami"]["refresh"])
			if !tc.refresh {
				assert.Contains(t, summary, "already runs "+servingBaseAmi+": nothing to refresh")
			}
		})
	}
	deploy := stepsCalling(steps, "deploy")
	require.Len(t, deploy, 1)
	assert.Equal(t, "deploy", deploy[0].ID)
	assert.Contains(t, deploy[0].If, "steps.ami.outputs.refresh == 'true'", "no deploy (so no bake) for the AMI the serving colour runs")
	assert.Less(t, stepIndex(steps, "ami"), stepIndex(steps, "deploy"), "compared before deploying")
	assert.Contains(t, stepByID(t, steps, "decide").If, "steps.deploy.outcome == 'success'", "nothing to decide without a deploy: no smoke, no shift")
}

// M1: after a failed shift CI rolls back only a release of its own that is still in
// progress: the release record says in progress and the lease is this run's. A lease an
// operator broke (`unlock`: free) or took is theirs to decide; a shift that rolled back
// by itself (exit 4) left nothing in progress; an unreadable record is not rolled back.
func TestCIRollbackAfterAFailedShiftNeverOverrulesAnOperator(t *testing.T) {
	const runURL = "https://github.com/org/infra/actions/runs/42"
	ciLease := &release.StatusLease{Owner: release.StatusOwner{User: "runner", Host: "fv-az1", PID: 7, RunURL: runURL}}
	inProgress := func(phase string, lease *release.StatusLease) *release.StatusReport {
		rep := servingBlue(ptr(2))
		rep.Lease = lease
		rep.Release = &release.StatusRelease{ID: "r-1", Target: infra.Green, InProgress: phase != "done", Phase: phase, Step: 2, Steps: []int{10, 50, 100}}
		return &rep
	}
	for _, tc := range []struct {
		name     string
		after    *release.StatusReport // nil: status --json wrote nothing
		rollback bool
	}{
		{"the restore failed mid-way (restoring, our lease)", inProgress("restoring", ciLease), true},
		{"an engine error mid-step (watching, our lease)", inProgress("watching", ciLease), true},
		{"an operator broke the lease (unlock)", inProgress("watching", nil), false},
		{"an operator holds the lease", inProgress("watching", &release.StatusLease{Owner: release.StatusOwner{User: "alice", Host: "laptop"}}), false},
		{"another run holds the lease", inProgress("restoring", &release.StatusLease{Owner: release.StatusOwner{RunURL: runURL + "1"}}), false},
		{"the shift rolled back by itself (exit 4)", inProgress("done", ciLease), false},
		{"the record could not be read", nil, false},
	} {
		for _, name := range releasingWorkflows {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				w, _ := readWorkflow(t, name)
				_, steps := onlyJob(t, w)
				j := newJobRun(t, map[string]string{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "org/infra", "GITHUB_RUN_ID": "42"})
				if tc.after != nil {
					j.statusFile("after.json", *tc.after)
				}
				summary, err := j.run(stepByID(t, steps, "may-roll-back"))
				if tc.rollback {
					require.NoError(t, err)
				} else {
					assert.NotContains(t, summary, "Rolling back", "%v", err)
				}
				assert.Equal(t, tc.rollback, j.outputs["may-roll-back"]["rollback"] == "true")
			})
		}
	}
	for _, name := range releasingWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		after := stepByID(t, steps, "after")
		assert.Equal(t, "status", toolCall(after), name)
		assert.Contains(t, after.Run, `status --json --quiet > "$RUNNER_TEMP/after.json"`, name)
		for _, s := range []step{after, stepByID(t, steps, "may-roll-back")} {
			assert.Equal(t, "failure() && steps.shift.outcome == 'failure'", s.If, "%s %q", name, s.Name)
		}
		var found bool
		for _, s := range stepsCalling(steps, "rollback") {
			if strings.Contains(s.If, "failure()") {
				found = true
				assert.Equal(t, "failure() && steps.shift.outcome == 'failure' && steps.may-roll-back.outputs.rollback == 'true'", s.If, name)
				assert.Less(t, stepIndex(steps, "may-roll-back"), slices.IndexFunc(steps, func(x step) bool { return x.Name == s.Name }), name)
			}
		}
		assert.True(t, found, "%s: a failure() rollback", name)
	}
}

// M11, M4: the AWS session lasts as long as the job may (the lease wait included), and
// the README's Setup names the role's MaxSessionDuration that allows it
// (AssumeRoleWithWebIdentity refuses a DurationSeconds above it; the default is 1 hour).
func TestAWSSessionsCoverTheJobs(t *testing.T) {
	longest := 0
	for _, name := range productionWorkflows {
		w, _ := readWorkflow(t, name)
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				secs, err := strconv.Atoi(s.With["role-duration-seconds"])
				require.NoError(t, err, "%s/%s: role-duration-seconds", name, job)
				assert.GreaterOrEqual(t, secs, j.TimeoutMinutes*60, "%s/%s: the session outlasts the job", name, job)
				longest = max(longest, secs)
			}
		}
	}
	readme, err := os.ReadFile(testutil.RepoPath("README.md"))
	require.NoError(t, err)
	want := fmt.Sprintf("`MaxSessionDuration` of at least %d", longest)
	assert.True(t, strings.Contains(string(readme), want), "README's Setup says %s", want)
}

// L3: the decision to shift fails closed: a missing report, or a "changed" that is not
// a boolean, is an error and no shift.
func TestDecideStepsFailClosed(t *testing.T) {
	for _, tc := range []struct {
		name, report string // "": no report file
		rerelease    string
		shift        string // the output; "" when the step failed
	}{
		{"changed", `{"changed": true}`, "false", "true"},
		{"unchanged", `{"changed": false}`, "false", "false"},
		{"unchanged, rerelease", `{"changed": false}`, "true", "true"},
		{"no report", "", "false", ""},
		{"no changed field", `{"appRef": "v1"}`, "false", ""},
		{"changed null", `{"changed": null}`, "true", ""},
		{"changed a string", `{"changed": "true"}`, "false", ""},
	} {
		for _, name := range releasingWorkflows {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				w, _ := readWorkflow(t, name)
				_, steps := onlyJob(t, w)
				j := newJobRun(t, map[string]string{"RERELEASE": tc.rerelease, "APP_REF": "v1.5.0"})
				if tc.report != "" {
					j.file("deploy.json", tc.report)
				}
				if name == "image-refresh.yml" && tc.rerelease == "true" {
					t.Skip("the refresh has no rerelease")
				}
				want := tc.shift
				if name == "image-refresh.yml" && want == "false" {
					// The serving colour is not on the newest image (checked before the
					// deploy): an unchanged idle colour already runs it from an earlier
					// refresh whose shift did not finish, and is released now.
					want = "true"
				}
				_, err := j.run(stepByID(t, steps, "decide"))
				if tc.shift == "" {
					assert.Error(t, err, "fails")
					assert.NotEqual(t, "true", j.outputs["decide"]["shift"])
					return
				}
				require.NoError(t, err)
				assert.Equal(t, want, j.outputs["decide"]["shift"])
			})
		}
	}
}

// L7: the idle colour is deployed at the larger of DESIRED_CAPACITY and the serving
// colour's desired capacity, so the shift's capacity check does not refuse it after a
// whole deploy.
func TestReleasesDeployAtTheServingColoursCapacity(t *testing.T) {
	for _, name := range releasingWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		plan := steps[stepIndex(steps, "plan")]
		for _, tc := range []struct {
			serving *int
			want    string
		}{{ptr(4), "4"}, {ptr(1), "2"}, {nil, "2"}} {
			j := newJobRun(t, map[string]string{"DESIRED_CAPACITY": "2", "APP_REF": "v1.5.0"})
			j.statusFile("status.json", servingBlue(tc.serving))
			j.file("idle.txt", "green\n")
			_, err := j.run(plan)
			require.NoError(t, err, name)
			assert.Equal(t, tc.want, j.outputs["plan"]["capacity"], "%s: serving at %v", name, tc.serving)
		}
		deploys := stepsCalling(steps, "deploy")
		require.Len(t, deploys, 1, name)
		assert.Equal(t, "${{ steps.plan.outputs.capacity }}", deploys[0].Env["CAPACITY"], name)
	}
}

// L6: the steps and pause inputs are checked by the tool's own shift flags before the
// lease is taken and long before the deploy.
func TestReleaseInputsAreCheckedFirst(t *testing.T) {
	for _, name := range releasingWorkflows {
		w, _ := readWorkflow(t, name)
		_, steps := onlyJob(t, w)
		i := stepIndex(steps, "inputs")
		require.GreaterOrEqual(t, i, 0, name)
		assert.Equal(t, "shift --check-flags", toolCall(steps[i]), name)
		assert.Contains(t, steps[i].Run, `--steps "$STEPS" --pause "$PAUSE" --check-flags`, name)
		assert.Less(t, i, stepIndex(steps, "lease"), "%s: before anything is taken or deployed", name)
	}
}

// L10: the stacks' passphrase reaches only the tool's steps (which open the stacks), never
// a job's env, where every step, third-party actions included, would see it.
func TestPassphraseOnlyReachesTheToolSteps(t *testing.T) {
	const secret = "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
	for _, name := range workflowFiles(t) {
		w, _ := readWorkflow(t, name)
		for job, j := range w.Jobs {
			assert.NotContains(t, j.Env, "PULUMI_CONFIG_PASSPHRASE", "%s/%s: not in the job's env", name, job)
			for _, s := range j.Steps {
				call := toolCall(s)
				needs := call != "" && !strings.HasSuffix(call, " --check-flags")
				if needs {
					assert.Equal(t, secret, s.Env["PULUMI_CONFIG_PASSPHRASE"], "%s/%s %q: the tool opens the stacks", name, job, s.Name)
				} else {
					assert.NotContains(t, s.Env, "PULUMI_CONFIG_PASSPHRASE", "%s/%s %q", name, job, s.Name)
				}
			}
		}
	}
}

// A release bakes on the serving colour's base image pin (the last image refresh's), so
// it never takes users back to an unpatched Windows base image; without a pin the idle
// colour keeps its own (an empty --base-ami).
func TestReleaseBakesOnTheServingColoursBaseImage(t *testing.T) {
	w, _ := readWorkflow(t, "deploy.yml")
	_, steps := onlyJob(t, w)
	plan := steps[stepIndex(steps, "plan")]
	for _, tc := range []struct {
		name   string
		status release.StatusReport
		want   string
	}{
		{"pinned", servingBlue(ptr(2)), servingBaseAmi},
		{"no pin", func() release.StatusReport { s := servingBlue(ptr(2)); s.Colors[0].BaseAmiID = nil; return s }(), ""},
	} {
		j := newJobRun(t, map[string]string{"DESIRED_CAPACITY": "2", "APP_REF": "v1.5.0"})
		j.statusFile("status.json", tc.status)
		j.file("idle.txt", "green\n")
		_, err := j.run(plan)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, j.outputs["plan"]["base-ami"], tc.name)
	}
	deploys := stepsCalling(steps, "deploy")
	require.Len(t, deploys, 1)
	assert.Equal(t, "${{ steps.plan.outputs.base-ami }}", deploys[0].Env["BASE_AMI"])
	assert.Contains(t, deploys[0].Run, `--base-ami "$BASE_AMI"`)
}
