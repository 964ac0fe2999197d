package release

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// A rollback sends all traffic to one colour at once. That colour is ready to take it
// when every instance its Auto Scaling group wants is in service and healthy behind the
// ALB — healthy targets = in-service instances = desired capacity — and its desired
// capacity is at least what it is about to carry: the desired capacity of the colour
// that serves traffic now, or its own minimum when it serves everything already.
// Draining targets (deregistering) are not counted: they take no new requests.

// readinessCheckTimeout bounds the check of the stable colour before an automatic
// restore: the restore must not wait long on it.
const readinessCheckTimeout = 15 * time.Second

// scaleUpPoll is how often `rollback --scale-up` looks at the colour it scaled.
const scaleUpPoll = 15 * time.Second

// readiness is a colour's capacity to take all traffic, as AWS reports it now.
type readiness struct {
	color   infra.Color
	targets TargetCounts
	// fleet is the colour's Auto Scaling group; nil when unknown (unchecked says why)
	// or unreadable (fleetErr).
	fleet     *Fleet
	unchecked string
	fleetErr  error
	need      int         // the least desired capacity that carries what it will serve
	needFrom  infra.Color // the serving colour whose desired capacity set need; "" for its own minimum
}

// ready says whether the colour can take all traffic now. Without its group (no Auto
// Scaling access, or a group the record does not name) only the targets are checked.
func (rd readiness) ready() bool {
	switch {
	case rd.fleetErr != nil:
		return false
	case rd.fleet == nil:
		return rd.targets.Healthy > 0
	}
	in := rd.fleet.InService()
	return rd.fleet.Desired > 0 && rd.targets.Healthy == in && in == rd.fleet.Desired && rd.fleet.Desired >= rd.need
}

// retired says whether the colour has no capacity at all (scaled to zero, e.g. by retire).
func (rd readiness) retired() bool {
	return rd.fleet != nil && (rd.fleet.Desired == 0 || len(rd.fleet.Instances) == 0)
}

// describe is the numbers and what is wrong: "2 healthy / 1 in service / 2 desired; …".
func (rd readiness) describe() string {
	var b strings.Builder
	if rd.fleet == nil {
		fmt.Fprintf(&b, "%d healthy of %d registered targets", rd.targets.Healthy, rd.targets.Total)
	} else {
		fmt.Fprintf(&b, "%d healthy / %d in service / %d desired", rd.targets.Healthy, rd.fleet.InService(), rd.fleet.Desired)
		if rd.fleet.Desired < rd.need {
			fmt.Fprintf(&b, "; it must carry at least %d", rd.need)
			if rd.needFrom != "" {
				fmt.Fprintf(&b, " (%s runs %d)", rd.needFrom, rd.need)
			}
		}
	}
	if rd.targets.Draining > 0 {
		fmt.Fprintf(&b, "; %d draining", rd.targets.Draining)
	}
	var problems []string
	for _, p := range rd.targets.Problems {
		why := p.Reason
		if p.Description != "" {
			why += ": " + p.Description
		}
		problems = append(problems, fmt.Sprintf("%s %s (%s)", p.ID, p.State, why))
	}
	if len(problems) > 0 {
		fmt.Fprintf(&b, "; not healthy: %s", strings.Join(problems, ", "))
	}
	switch {
	case rd.fleetErr != nil:
		fmt.Fprintf(&b, "; its Auto Scaling group could not be read: %v", rd.fleetErr)
	case rd.fleet == nil && rd.unchecked != "":
		fmt.Fprintf(&b, " (its Auto Scaling group was not checked: %s)", rd.unchecked)
	}
	return b.String()
}

// scaleCommand is the deploy that gives the colour the capacity it must carry.
func (rd readiness) scaleCommand() string {
	n := rd.need
	if rd.fleet != nil {
		n = max(n, rd.fleet.Desired)
	}
	return fmt.Sprintf("`bluegreen deploy %s --desired-capacity %d`", rd.color, n)
}

// rollbackRefusal is the refusal of a rollback to a colour that is not ready.
func (rd readiness) rollbackRefusal() error {
	if rd.retired() {
		return Refusef("%s is scaled to zero (%s): rolling back would send all traffic to nothing. Scale it back first with %s, wait until it is in service, then roll back — or `bluegreen rollback --scale-up` does all three (--force rolls back anyway)",
			rd.color, rd.describe(), rd.scaleCommand())
	}
	return Refusef("%s is not ready to take all traffic (%s): rolling back now would overload it. Wait until it is, or scale it with %s — or `bluegreen rollback --scale-up` (--force rolls back anyway)",
		rd.color, rd.describe(), rd.scaleCommand())
}

// asgNames finds the colours' Auto Scaling group names and keeps those it found, for
// the release record.
type asgNames struct {
	lookup func(ctx context.Context, c infra.Color) (string, error)
	found  map[string]string
}

