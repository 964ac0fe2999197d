package record

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

var allBlue = infra.Weights{Blue: 100, Green: 0}

func start(steps ...int) Start {
	return Start{ID: "r1", Target: infra.Green, AppRef: "v2.0.0", Who: "alice", Current: allBlue,
		Plan: Plan{Steps: steps, Pause: Duration(5 * time.Minute), Interval: Duration(30 * time.Second), Max5xxPercent: 1, MaxP99: Duration(time.Second)}}
}

func started(t *testing.T, s Start) Record {
	t.Helper()
	rec, err := StartRelease(Record{}, s, t0)
	require.NoError(t, err)
	return rec
}

func TestStartRelease(t *testing.T) {
	rec := started(t, start(10, 50, 100))
	assert.EqualValues(t, "blue", rec.StableColor, "the colour serving before the first shift")
	assert.Equal(t, Release{ID: "r1", Target: infra.Green, AppRef: "v2.0.0", Started: t0, Updated: t0,
		Step: 0, Phase: PhaseApplying, From: allBlue, To: infra.Weights{Blue: 90, Green: 10}, ChecksPending: true}, *rec.Release)
	require.Len(t, rec.History, 1)
	applied, aerr := MarkApplied(rec, t0)
	require.NoError(t, aerr)
	assert.False(t, applied.Release.ChecksPending, "a step is applied only after the release's checks passed")
	assert.Equal(t, "release-start", rec.History[0].Action)

	resumed := start(10, 50, 100)
	resumed.Current = infra.Weights{Blue: 50, Green: 50}
	rec, err := StartRelease(Record{StableColor: "blue"}, resumed, t0)
	require.NoError(t, err)
	assert.Equal(t, 2, rec.Release.Step, "a release starting at 50% begins with the first step above it")
	assert.EqualValues(t, "blue", rec.StableColor)
}

