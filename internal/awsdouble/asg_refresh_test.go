package awsdouble

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// skipMatching is the program's instance refresh: rolling, 100% minimum healthy, and
// instances already on the new version kept.
var skipMatching = map[string]any{"strategy": "Rolling", "preferences": map[string]any{
	"minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0, "skipMatching": true}}

// roll is the update the provider makes when the program gives the group a new
// launch template version (a new AMI) and desired capacity: the template first, then
// the group following its latest version. It returns that version.
func (f *fixture) roll(lt, asg, ami string, desired int) string {
	f.t.Helper()
	name := f.resource(lt)["name"]
	olds := map[string]any{"imageId": f.resource(lt)["imageId"], "instanceType": "t3.large", "updateDefaultVersion": true, "name": name}
	news := map[string]any{"imageId": ami, "instanceType": "t3.large", "updateDefaultVersion": true, "name": name}
	out, err := f.update(TypeLaunchTemplate, "lt", lt, olds, news)
	require.NoError(f.t, err)
	v := fmt.Sprint(out["latestVersion"])
	asgProps := f.resource(asg)
	newASG := map[string]any{}
	for _, k := range []string{"minSize", "maxSize", "vpcZoneIdentifiers", "targetGroupArns", "instanceRefresh", "name"} {
		newASG[k] = asgProps[k]
	}
	newASG["desiredCapacity"] = float64(desired)
	newASG["launchTemplate"] = map[string]any{"id": lt, "version": v}
	_, err = f.update(TypeAutoscalingGroup, "asg", asg, asgProps, newASG)
	require.NoError(f.t, err)
	return v
}

func (f *fixture) refreshes(asg string) []asgtypes.InstanceRefresh {
	f.t.Helper()
	out, err := f.double.AutoScaling.DescribeInstanceRefreshes(bg, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(asg)})
	require.NoError(f.t, err)
	return out.InstanceRefreshes
}

func (f *fixture) instanceIDs(asg string) (ids []string, versions []string) {
	f.t.Helper()
	insts, err := f.double.Instances(asg)
	require.NoError(f.t, err)
	for _, in := range insts {
		ids = append(ids, in.ID)
		versions = append(versions, in.LaunchTemplateVersion)
	}
	return ids, versions
}

// A 0 → 2 scale together with a new template: the group launches two instances on the
// new version once. With SkipMatching the refresh the provider starts finds nothing to
// replace and succeeds at once; without it (the program before SkipMatching) the
// refresh is left to replace the two instances it just launched.
func TestRefreshSkipsMatchingInstancesOnAScaleFromZero(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refresh map[string]any
		status  string
	}{
		{"skip matching", skipMatching, RefreshSuccessful},
		{"without skip matching", map[string]any{"strategy": "Rolling"}, RefreshInProgress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			lt, asg := f.fleet(f.edge(), map[string]any{"minSize": 0.0, "desiredCapacity": 0.0, "instanceRefresh": tc.refresh})
			ids, _ := f.instanceIDs(asg)
			require.Empty(t, ids)
			v := f.roll(lt, asg, "ami-2", 2)
			launched, versions := f.instanceIDs(asg)
			require.Len(t, launched, 2)
			assert.Equal(t, []string{v, v}, versions)
			refs := f.refreshes(asg)
			require.Len(t, refs, 1, "a launch template change starts a refresh")
			assert.Equal(t, tc.status, string(refs[0].Status))
			if tc.status == RefreshSuccessful {
				assert.Equal(t, int32(100), aws.ToInt32(refs[0].PercentageComplete))
				assert.NotNil(t, refs[0].EndTime)
				now, _ := f.instanceIDs(asg)
				assert.Equal(t, launched, now, "nothing was replaced")
				return
			}
			require.NoError(t, f.double.FinishInstanceRefresh(asg))
			now, _ := f.instanceIDs(asg)
			assert.NotContains(t, now, launched[0], "without SkipMatching the refresh replaces the instances just launched")
		})
	}
}

// A refresh of instances on an old version, played out by a script: it advances one
// step per DescribeInstanceRefreshes (the tool's poll) and ends as scripted.
func TestScriptedInstanceRefreshes(t *testing.T) {
	t.Run("successful replaces the old instances only", func(t *testing.T) {
		f := newFixture(t)
		e := f.edge()
		lt, asg := f.fleet(e, map[string]any{"instanceRefresh": skipMatching})
		old, _ := f.instanceIDs(asg)
		require.NoError(t, f.double.ScriptInstanceRefreshes(asg, RefreshScript{Outcome: RefreshSuccessful, Polls: 2}))
		v := f.roll(lt, asg, "ami-2", 3) // the third instance launches on the new version
		ids, _ := f.instanceIDs(asg)
		require.Len(t, ids, 3)
		kept := ids[2]

		first := f.refreshes(asg)[0]
		assert.Equal(t, RefreshInProgress, string(first.Status))
		assert.Greater(t, aws.ToInt32(first.PercentageComplete), int32(0), "it progresses")
		assert.Less(t, aws.ToInt32(first.PercentageComplete), int32(100))
		done := f.refreshes(asg)[0]
		assert.Equal(t, RefreshSuccessful, string(done.Status))
		assert.Equal(t, int32(100), aws.ToInt32(done.PercentageComplete))
		assert.Equal(t, aws.ToString(first.InstanceRefreshId), aws.ToString(done.InstanceRefreshId))

		ids, versions := f.instanceIDs(asg)
		assert.Equal(t, []string{v, v, v}, versions)
		assert.Contains(t, ids, kept, "SkipMatching keeps the instance already on the new version")
		assert.NotContains(t, ids, old[0])
		assert.NotContains(t, ids, old[1])
		health, err := f.double.ELBv2.DescribeTargetHealth(bg, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.tgBlue)})
		require.NoError(t, err)
		assert.Len(t, health.TargetHealthDescriptions, 3, "old instances deregistered, new ones registered")
	})
	for _, outcome := range []string{RefreshFailed, RefreshCancelled} {
		t.Run(outcome, func(t *testing.T) {
			f := newFixture(t)
			lt, asg := f.fleet(f.edge(), map[string]any{"instanceRefresh": skipMatching})
			old, _ := f.instanceIDs(asg)
			require.NoError(t, f.double.ScriptInstanceRefreshes(asg, RefreshScript{Outcome: outcome, Reason: "scripted " + outcome, Polls: 1}))
			f.roll(lt, asg, "ami-2", 2)
			ref := f.refreshes(asg)[0]
			assert.Equal(t, outcome, string(ref.Status))
			assert.Equal(t, "scripted "+outcome, aws.ToString(ref.StatusReason))
			ids, versions := f.instanceIDs(asg)
			assert.Equal(t, old, ids, "nothing was replaced")
			assert.Equal(t, []string{"1", "1"}, versions)
		})
	}
	t.Run("bad outcome", func(t *testing.T) {
		f := newFixture(t)
		_, asg := f.fleet(f.edge(), nil)
		assert.ErrorContains(t, f.double.ScriptInstanceRefreshes(asg, RefreshScript{Outcome: "Done"}), `"Done"`)
		assert.ErrorContains(t, f.double.ScriptInstanceRefreshes("nope", RefreshScript{Outcome: RefreshSuccessful}), "not found")
	})
}
