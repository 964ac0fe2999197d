package release

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// Why deploy waits by itself: the provider waits for ELB capacity only when
// desired_capacity or min_size change, and a launch template change starts an instance
// refresh and returns at once, cancelling one already running (terraform-provider-aws
// internal/service/autoscaling/group.go: resourceGroupUpdate sets shouldWaitForCapacity
// for those two only, and shouldRefreshInstances for launch_template, then
// startInstanceRefresh cancels an InstanceRefreshInProgress and retries; pulumi-aws v6
// wraps it). Without the wait a deploy of a new version into a colour that already runs
// the previous one returns while the old instances serve, and a shift would send
// traffic to the old version.

const (
	// deployPollInterval is how often the wait asks Auto Scaling and ELB.
	deployPollInterval = 15 * time.Second
	// refreshClockSkew: a refresh counts as this update's when it started at most this
	// long before the update began (AWS's clock, and whole seconds, against ours).
	refreshClockSkew = time.Minute
)

// DeployReport is what a deploy did, for CI (`bluegreen deploy --report`).
type DeployReport struct {
	Color  string `json:"color"`
	AppRef string `json:"appRef"`
	// RequestedRef is the --app-ref asked for when it was resolved to the commit AppRef
	// (a tag or branch); empty otherwise.
	RequestedRef string `json:"requestedRef,omitempty"`
	// Changed: the update modified at least one resource; FleetChanged: one of the
	// colour's fleet or image.
	Changed      bool `json:"changed"`
	FleetChanged bool `json:"fleetChanged"`
	// Deferred are the fleet changes --defer-fleet left out, by URN.
	Deferred []string `json:"deferred"`
	// Refresh is the instance refresh the wait followed, nil when none.
	Refresh *RefreshReport `json:"refresh"`
	// WaitSeconds is the wait for the new version; ElapsedSeconds the whole deploy.
	WaitSeconds    float64 `json:"waitSeconds"`
	ElapsedSeconds float64 `json:"elapsedSeconds"`
}

// RefreshReport is an instance refresh as the wait last saw it.
type RefreshReport struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// Instance refresh statuses (Auto Scaling's InstanceRefreshStatus) that the wait knows.
const (
	refreshSuccessful = "Successful"
)

// refreshRunning are the statuses of a refresh on its way to success; refreshFailed
// the ones on their way to anything else.
var (
	refreshRunning = []string{"Pending", "InProgress", "Baking"}
	refreshFailed  = []string{"Failed", "Cancelling", "Cancelled", "RollbackInProgress", "RollbackFailed", "RollbackSuccessful"}
)

// deployWait is one colour's wait: its group, its target group and the time allowed.
type deployWait struct {
	c           infra.Color
	asg, tg     string
	since       time.Time // when the update began
	timeout     time.Duration
	timeoutFrom string // what set the timeout, for the message
	start       time.Time
}