func TestStartReleaseRefuses(t *testing.T) {
	busy := started(t, start(10, 100))
	back := start(10, 100)
	back.Current = infra.Weights{Blue: 40, Green: 60}
	done := start(50, 100)
	done.Current = infra.Weights{Blue: 0, Green: 100}
	tests := []struct {
		name string
		rec  Record
		s    Start
		want string
	}{
		{"another release in progress", busy, start(10, 100), "release r1 (v2.0.0 to green) is in progress at step 1, phase applying"},
		{"target is the stable colour with traffic", Record{StableColor: "green"}, back, "moving traffic back to it is a rollback"},
		{"nothing left", Record{}, done, "green already has 100%"},
		{"no steps", Record{}, start(), "no steps"},
		{"steps not ascending", Record{}, start(50, 10, 100), "strictly ascending"},
		{"step over 100", Record{}, start(10, 150), "1 to 100"},
		{"bad colour", Record{}, Start{Target: "red", Plan: Plan{Steps: []int{100}}}, `colour "red"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := StartRelease(tt.rec, tt.s, t0)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// The phases a release goes through, each transition from the one before.
func TestReleaseWalksItsSteps(t *testing.T) {
	tick := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	type step func(Record, time.Time) (Record, error)
	passed := func(r Record, now time.Time) (Record, error) { return StepPassed(r, "alice", now) }
	tests := []struct {
		name   string
		do     step
		phase  Phase
		step   int
		to     infra.Weights
		resume Next
	}{
		{"applied", MarkApplied, PhaseApplied, 0, infra.Weights{Blue: 90, Green: 10}, NextWatch},
		{"watching", StartWatch, PhaseWatching, 0, infra.Weights{Blue: 90, Green: 10}, NextWatch},
		{"step 1 passed", passed, PhaseApplying, 1, infra.Weights{Blue: 50, Green: 50}, NextApply},
		{"applied 2", MarkApplied, PhaseApplied, 1, infra.Weights{Blue: 50, Green: 50}, NextWatch},
		{"watching 2", StartWatch, PhaseWatching, 1, infra.Weights{Blue: 50, Green: 50}, NextWatch},
		{"step 2 passed", passed, PhaseApplying, 2, infra.Weights{Blue: 0, Green: 100}, NextApply},
		{"applied 3", MarkApplied, PhaseApplied, 2, infra.Weights{Blue: 0, Green: 100}, NextWatch},
		{"watching 3", StartWatch, PhaseWatching, 2, infra.Weights{Blue: 0, Green: 100}, NextWatch},
		{"complete", passed, PhaseDone, 2, infra.Weights{Blue: 0, Green: 100}, NextNothing},
	}
	rec := started(t, start(10, 50, 100))
	assert.Equal(t, NextApply, Resume(rec))
	for i, tt := range tests {
		next, err := tt.do(rec, tick(i+1))
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.phase, next.Release.Phase, tt.name)
		assert.Equal(t, tt.step, next.Release.Step, tt.name)
		assert.Equal(t, tt.to, next.Release.To, tt.name)
		assert.Equal(t, tt.resume, Resume(next), tt.name)
		assert.NotEqual(t, next.Release.Phase, rec.Release.Phase, "%s: the input record is not modified", tt.name)
		rec = next
	}
	assert.Equal(t, OutcomeSucceeded, rec.Release.Outcome)
	last := rec.History[len(rec.History)-1]
	assert.Equal(t, "release-complete", last.Action)
	assert.Equal(t, []int{10, 50, 100}, last.Steps)
	back := start(10, 100)
	back.Target, back.Current = infra.Blue, infra.Weights{Blue: 0, Green: 100}
	again, err := StartRelease(rec, back, tick(20))
	require.NoError(t, err, "a done release does not block the next")
	assert.EqualValues(t, "green", again.StableColor, "green served before this release's first shift")
}

func TestManualReleasePausesAndPromotes(t *testing.T) {
	s := start(10, 50, 100)
	s.Plan.Manual = true
	rec := started(t, s)
	for _, f := range []func(Record, time.Time) (Record, error){MarkApplied, StartWatch} {
		var err error
		rec, err = f(rec, t0)
		require.NoError(t, err)
	}
	rec, err := StepPassed(rec, "alice", t0)
	require.NoError(t, err)
	assert.Equal(t, PhasePaused, rec.Release.Phase)
	assert.Equal(t, NextPromote, Resume(rec))
	next, err := Promote(rec, false, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, next.Release.Step)
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, next.Release.From)
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, next.Release.To)
	full, err := Promote(rec, true, t0)
	require.NoError(t, err)
	assert.Equal(t, 1, full.Release.Step, "--full runs the next step too: the plan is followed, none skipped")
	assert.True(t, full.Release.Full)
}

func TestFailedStepRestoresTheStableColor(t *testing.T) {
	rec := started(t, start(10, 100))
	rec, err := MarkApplied(rec, t0)
	require.NoError(t, err)
	rec, err = StartRestore(rec, infra.Weights{Blue: 90, Green: 10}, "5xx rate 7% is above 1%", t0)
	require.NoError(t, err)
	assert.Equal(t, NextRestore, Resume(rec))
	assert.Equal(t, allBlue, rec.Release.To)
	rec, err = StartRestore(rec, infra.Weights{Blue: 90, Green: 10}, "5xx rate 7% is above 1%", t0)
	require.NoError(t, err, "a resumed restore starts again")
	rec, err = Restored(rec, "alice", t0)
	require.NoError(t, err)
	assert.Equal(t, OutcomeRolledBack, rec.Release.Outcome)
	last := rec.History[len(rec.History)-1]
	assert.Equal(t, "rollback", last.Action)
	assert.Equal(t, "5xx rate 7% is above 1%", last.Message)
	assert.Equal(t, &allBlue, last.To)
}

func TestIllegalTransitions(t *testing.T) {
	fresh := started(t, start(10, 100))
	tests := []struct {
		name string
		do   func() (Record, error)
		want string
	}{
		{"watch before applied", func() (Record, error) { return StartWatch(fresh, t0) }, "is applying; it can move to watching only from [applied]"},
		{"pass before watching", func() (Record, error) { return StepPassed(fresh, "a", t0) }, "only from [watching]"},
		{"promote unpaused", func() (Record, error) { return Promote(fresh, false, t0) }, "only from [paused]"},
		{"restored without restoring", func() (Record, error) { return Restored(fresh, "a", t0) }, "only from [restoring]"},
		{"no release", func() (Record, error) { return MarkApplied(Record{}, t0) }, "no release is in progress"},
		{"abort nothing", func() (Record, error) { return Abort(Record{}, "a", "why", t0) }, "no release is in progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.do()
			assert.ErrorContains(t, err, tt.want)
		})
	}
	aborted, err := Abort(fresh, "bob", "rolled back by hand", t0)
	require.NoError(t, err)
	assert.Equal(t, OutcomeAborted, aborted.Release.Outcome)
	assert.Equal(t, NextNothing, Resume(aborted))
}

// pass runs a step through applied, watching and a passed watch.
func pass(t *testing.T, rec Record) Record {
	t.Helper()
	rec, err := MarkApplied(rec, t0)
	require.NoError(t, err)
	rec, err = StartWatch(rec, t0)
	require.NoError(t, err)
	rec, err = StepPassed(rec, "alice", t0)
	require.NoError(t, err)
	return rec
}

func TestPromoteMovesOneStepAndFullRunsTheRestOfThePlan(t *testing.T) {
	s := start(5, 25, 50, 100)
	s.Plan.Manual = true
	rec := pass(t, started(t, s))
	require.Equal(t, PhasePaused, rec.Release.Phase)

	rec, err := Promote(rec, false, t0)
	require.NoError(t, err)
	assert.Equal(t, infra.Weights{Blue: 75, Green: 25}, rec.Release.To, "the recorded plan's next step")
	rec = pass(t, rec)
	assert.Equal(t, PhasePaused, rec.Release.Phase, "promote moves exactly one step")
	assert.Equal(t, 1, rec.Release.Step)

	rec, err = Promote(rec, true, t0)
	require.NoError(t, err)
	assert.Equal(t, 2, rec.Release.Step, "--full runs the remaining steps in order, none skipped")
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, rec.Release.To)
	rec = pass(t, rec)
	assert.Equal(t, PhaseApplying, rec.Release.Phase, "--full: no pause after the next steps")
	assert.Equal(t, infra.Weights{Blue: 0, Green: 100}, rec.Release.To)
	rec = pass(t, rec)
	assert.Equal(t, OutcomeSucceeded, rec.Release.Outcome)
}

func TestPlanEndsAt100UnlessItHolds(t *testing.T) {
	_, err := StartRelease(Record{}, start(10, 50), t0)
	assert.ErrorContains(t, err, "plan steps [10 50] end at 50%: the last step must be 100 unless the plan holds the split (--hold)")

	s := start(10, 50)
	s.Plan.Hold = true
	rec := pass(t, pass(t, started(t, s)))
	assert.Equal(t, PhaseDone, rec.Release.Phase, "a held release is finished: no lease, no watch")
	assert.Equal(t, OutcomeHeld, rec.Release.Outcome)
	assert.Equal(t, NextNothing, Resume(rec))
	assert.True(t, Holding(rec))
	last := rec.History[len(rec.History)-1]
	assert.Equal(t, "release-hold", last.Action)
	assert.Equal(t, &infra.Weights{Blue: 50, Green: 50}, last.To)

	// promote finishes a held release: one more step, to 100%.
	done, err := Promote(rec, false, t0)
	require.NoError(t, err)
	assert.Equal(t, []int{10, 50, 100}, done.Plan.Steps)
	assert.False(t, done.Plan.Hold)
	assert.Equal(t, Release{ID: "r1", Target: infra.Green, AppRef: "v2.0.0", Started: t0, Updated: t0, Step: 2, Phase: PhaseApplying,
		From: infra.Weights{Blue: 50, Green: 50}, To: infra.Weights{Green: 100}}, *done.Release)
	done = pass(t, done)
	assert.Equal(t, OutcomeSucceeded, done.Release.Outcome)
	assert.False(t, Holding(done))

	// or a new release (shift) starts from the held split.
	next := start(75, 100)
	next.ID, next.Current = "r2", infra.Weights{Blue: 50, Green: 50}
	again, err := StartRelease(rec, next, t0)
	require.NoError(t, err)
	assert.EqualValues(t, "blue", again.StableColor, "the held release's stable colour stays")
	assert.Equal(t, infra.Weights{Blue: 25, Green: 75}, again.Release.To)
}

// A held split is ended by a rollback like a release in progress: restored to the stable
// colour (rolled back), or aborted when all traffic goes elsewhere; a release that
// finished any other way is not reopened.
func TestHeldSplitIsRestoredOrAborted(t *testing.T) {
	s := start(10, 50)
	s.Plan.Hold = true
	held := pass(t, pass(t, started(t, s)))
	require.True(t, Holding(held))

	restoring, err := StartRestore(held, infra.Weights{Blue: 50, Green: 50}, "rollback by alice", t0)
	require.NoError(t, err)
	assert.Equal(t, NextRestore, Resume(restoring))
	assert.Equal(t, infra.Weights{Blue: 100}, restoring.Release.To)
	assert.Empty(t, restoring.Release.Outcome, "no longer held")
	restored, err := Restored(restoring, "alice", t0)
	require.NoError(t, err)
	assert.Equal(t, OutcomeRolledBack, restored.Release.Outcome)
	assert.False(t, Holding(restored))

	aborted, err := Abort(held, "alice", "rollback --to green", t0)
	require.NoError(t, err)
	assert.Equal(t, OutcomeAborted, aborted.Release.Outcome)
	assert.False(t, Holding(aborted))

	_, err = StartRestore(restored, infra.Weights{Blue: 100}, "again", t0)
	assert.Error(t, err, "a release rolled back is not restored again")
	_, err = Abort(restored, "alice", "again", t0)
	assert.Error(t, err)
}
