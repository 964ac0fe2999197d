package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
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
