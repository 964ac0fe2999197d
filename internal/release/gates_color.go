package release

import (
	"context"
	"fmt"
	"slices"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// colorGates are what the gates read of the receiving colour besides its target group:
// its Auto Scaling group, and the alarms that fail a step while in ALARM (the stack's
// own, from its alarmNames output, then its config's webapi:gateAlarms).
type colorGates struct {
	color      infra.Color
	asg        string
	own, gates []string
}

// alarms are all the alarm names that gate the colour.
func (g colorGates) alarms() []string { return append(slices.Clone(g.own), g.gates...) }

// colorGatesFor reads a colour's gates from its stack outputs and config. Without the
// Auto Scaling or the CloudWatch client the gates cannot be read: refused, never skipped.
func (r *Release) colorGatesFor(ctx context.Context, c infra.Color) (colorGates, error) {
	if r.Fleets == nil || r.Alarms == nil {
		return colorGates{}, Refusef("this run has no Auto Scaling or CloudWatch alarms client, so %s's in-service and alarm gates cannot be checked: refusing rather than shifting unchecked", c)
	}
	// The engine reads are retried like the AWS reads: a remote backend that fails one
	// read as a step's watch starts must not roll a healthy release back.
	outs, err := retried(ctx, r, "reading the outputs of stack "+string(c), func() (map[string]any, error) { return r.Engine.Outputs(ctx, c) })
	if err != nil {
		return colorGates{}, err
	}
	asg, _ := outs[infra.OutAsgName].(string)
	if asg == "" {
		return colorGates{}, Refusef("stack %s has no %s output: deploy %s before shifting traffic to it", c, infra.OutAsgName, c)
	}
	g := colorGates{color: c, asg: asg}
	switch names := outs[infra.OutAlarmNames].(type) {
	case []string:
		g.own = slices.Clone(names)
	case []any:
		for _, n := range names {
			if s, ok := n.(string); ok {
				g.own = append(g.own, s)
			}
		}
	}
	raw, err := retried(ctx, r, "reading the config of stack "+string(c), func() (map[string]string, error) { return r.Engine.Config(ctx, c) })
	if err != nil {
		return colorGates{}, err
	}
	cfg, err := loadConfig(c, raw)
	if err != nil {
		return colorGates{}, err
	}
	g.gates = slices.Clone(cfg.Release.GateAlarms)
	return g, nil
}

// releaseGates are colorGatesFor the release's receiving colour, with the gate alarms
// its plan recorded when it started (a resuming checkout's may differ), if any.
func (r *Release) releaseGates(ctx context.Context, rec record.Record) (colorGates, error) {
	g, err := r.colorGatesFor(ctx, rec.Release.Target)
	if err == nil && rec.Plan != nil && rec.Plan.GateAlarms != nil {
		g.gates = slices.Clone(rec.Plan.GateAlarms)
	}
	return g, err
}

// precheck refuses a release whose receiving colour is not ready for its first step:
// its gate alarms must exist (a typo must not disable a gate) and none may be in ALARM,
// healthy targets = instances in service = desired capacity, and, when the plan ends
// at 100%, its desired capacity at least the serving colour's.
func (r *Release) precheck(ctx context.Context, st *state, rec record.Record) error {
	target, steps := rec.Release.Target, rec.Plan.Steps[rec.Release.Step:]
	g, err := r.releaseGates(ctx, rec)
	if err != nil {
		return err
	}
	states, err := retried(ctx, r, "reading the alarms of "+string(target), func() (map[string]AlarmState, error) { return r.Alarms.AlarmStates(ctx, g.alarms()) })
	if err != nil {
		return fmt.Errorf("reading %s's alarms: %w", target, err)
	}
	for _, n := range g.gates {
		if _, ok := states[n]; !ok {
			return Refusef("webapi:gateAlarms of stack %s names alarm %q, which does not exist in CloudWatch: a gate that cannot be read would not gate; correct the name or create the alarm", target, n)
		}
	}
	if err := alarmVerdict(target, g.alarms(), states); err != nil {
		return Refusef("%v: not shifting traffic to it", err)
	}
	counts, fleet, err := r.readTargets(ctx, st, g)
	if err != nil {
		return err
	}
	if _, err := targetVerdict(target, counts, fleet, true); err != nil {
		return Refusef("%v: deploy it and wait for its health checks before shifting traffic to it", err)
	}
	if slices.Contains(steps, 100) {
		if err := r.capacityFor100(ctx, g); err != nil {
			return Refusef("%v", err)
		}
	}
	return nil
}

// readTargets reads the colour's targets and its group, each read retried.
func (r *Release) readTargets(ctx context.Context, st *state, g colorGates) (TargetCounts, Fleet, error) {
	tg := st.targetGroup(g.color)
	counts, err := retried(ctx, r, "reading the target health of "+string(g.color), func() (TargetCounts, error) { return r.Health.TargetHealth(ctx, tg) })
	if err != nil {
		return counts, Fleet{}, err
	}
	fleet, err := retried(ctx, r, "reading Auto Scaling group "+g.asg, func() (Fleet, error) { return r.Fleets.Fleet(ctx, g.asg) })
	return counts, fleet, err
}

// checkAlarms reads the colour's alarms (retried) and fails when one fires or is gone.
func (r *Release) checkAlarms(ctx context.Context, g colorGates) error {
	names := g.alarms()
	if len(names) == 0 {
		return nil
	}
	states, err := retried(ctx, r, "reading the alarms of "+string(g.color), func() (map[string]AlarmState, error) { return r.Alarms.AlarmStates(ctx, names) })
	if err != nil {
		return err
	}
	return alarmVerdict(g.color, names, states)
}

// capacityFor100 refuses to give a colour 100% of traffic with a desired capacity below
// the serving colour's: the fleet that served everything would be replaced by a smaller
// one. A serving colour without a group (never deployed, destroyed) sets no floor.
func (r *Release) capacityFor100(ctx context.Context, g colorGates) error {
	serving := g.color.Other()
	outs, err := retried(ctx, r, "reading the outputs of stack "+string(serving), func() (map[string]any, error) { return r.Engine.Outputs(ctx, serving) })
	if err != nil {
		return err
	}
	asg, _ := outs[infra.OutAsgName].(string)
	if asg == "" {
		return nil
	}
	theirs, err := retried(ctx, r, "reading Auto Scaling group "+asg, func() (Fleet, error) { return r.Fleets.Fleet(ctx, asg) })
	if err != nil {
		return err
	}
	ours, err := retried(ctx, r, "reading Auto Scaling group "+g.asg, func() (Fleet, error) { return r.Fleets.Fleet(ctx, g.asg) })
	if err != nil {
		return err
	}
	if ours.Desired < theirs.Desired {
		return fmt.Errorf("%s's desired capacity %d is below the %d of %s, which serves now: it must not take 100%% of traffic with fewer instances; scale it first with `bluegreen deploy %s --desired-capacity %d`",
			g.color, ours.Desired, theirs.Desired, serving, g.color, theirs.Desired)
	}
	return nil
}