func (n *asgNames) name(ctx context.Context, c infra.Color) (string, error) {
	if name, ok := n.found[string(c)]; ok {
		return name, nil
	}
	name, err := n.lookup(ctx, c)
	if err == nil && name != "" {
		n.found[string(c)] = name
	}
	return name, err
}

// outputNames finds group names in the colours' stack outputs (an engine call each).
func (r *Release) outputNames() *asgNames {
	return &asgNames{found: map[string]string{}, lookup: func(ctx context.Context, c infra.Color) (string, error) {
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return "", err
		}
		name, _ := outs[infra.OutAsgName].(string)
		return name, nil
	}}
}

// recordNames finds group names in the release record alone: no engine call.
func recordNames(rec record.Record) *asgNames {
	return &asgNames{found: map[string]string{}, lookup: func(_ context.Context, c infra.Color) (string, error) {
		if rec.Edge == nil {
			return "", nil
		}
		return rec.Edge.AsgNames[string(c)], nil
	}}
}

// knownNames finds group names in the release record first, then in the stack outputs:
// for the automatic restore, which should not wait on the engine it may be failing on.
func (r *Release) knownNames(rec record.Record) *asgNames {
	fromRecord, fromOutputs := recordNames(rec), r.outputNames()
	return &asgNames{found: map[string]string{}, lookup: func(ctx context.Context, c infra.Color) (string, error) {
		if name, _ := fromRecord.lookup(ctx, c); name != "" {
			return name, nil
		}
		return fromOutputs.lookup(ctx, c)
	}}
}

// readiness reads how ready colour to is to take all traffic from the weights live.
func (r *Release) readiness(ctx context.Context, st *state, to infra.Color, live infra.Weights, names *asgNames) (readiness, error) {
	rd := readiness{color: to, need: 1}
	counts, err := retried(ctx, r, "reading the target health of "+string(to), func() (TargetCounts, error) { return r.Health.TargetHealth(ctx, st.targetGroup(to)) })
	if err != nil {
		return rd, fmt.Errorf("target health of %s: %w", to, err)
	}
	rd.targets = counts
	if r.Fleets == nil {
		rd.unchecked = "no Auto Scaling access"
		return rd, nil
	}
	name, err := names.name(ctx, to)
	if err != nil {
		return rd, fmt.Errorf("the Auto Scaling group of %s: %w", to, err)
	}
	if name == "" {
		rd.unchecked = "its name is not known here"
		return rd, nil
	}
	g, err := r.Fleets.Fleet(ctx, name)
	if err != nil {
		rd.fleetErr = err
		return rd, nil
	}
	rd.fleet = &g
	if live.Of(to) > 0 {
		rd.need = max(rd.need, g.Min)
	}
	if other := to.Other(); live.Of(other) > 0 {
		if oname, err := names.name(ctx, other); err == nil && oname != "" {
			if og, err := r.Fleets.Fleet(ctx, oname); err == nil && og.Desired > rd.need {
				rd.need, rd.needFrom = og.Desired, other
			}
		}
	}
	return rd, nil
}

// refuseShiftWithoutRollback refuses a new shift to target when the colour a rollback
// would send everything back to is not ready to take it: a shift must always have
// somewhere to go back to. It also records where the edge is on AWS, for a break-glass
// `rollback --direct` of the release about to start.
func (r *Release) refuseShiftWithoutRollback(ctx context.Context, st *state, target infra.Color) error {
	stable := target.Other()
	names := r.outputNames()
	rd, err := r.readiness(ctx, st, stable, st.live, names)
	if err != nil {
		return err
	}
	if r.Fleets != nil {
		_, _ = names.name(ctx, target) // for the record: a restore then needs no engine call to size it
	}
	r.rememberEdge(ctx, st, names.found)
	if rd.ready() {
		return nil
	}
	return Refusef("a rollback of this shift would have nowhere to go: %s, the stable colour, is not ready to take all traffic back (%s). Make it ready first: wait for it, or scale it with %s",
		stable, rd.describe(), rd.scaleCommand())
}

// requireReady checks the destination of a manual rollback: refused when it is not
// ready, unless forced; --scale-up scales it and waits for it instead.
func (r *Release) requireReady(ctx context.Context, st *state, to infra.Color, opts RollbackOptions) error {
	names := r.outputNames()
	rd, err := r.readiness(ctx, st, to, st.live, names)
	if err != nil {
		return err
	}
	r.rememberEdge(ctx, st, names.found)
	switch {
	case rd.ready():
		return nil
	case opts.ScaleUp:
		return r.scaleUp(ctx, st, rd, opts.Force)
	case opts.Force:
		r.printf("--force: rolling back to %s although it is not ready to take all traffic: %s\n", to, rd.describe())
		return nil
	}
	return rd.rollbackRefusal()
}

