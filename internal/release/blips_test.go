package release

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// flakyStore fails the save numbered failAt (counted from 1), as S3 answering 503 does.
type flakyStore struct {
	*memStore
	failAt, n int
}

func (s *flakyStore) Save(ctx context.Context, rec record.Record, v record.Version) (record.Version, error) {
	s.n++
	if s.n == s.failAt {
		return record.NoVersion, errors.New("s3: PutObject: 503 SlowDown")
	}
	return s.memStore.Save(ctx, rec, v)
}

// One failed write of the release store while a watch renews the lease is a warning:
// the lease is still this run's until it expires.
func TestOneStoreBlipDuringAWatchIsAWarning(t *testing.T) {
	f := newFixture(0, infra.Blue)
	fs := &flakyStore{memStore: f.store}
	f.r.Store = fs
	n := 0
	f.r.Clock = sleepHook{f.clock, func() {
		n++
		if n == 3 {
			fs.failAt = fs.n + 1
		}
	}}
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)), f.out.String())
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
	assert.Contains(t, f.out.String(), "warning: renewing the release lease failed")
}

// A store that keeps failing until the lease has expired fails the step: the lease may
// be someone else's by now.
func TestLeaseRenewalFailingUntilExpiryFailsTheStep(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.r.LeaseTTL = 3 * time.Minute
	fs := &flakyStore{memStore: f.store}
	f.r.Store = fs
	n := 0
	down := false
	f.r.Clock = sleepHook{f.clock, func() {
		n++
		if n == 2 {
			down = true
		}
		if down {
			fs.failAt = fs.n + 1 // the next save fails, whichever it is
		}
	}}
	err := f.r.Shift(context.Background(), shiftToGreen(10, 50, 100))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expired")
}

// flakyOutputs fails the next read of a colour's stack outputs once each time it is
// armed, as a remote backend's read error does.
type flakyOutputs struct {
	*fakeEngine
	color infra.Color
	armed bool
}

func (e *flakyOutputs) Outputs(ctx context.Context, c infra.Color) (map[string]any, error) {
	if c == e.color && e.armed {
		e.armed = false
		return nil, errors.New("reading stack outputs: blob (key \".pulumi/stacks/webapi/green.json\"): 503 Service Unavailable")
	}
	return e.fakeEngine.Outputs(ctx, c)
}

// A failed engine read as a step's watch starts (the receiving colour's gates) is
// retried like the AWS reads.
func TestEngineReadBlipAtAWatchStartIsRetried(t *testing.T) {
	f := newFixture(0, infra.Blue)
	eng := &flakyOutputs{fakeEngine: f.eng, color: infra.Green}
	f.r.Engine = eng
	n := 0
	f.r.Clock = sleepHook{f.clock, func() {
		n++
		if n == 1 {
			eng.armed = true // the first watch is under way: the next one's start reads it
		}
	}}
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)), f.out.String())
	assert.False(t, eng.armed, "the blip happened")
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
}

// blipFleets fails the first read of a group, as a throttled DescribeAutoScalingGroups.
type blipFleets struct {
	*fakeFleets
	calls int
}

func (b *blipFleets) Fleet(ctx context.Context, name string) (Fleet, error) {
	b.calls++
	if b.calls == 1 {
		return Fleet{}, errors.New("Throttling: Rate exceeded")
	}
	return b.fakeFleets.Fleet(ctx, name)
}

// One failed AWS read during the deploy wait, after the bake, is retried.
func TestDeployWaitSurvivesOneAPIBlip(t *testing.T) {
	f, _ := deployFixture(0, greenLT)
	f.setFleet(servingFleet(asgGreen, 2, "1"))
	f.polls(func() {})
	f.r.Fleets = &blipFleets{fakeFleets: f.fleets}
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}), f.out.String())
	assert.Contains(t, f.out.String(), "failed (attempt 1 of 3), retrying")
}