// waitDeployed waits until the colour's group has finished the instance refresh this
// update started (or one still running), every in-service instance runs the group's
// launch template version and the target group has exactly the desired capacity of
// healthy targets. It fails on a refresh that does not succeed, and after the timeout,
// naming what is not in service; it never touches traffic.
func (r *Release) waitDeployed(ctx context.Context, st *state, c infra.Color, began time.Time, timeout time.Duration, rep *DeployReport) error {
	if r.Fleets == nil || r.Health == nil {
		r.printf("not waiting for %s's instances: this run has no Auto Scaling or ELB access\n", c)
		return nil
	}
	w, err := r.newDeployWait(ctx, st, c, began, timeout, rep)
	if err != nil || w == nil {
		return err
	}
	defer func() { rep.WaitSeconds = r.Clock.Now().Sub(w.start).Seconds() }()
	for {
		why, err := r.lookAtFleet(ctx, w, rep)
		if err != nil || len(why) == 0 {
			return err
		}
		if r.Clock.Now().Sub(w.start) >= w.timeout {
			return fmt.Errorf("%s is not serving the new version after %s (%s): %s; nothing moved traffic",
				c, w.timeout, w.timeoutFrom, strings.Join(why, "; "))
		}
		if err := r.Clock.Sleep(ctx, deployPollInterval); err != nil {
			return err
		}
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
}

// newDeployWait finds the colour's group (its outputs), its target group (the edge's
// outputs) and the timeout; nil when there is nothing to wait on.
func (r *Release) newDeployWait(ctx context.Context, st *state, c infra.Color, began time.Time, timeout time.Duration, rep *DeployReport) (*deployWait, error) {
	cfg, _, err := r.config(ctx, c)
	if err != nil {
		return nil, err
	}
	w := &deployWait{c: c, since: began, timeout: timeout, timeoutFrom: "--timeout"}
	if w.timeout == 0 {
		w.timeout, w.timeoutFrom = time.Duration(cfg.Release.DeployTimeoutMinutes)*time.Minute, "webapi:deployTimeoutMinutes"
	}
	outs, err := r.Engine.Outputs(ctx, c)
	if err != nil {
		return nil, err
	}
	if ref, ok := outs[infra.OutAppRef].(string); ok && rep.AppRef == "" {
		rep.AppRef = ref
	}
	w.asg, _ = outs[infra.OutAsgName].(string)
	edge, err := r.Engine.Outputs(ctx, st.edge)
	if err != nil {
		return nil, err
	}
	if ev, err := infra.ParseEdgeOutputs(string(st.edge), edge); err == nil {
		w.tg = ev.TargetGroupArns[string(c)]
	}
	if w.asg == "" || w.tg == "" {
		r.printf("not waiting for %s's instances: its stack outputs name no Auto Scaling group or target group\n", c)
		return nil, nil
	}
	w.start = r.Clock.Now()
	return w, nil
}

// lookAtFleet asks AWS once where the colour stands and prints it: nothing when it
// serves the new version, else what it still waits for.
func (r *Release) lookAtFleet(ctx context.Context, w *deployWait, rep *DeployReport) ([]string, error) {
	// Each read is retried (gates.go): one throttled call after a long bake must not fail
	// the deploy.
	refs, err := retried(ctx, r, "reading the instance refreshes of "+w.asg, func() ([]InstanceRefresh, error) { return r.Fleets.InstanceRefreshes(ctx, w.asg) })
	if err != nil {
		return nil, fmt.Errorf("deploy wait for %s: %w", w.c, err)
	}
	var why []string
	if ref := ourRefresh(refs, w.since); ref != nil {
		rep.Refresh = &RefreshReport{ID: ref.ID, Status: ref.Status, Reason: ref.StatusReason}
		if slices.Contains(refreshFailed, ref.Status) {
			return nil, fmt.Errorf("instance refresh %s of %s ended %s: %s; %s keeps the instances it has and nothing moved traffic",
				ref.ID, w.asg, ref.Status, cmp.Or(ref.StatusReason, "AWS gave no reason"), w.c)
		}
		if ref.Status != refreshSuccessful {
			why = append(why, fmt.Sprintf("instance refresh %s: %s %d%%", ref.ID, ref.Status, ref.PercentComplete))
		}
	}
	g, err := retried(ctx, r, "reading Auto Scaling group "+w.asg, func() (Fleet, error) { return r.Fleets.Fleet(ctx, w.asg) })
	if err != nil {
		return nil, fmt.Errorf("deploy wait for %s: %w", w.c, err)
	}
	if g.Desired == 0 && len(why) == 0 {
		r.printf("%s is at desired capacity 0: nothing to wait for\n", w.c)
		return nil, nil
	}
	tc, err := retried(ctx, r, "reading the target health of "+string(w.c), func() (TargetCounts, error) { return r.Health.TargetHealth(ctx, w.tg) })
	if err != nil {
		return nil, fmt.Errorf("deploy wait for %s: %w", w.c, err)
	}
	why = append(why, unsettled(g, tc)...)
	elapsed := r.Clock.Now().Sub(w.start)
	if len(why) == 0 {
		r.printf("%s runs launch template version %s on %d of %d instances, %d of %d targets healthy (waited %s)\n",
			w.c, g.LaunchTemplateVersion, g.InService(), g.Desired, tc.Healthy, g.Desired, elapsed)
		return nil, nil
	}
	progress := append(slices.Clone(why[:min(1, len(why))]), "instances "+lifecycles(g), fmt.Sprintf("%d of %d targets healthy", tc.Healthy, g.Desired))
	r.printf("waiting for %s: %s; %s / %s\n", w.c, strings.Join(progress, "; "), elapsed, w.timeout)
	return why, nil
}

// ourRefresh is the refresh the wait follows, from a group's refreshes newest first:
// the newest that started with this update (allowing for clock skew) or that still
// runs; nil when none.
func ourRefresh(refs []InstanceRefresh, since time.Time) *InstanceRefresh {
	for i, ref := range refs {
		if slices.Contains(refreshRunning, ref.Status) || !ref.StartTime.Before(since.Add(-refreshClockSkew)) {
			return &refs[i]
		}
	}
	return nil
}

// unsettled says why a group does not serve its launch template's version yet: fewer
// in-service instances than desired, in-service instances on another version, and
// target counts other than the desired capacity of healthy targets (draining targets
// aside: they take no new requests), naming the targets that are not healthy.
func unsettled(g Fleet, tc TargetCounts) []string {
	var why []string
	if n := g.InService(); n != g.Desired {
		why = append(why, fmt.Sprintf("%d of %d instances in service", n, g.Desired))
	}
	if _, err := strconv.Atoi(g.LaunchTemplateVersion); err == nil {
		for _, in := range g.Instances {
			if in.LifecycleState == LifecycleInService && in.LaunchTemplateVersion != g.LaunchTemplateVersion {
				why = append(why, fmt.Sprintf("%s runs launch template version %s, the group's is %s", in.ID, in.LaunchTemplateVersion, g.LaunchTemplateVersion))
			}
		}
	}
	if tc.Healthy != g.Desired || tc.Total-tc.Draining != g.Desired {
		why = append(why, fmt.Sprintf("%d of %d targets healthy (%d registered)", tc.Healthy, g.Desired, tc.Total-tc.Draining))
		for _, p := range tc.Problems {
			why = append(why, describeProblem(p))
		}
	}
	return why
}

func describeProblem(p TargetProblem) string {
	switch {
	case p.Reason != "" && p.Description != "":
		return fmt.Sprintf("%s %s (%s: %s)", p.ID, p.State, p.Reason, p.Description)
	case p.Reason != "":
		return fmt.Sprintf("%s %s (%s)", p.ID, p.State, p.Reason)
	}
	return fmt.Sprintf("%s %s", p.ID, p.State)
}

// lifecycles counts a group's instances by lifecycle state: "2 InService, 1 Pending".
func lifecycles(g Fleet) string {
	n := map[string]int{}
	for _, in := range g.Instances {
		n[in.LifecycleState]++
	}
	if len(n) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
	}
	return strings.Join(parts, ", ")
}

