package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
)

// --scale-up changes the group's capacity and nothing else: a change of the edge's
// target group (any resource outside the fleet) in this checkout refuses it too.
func TestScaleUpRefusesAChangeOutsideTheFleetToo(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.fleets.fleets[asgGreen] = servingFleet(asgGreen, 3, "1")
	f.health.targets[tgGreen] = TargetCounts{Healthy: 3, Total: 3}
	pausedAt10(t, f)
	f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
	f.health.targets[tgBlue] = TargetCounts{}
	r := f.rerun()
	var configs []map[string]string
	r.Engine = scalingEngine{f.eng, f, &configs}
	tgURN := "urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/targetGroup:TargetGroup::edge-tg-blue"
	f.eng.preview = previewChanging(map[string][]string{blueASG: {"desiredCapacity"}, tgURN: {"healthCheck"}})
	err := r.Rollback(context.Background(), RollbackOptions{ScaleUp: true})
	assert.Equal(t, ExitRefused, ExitCode(err), "want refused: the target group's health check would change too; got %v", err)
}

// The ELB 5xx baseline is bounded (half the 5xx limit): when the minutes before a
// release hold a failing colour's 5xx (a re-run right after a rollback), they must not
// become a baseline that hides the receiving colour's own errors at its first step.
func TestELB5xxBaselineIsCappedAtHalfTheLimit(t *testing.T) {
	f := newFixture(0, infra.Blue)
	h := &lbHealth{fakeHealth: f.health, minute: func(time.Time) Minute { return Minute{ELB5xx: 300, ALBRequests: 10000} }}
	f.r.Health = h
	f.greenTraffic(func(m time.Time) (Minute, bool) {
		return Minute{Requests: 1000, ELB5xx: 300, ALBRequests: 10000, P99: 200 * time.Millisecond, HasLatency: true}, true
	})
	err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
	assert.Equal(t, ExitRolledBack, ExitCode(err), "want rolled back: 30%% of green's requests fail; got %v (baseline %.3f)", err, f.store.load().Plan.ELB5xxBaseline)
}