// scaleUp deploys the colour at the capacity it must carry when it has less (through
// the deploy path: run options, nothing written to config), then waits until it is ready.
// The deploy may change the group's capacity only (refuseBeyondCapacity): force also
// lets it apply the checkout's other fleet and image changes.
func (r *Release) scaleUp(ctx context.Context, st *state, rd readiness, force bool) error {
	if rd.fleet == nil {
		return Refusef("--scale-up: %s cannot be scaled from here (%s)", rd.color, rd.describe())
	}
	if n := rd.need; rd.fleet.Desired < n {
		r.printf("--scale-up: deploying %s at desired capacity %d (a run option; the checkout's config is not written)\n", rd.color, n)
		if err := r.deploy(ctx, st, rd.color, st.live.Of(rd.color), DeployOptions{DesiredCapacity: &n, Force: force, capacityOnly: true}); err != nil {
			return fmt.Errorf("--scale-up: deploying %s at desired capacity %d failed, nothing was rolled back: %w", rd.color, n, err)
		}
	}
	limit := 20 * time.Minute
	if cfg, _, err := r.config(ctx, rd.color); err == nil && cfg.Release.DeployTimeoutMinutes > 0 {
		limit = time.Duration(cfg.Release.DeployTimeoutMinutes) * time.Minute
	}
	deadline := r.Clock.Now().Add(limit)
	for {
		now, err := r.readiness(ctx, st, rd.color, st.live, r.outputNames())
		if err != nil {
			return err
		}
		if now.ready() {
			r.printf("--scale-up: %s is ready: %s\n", rd.color, now.describe())
			return nil
		}
		if !r.Clock.Now().Before(deadline) {
			return fmt.Errorf("--scale-up: %s is still not ready after %s (%s): nothing was rolled back; look at its instances, then roll back (or --force)", rd.color, limit, now.describe())
		}
		r.printf("--scale-up: waiting for %s: %s\n", rd.color, now.describe())
		if err := r.Clock.Sleep(ctx, scaleUpPoll); err != nil {
			return err
		}
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
}

// warnUnready prints loudly what is wrong with the stable colour before an automatic
// restore sends all traffic to it. The restore goes on whatever it finds: staying on a
// colour that is failing its checks is worse than an overloaded or scaled-down one.
func (r *Release) warnUnready(ctx context.Context, st *state, stable infra.Color, label string) {
	if stable == "" || st.deployed == nil || r.Health == nil || ctx.Err() != nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, readinessCheckTimeout)
	defer cancel()
	live, err := r.readLive(cctx, st)
	if err != nil {
		live = st.live
	}
	rd, err := r.readiness(cctx, st, stable, live, r.knownNames(st.rec))
	if err != nil {
		r.printf("%s: WARNING: could not check %s before restoring to it: %v\n", label, stable, err)
		return
	}
	if !rd.ready() {
		r.printf("%s: WARNING: restoring to %s although it is not ready to take all traffic: %s. Staying on the failing %s would be worse. Scale %s now: %s\n",
			label, stable, rd.describe(), stable.Other(), stable, rd.scaleCommand())
	}
}

// rememberEdge records where the edge is on AWS — the traffic listener, the target
// groups, the colours' Auto Scaling groups found so far — when the record does not say
// so already: what `rollback --direct` works from when the engine cannot run. A failed
// write is only a warning: the break-glass path then wants the ARNs as flags.
func (r *Release) rememberEdge(ctx context.Context, st *state, asg map[string]string) {
	if st.deployed == nil || st.deployed.ListenerArn == "" || r.lease == nil {
		return
	}
	edge := record.Edge{Stack: st.edge, ListenerArn: st.deployed.ListenerArn, TargetGroupArns: maps.Clone(st.deployed.TargetGroupArns), AsgNames: map[string]string{}}
	if old := st.rec.Edge; old != nil && old.ListenerArn == edge.ListenerArn {
		maps.Copy(edge.AsgNames, old.AsgNames)
	}
	maps.Copy(edge.AsgNames, asg)
	if old := st.rec.Edge; old != nil && old.Stack == edge.Stack && old.ListenerArn == edge.ListenerArn &&
		maps.Equal(old.TargetGroupArns, edge.TargetGroupArns) && maps.Equal(old.AsgNames, edge.AsgNames) {
		return
	}
	rec, err := r.write(ctx, func(rec record.Record, _ time.Time) (record.Record, error) {
		rec.Edge = &edge
		return rec, nil
	})
	if err != nil {
		r.printf("warning: could not record the edge's listener and target groups (for `rollback --direct`): %v\n", err)
		return
	}
	st.rec = rec
}