// noteDeploy records the deploy in the history: what changed, what was deferred, the
// refresh and the wait, or why it failed.
func (r *Release) noteDeploy(ctx context.Context, rep *DeployReport, touched int, err error) {
	if r.Store == nil {
		return
	}
	var parts []string
	switch {
	case touched == 0:
		parts = append(parts, "nothing changed")
	case rep.FleetChanged:
		parts = append(parts, fmt.Sprintf("%d resources changed, the fleet among them", touched))
	default:
		parts = append(parts, fmt.Sprintf("%d resources changed, not the fleet", touched))
	}
	if len(rep.Deferred) > 0 {
		parts = append(parts, "deferred "+strings.Join(rep.Deferred, ", "))
	}
	if ref := rep.Refresh; ref != nil {
		parts = append(parts, strings.TrimSuffix(fmt.Sprintf("instance refresh %s %s: %s", ref.ID, ref.Status, ref.Reason), ": "))
	}
	parts = append(parts, fmt.Sprintf("waited %s", time.Duration(rep.WaitSeconds*float64(time.Second)).Round(time.Second)))
	if rep.RequestedRef != "" {
		parts = append([]string{fmt.Sprintf("--app-ref %s is commit %s", rep.RequestedRef, rep.AppRef)}, parts...)
	}
	e := record.Entry{Action: "deploy", Version: rep.AppRef, Outcome: record.OutcomeSucceeded}
	if err != nil {
		e.Outcome = record.OutcomeFailed
		parts = append(parts, "failed: "+err.Error())
	}
	e.Message = fmt.Sprintf("%s: %s", rep.Color, strings.Join(parts, "; "))
	r.note(ctx, e)
}
