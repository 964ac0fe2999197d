package record

import (
	"fmt"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// The transitions of a release, as pure functions of the record. The tool writes each
// one (through UpdateHeld) before doing what it announces, and marks it done after, so a
// command killed at any point finds in the record the step, the phase and the weights it
// was working on; Resume says what to do next.

// Start describes a release about to begin.
type Start struct {
	ID      string
	Target  infra.Color
	AppRef  string
	Plan    Plan
	Current infra.Weights // what the listener serves now (read from AWS)
	Who     string
}

// weightsWith is the split that gives colour c percent and the other colour the rest.
func weightsWith(c infra.Color, percent int) infra.Weights {
	if c == infra.Green {
		return infra.Weights{Blue: 100 - percent, Green: percent}
	}
	return infra.Weights{Blue: percent, Green: 100 - percent}
}

// validatePlan wants steps strictly ascending within 1..100, the last 100 unless the plan
// holds its split: a release that ends below 100% without saying so would end "done"
// with both colours serving and nothing watching.
func validatePlan(p Plan) error {
	if len(p.Steps) == 0 {
		return fmt.Errorf("the plan has no steps")
	}
	for i, s := range p.Steps {
		if s < 1 || s > 100 || (i > 0 && s <= p.Steps[i-1]) {
			return fmt.Errorf("plan steps %v: want percentages from 1 to 100, strictly ascending", p.Steps)
		}
	}
	if last := p.Steps[len(p.Steps)-1]; last != 100 && !p.Hold {
		return fmt.Errorf("plan steps %v end at %d%%: the last step must be 100 unless the plan holds the split (--hold)", p.Steps, last)
	}
	return nil
}

// active says whether a release is in progress (begun and not done).
func active(rec Record) bool { return rec.Release != nil && rec.Release.Phase != PhaseDone }

// StartRelease begins a release: the first step whose percentage is above the target's
// current weight is to be applied. When the target has no traffic yet, the other colour
// is recorded as the stable colour (where a rollback sends everything). It refuses while
// another release is in progress, and a target that is the stable colour while it has
// traffic (that would be a rollback).
func StartRelease(rec Record, s Start, now time.Time) (Record, error) {
	if active(rec) {
		r := rec.Release
		return rec, fmt.Errorf("release %s (%s to %s) is in progress at step %d, phase %s: resume it or roll it back first", r.ID, r.AppRef, r.Target, r.Step+1, r.Phase)
	}
	if _, err := infra.ParseColor(string(s.Target)); err != nil {
		return rec, fmt.Errorf("release target: %w", err)
	}
	if err := validatePlan(s.Plan); err != nil {
		return rec, err
	}
	current := s.Current.Of(s.Target)
	if current > 0 && rec.StableColor == s.Target {
		return rec, fmt.Errorf("%s is the stable colour and has %d%%: moving traffic back to it is a rollback", s.Target, current)
	}
	first := slices.IndexFunc(s.Plan.Steps, func(p int) bool { return p > current })
	if first < 0 {
		return rec, fmt.Errorf("%s already has %d%%: no step of %v is left", s.Target, current, s.Plan.Steps)
	}
	if current == 0 || rec.StableColor == "" {
		rec.StableColor = s.Target.Other()
	}
	plan := s.Plan
	plan.Steps = slices.Clone(s.Plan.Steps)
	rec.Plan = &plan
	rec.Release = &Release{
		ID: s.ID, Target: s.Target, AppRef: s.AppRef, Started: now, Updated: now,
		Step: first, Phase: PhaseApplying, From: s.Current, To: weightsWith(s.Target, plan.Steps[first]),
		ChecksPending: true,
	}
	from := s.Current
	return appendEntry(rec, Entry{At: now, Who: s.Who, Action: "release-start", Version: s.AppRef, From: &from, Steps: plan.Steps}), nil
}

// transition moves the release from one of the phases in from to phase to.
func transition(rec Record, now time.Time, to Phase, from ...Phase) (Record, error) {
	if rec.Release == nil {
		return rec, fmt.Errorf("no release is in progress (wanted to move it to %s)", to)
	}
	if rec.Plan == nil {
		return rec, fmt.Errorf("release %s has no plan in the record", rec.Release.ID)
	}
	if !slices.Contains(from, rec.Release.Phase) {
		return rec, fmt.Errorf("release %s is %s; it can move to %s only from %v", rec.Release.ID, rec.Release.Phase, to, from)
	}
	r := *rec.Release
	r.Phase, r.Updated = to, now
	rec.Release = &r
	return rec, nil
}

// MarkApplied records that the listener was verified at the step's weights (a step is
// applied only after the release's checks passed: none is pending any more).
func MarkApplied(rec Record, now time.Time) (Record, error) {
	rec, err := transition(rec, now, PhaseApplied, PhaseApplying)
	if err == nil {
		rec.Release.ChecksPending = false
	}
	return rec, err
}

// StartWatch records that the step's health watch began.
func StartWatch(rec Record, now time.Time) (Record, error) {
	return transition(rec, now, PhaseWatching, PhaseApplied)
}

// StepPassed records a step whose watch passed: the release is done after the last
// step (succeeded, or held for a plan that holds its split), paused after the others of
// a manual plan (unless promoted with --full), and otherwise goes on to the next step.
func StepPassed(rec Record, who string, now time.Time) (Record, error) {
	rec, err := transition(rec, now, PhaseWatching, PhaseWatching)
	if err != nil {
		return rec, err
	}
	r := rec.Release
	switch {
	case r.Step >= len(rec.Plan.Steps)-1 && rec.Plan.Hold:
		return finish(rec, who, "release-hold", OutcomeHeld, "", now), nil
	case r.Step >= len(rec.Plan.Steps)-1:
		return finish(rec, who, "release-complete", OutcomeSucceeded, "", now), nil
	case rec.Plan.Manual && !r.Full:
		r.Phase = PhasePaused
		return rec, nil
	}
	return nextStep(rec, r.Step+1), nil
}

// Promote continues a paused release with the next step of its recorded plan; full
// also runs every step after it without pausing (each still verified and watched: none
// is skipped). A held release (Holding) is finished: its plan gets a last step, 100%.
func Promote(rec Record, full bool, now time.Time) (Record, error) {
	if Holding(rec) {
		return finishHeld(rec, now), nil
	}
	rec, err := transition(rec, now, PhasePaused, PhasePaused)
	if err != nil {
		return rec, err
	}
	rec.Release.Full = full
	return nextStep(rec, rec.Release.Step+1), nil
}

// finishHeld reopens a held release with a last step to 100%; its history already says
// it held, and its end adds release-complete (or a rollback).
func finishHeld(rec Record, now time.Time) Record {
	rec = rec.Clone()
	rec.Plan.Hold = false
	rec.Plan.Steps = append(rec.Plan.Steps, 100)
	r := rec.Release
	r.Phase, r.Outcome, r.Message, r.Updated = PhasePaused, "", "", now
	return nextStep(rec, len(rec.Plan.Steps)-1)
}

// nextStep sets the release to apply step i, starting from the previous step's weights.
func nextStep(rec Record, i int) Record {
	r := rec.Release
	r.Step, r.Phase, r.From, r.To = i, PhaseApplying, r.To, weightsWith(r.Target, rec.Plan.Steps[i])
	return rec
}

// StartRestore records that a failure (cause) is sending all traffic back to the stable
// colour, from the weights the listener has now. A held split (Holding) is restored like
// a release in progress: both colours serve until the restore ends it rolled back.
func StartRestore(rec Record, current infra.Weights, cause string, now time.Time) (Record, error) {
	from := []Phase{PhaseApplying, PhaseApplied, PhaseWatching, PhasePaused, PhaseRestoring}
	if Holding(rec) {
		from = append(from, PhaseDone)
	}
	rec, err := transition(rec, now, PhaseRestoring, from...)
	if err != nil {
		return rec, err
	}
	r := rec.Release
	r.From, r.To, r.Message, r.Outcome = current, weightsWith(rec.StableColor, 100), cause, ""
	return rec, nil
}

// Restored records that the restore was verified: the release is done, rolled back.
func Restored(rec Record, who string, now time.Time) (Record, error) {
	rec, err := transition(rec, now, PhaseRestoring, PhaseRestoring)
	if err != nil {
		return rec, err
	}
	return finish(rec, who, "rollback", OutcomeRolledBack, rec.Release.Message, now), nil
}

// Abort ends an active release without moving traffic (an operator's decision, e.g.
// after a manual rollback), with outcome aborted; a held split is closed the same way
// when a rollback sends all traffic elsewhere than its stable colour.
func Abort(rec Record, who, reason string, now time.Time) (Record, error) {
	if !active(rec) && !Holding(rec) {
		return rec, fmt.Errorf("no release is in progress to abort")
	}
	return finish(rec, who, "release-abort", OutcomeAborted, reason, now), nil
}

// finish marks the release done and writes its history entry.
func finish(rec Record, who, action string, outcome Outcome, msg string, now time.Time) Record {
	r := *rec.Release
	r.Phase, r.Outcome, r.Message, r.Updated = PhaseDone, outcome, msg, now
	rec.Release = &r
	from, to := r.From, r.To
	return appendEntry(rec, Entry{At: now, Who: who, Action: action, Version: r.AppRef, From: &from, To: &to,
		Steps: slices.Clone(rec.Plan.Steps), Outcome: outcome, Message: msg})
}

// appendEntry appends to the history without sharing the caller's backing array.
func appendEntry(rec Record, e Entry) Record {
	rec.History = append(slices.Clip(rec.History), e)
	return rec
}

// Next is what a resumed command does about the release it finds.
type Next string

const (
	NextNothing Next = "nothing" // no release, or it is done
	NextApply   Next = "apply"   // (re)apply Release.To and verify it: the step may or may not have reached the listener
	NextWatch   Next = "watch"   // the step's weights are verified: (re)start its health watch
	NextPromote Next = "promote" // paused: wait for `bluegreen promote` (or roll back)
	NextRestore Next = "restore" // (re)apply Release.To, the stable colour at 100%, and verify it
)

// Resume says where a kill left the release and what to do next. Applying a step or a
// restore is idempotent (a targeted update to the same weights), so an interrupted one
// is simply done again.
func Resume(rec Record) Next {
	if !active(rec) {
		return NextNothing
	}
	switch rec.Release.Phase {
	case PhaseApplying:
		return NextApply
	case PhaseApplied, PhaseWatching:
		return NextWatch
	case PhasePaused:
		return NextPromote
	case PhaseRestoring:
		return NextRestore
	}
	return NextNothing
}

// Holding says whether the last release ended holding its split (a --hold plan): it is
// done, and `promote` may still finish it.
func Holding(rec Record) bool {
	return rec.Release != nil && rec.Release.Phase == PhaseDone && rec.Release.Outcome == OutcomeHeld && rec.Plan != nil
}
