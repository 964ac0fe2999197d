package release

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/preview"
)

// DeployOptions are the release inputs of `deploy`, and what it may do to a colour that
// serves traffic.
type DeployOptions struct {
	AppRef          string
	DesiredCapacity *int
	Force           bool
	// DeferFleet applies everything but the fleet and image changes of a colour that
	// serves traffic (pulumi up --exclude), reporting them as deferred instead of refusing.
	DeferFleet bool
	// InPlace lets the fleet of a colour that serves traffic roll through its instance
	// refresh (launch before terminate, 100% minimum healthy), followed by the wait.
	InPlace bool
	// Timeout bounds the wait for the new version (0: the colour's deployTimeoutMinutes).
	Timeout time.Duration
	// BaseAmiID pins the prerequisites stage's source AMI (else the outputs' pin; images.go).
	BaseAmiID string

	// capacityOnly: the deploy of `rollback --scale-up`, which may change the Auto
	// Scaling group's capacity and nothing else of the fleet or image (unless Force).
	capacityOnly bool
}

// Validate refuses combinations that contradict each other, before anything runs.
func (o DeployOptions) Validate() error {
	switch {
	case o.Timeout < 0:
		return Usagef("--timeout %s: want a positive duration", o.Timeout)
	case o.DeferFleet && (o.InPlace || o.Force):
		return Usagef("--defer-fleet leaves the fleet alone; --in-place and --force change it: choose one")
	case o.DeferFleet && (o.AppRef != "" || o.DesiredCapacity != nil || o.BaseAmiID != ""):
		return Usagef("--defer-fleet applies infrastructure changes only: a version (--app-ref), a base image (--base-ami) or capacity (--desired-capacity) is a fleet change; deploy it to the idle colour, or --in-place")
	}
	return nil
}

// Deploy updates a colour's stack (baking if needed) under the release lease, then waits
// until the colour runs its launch template's version on healthy targets (deploywait.go;
// Deployed reports what happened). It refuses to change the fleet of a colour that
// serves traffic unless told how (DeferFleet, InPlace, Force), and to deploy into the
// target of a release in progress. An update of the edge stack passes the weights the
// listener serves, so a checkout's config never moves traffic. The lease is kept after
// deploying an idle colour, for the release into it.
func (r *Release) Deploy(ctx context.Context, c infra.Color, opts DeployOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	st, err := r.look(ctx)
	if err != nil {
		return err
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.stopKeeping()
	if rel := st.active(); rel != nil && rel.Target == c && !opts.Force {
		return Refusef("release %s (%s into %s) is in progress: finish it or roll it back before deploying %s again (or --force)", rel.ID, orDash(rel.AppRef), c, c)
	}
	weight := st.live.Of(c)
	err = r.deploy(ctx, st, c, weight, opts)
	if err == nil && weight == 0 && st.active() == nil {
		return r.keepLeaseFor(ctx, r.ttl()) // for the release into c
	}
	// A failed deploy, or one of a serving colour, is no release going in; a release in
	// progress keeps its lease as it needs it.
	return r.settle(ctx, err)
}

// deploy updates the colour's stack with the release inputs as run options (never
// written into the checkout), after checking the fleet change against its weight, then
// waits for the new version and records the deploy (r.Deployed, and the history).
func (r *Release) deploy(ctx context.Context, st *state, c infra.Color, weight int, opts DeployOptions) error {
	began := r.Clock.Now()
	rep := &DeployReport{Color: string(c), Deferred: []string{}}
	r.Deployed = rep
	run, err := r.releaseInputs(ctx, st, c, opts, rep)
	if err != nil {
		return err
	}
	rep.AppRef = run.Config["appRef"]
	if err := r.guardFleet(ctx, st, c, weight, opts, &run, rep); err != nil {
		return err
	}
	r.printf("deploying %s (weight %d%%)\n", c, weight)
	ch, err := r.up(ctx, c, run)
	if err == nil {
		rep.Changed = len(ch.Touched) > 0
		rep.FleetChanged = slices.ContainsFunc(ch.Touched, fleetChange)
		r.printf("deployed %s: %v\n", c, ch.Counts)
		err = r.waitDeployed(ctx, st, c, began, opts.Timeout, rep)
	}
	rep.ElapsedSeconds = r.Clock.Now().Sub(began).Seconds()
	r.noteDeploy(ctx, rep, len(ch.Touched), err)
	return err
}

// releaseInputs are the run options of a colour's update: the live weights for the edge,
// and the release inputs — the version and capacity the flags give, else the ones the
// colour's stack outputs say it runs (never a checkout's, which may be stale), lowering
// minSize with a capacity below it. The result is validated with the program's own
// rules before anything runs.
func (r *Release) releaseInputs(ctx context.Context, st *state, c infra.Color, opts DeployOptions, rep *DeployReport) (UpOptions, error) {
	// A deploy is what creates a colour's stack (reads never do); its config is read next.
	if err := r.Engine.CreateStack(ctx, c); err != nil {
		return UpOptions{}, err
	}
	cfg, err := r.Engine.Config(ctx, c)
	if err != nil {
		return UpOptions{}, err
	}
	outs, err := r.Engine.Outputs(ctx, c)
	if err != nil {
		return UpOptions{}, err
	}
	if opts.AppRef, err = r.pinAppRef(ctx, cfg, opts.AppRef, rep); err != nil {
		return UpOptions{}, err
	}
	inputs := deployChanges(cfg, outs, opts)
	merged := maps.Clone(cfg)
	maps.Copy(merged, inputs)
	if _, err := infra.LoadConfig(infra.MapSource(merged)); err != nil {
		return UpOptions{}, UsageError{fmt.Errorf("the deploy of %s would run with an invalid config, nothing ran: %w", c, err)}
	}
	run := st.liveOptions(c)
	run.Config = inputs
	return run, nil
}

// deployChanges are a deploy's release inputs: the flags', else what the colour's
// outputs record (a prebaked AMI's "prebaked:<ami>" is no app ref). A capacity below
// the colour's minSize (as the program reads it, default included) lowers minSize.
func deployChanges(cfg map[string]string, outs map[string]any, opts DeployOptions) map[string]string {
	changes := map[string]string{}
	ref, _ := outs[infra.OutAppRef].(string)
	if opts.AppRef != "" {
		changes["appRef"] = opts.AppRef
	} else if ref != "" && !strings.HasPrefix(ref, "prebaked:") {
		changes["appRef"] = ref
	}
	maps.Copy(changes, baseAmiChanges(outs, opts))
	desired := opts.DesiredCapacity
	if n, ok := outs[infra.OutDesired].(float64); ok && desired == nil {
		d := int(n)
		desired = &d
	}
	if d := desired; d != nil {
		changes["desiredCapacity"] = strconv.Itoa(*d)
		if c, err := infra.LoadConfig(infra.MapSource(cfg)); err == nil && *d < c.MinSize {
			changes["minSize"] = strconv.Itoa(*d)
		}
	}
	return changes
}

// guardFleet previews a deploy of a colour with weight and, when it would change the
// colour's fleet or image, refuses it, or leaves those changes out of the run
// (DeferFleet), or lets the fleet roll (InPlace). The first deploy of the edge creates
// the colour's fleet: a fleet change, but one that takes no traffic from anyone, as no
// listener exists yet.
func (r *Release) guardFleet(ctx context.Context, st *state, c infra.Color, weight int, opts DeployOptions, run *UpOptions, rep *DeployReport) error {
	if opts.capacityOnly && !opts.Force {
		return r.refuseBeyondCapacity(ctx, c, *run)
	}
	if weight == 0 || opts.Force || st.neverDeployed {
		return nil
	}
	evs, err := r.Engine.Preview(ctx, c, *run)
	if err != nil {
		return err
	}
	var touched []string
	for _, s := range preview.Steps(evs) {
		if s.Op != "same" && fleetChange(s.URN) {
			touched = append(touched, s.URN)
		}
	}
	switch {
	case len(touched) == 0:
	case opts.InPlace:
		r.printf("rolling %s's fleet in place (%d%% of traffic): its instance refresh launches new instances before it terminates old ones (100%% minimum healthy)\n", c, weight)
	case opts.DeferFleet:
		run.Exclude, rep.Deferred = touched, touched
		r.printf("deferred %d fleet changes of %s (%d%% of traffic), applying the rest: %s\n", len(touched), c, weight, strings.Join(touched, ", "))
	default:
		return Refusef("%s has %d%% of traffic and this deploy would change its fleet (%s): shift traffic away first and deploy the idle colour, roll it in place (--in-place), leave the fleet for later (--defer-fleet), or --force",
			c, weight, strings.Join(touched, ", "))
	}
	return nil
}

// capacityKeys are the properties of the colour's Auto Scaling group (aws.autoscaling.Group)
// that a scale-up changes: its capacity (deployChanges lowers minSize with it).
var capacityKeys = []string{"desiredCapacity", "minSize", "maxSize"}

// groupType is the Auto Scaling group's resource type token.
const groupType = "aws:autoscaling/group:Group"

// refuseBeyondCapacity previews the scale-up deploy of c and refuses it when it would
// change anything besides the group's capacity: a checkout behind or ahead of what c
// runs would otherwise replace its launch template (rolling its instances, maybe
// re-baking) or change the edge's target groups, rules or security groups in the middle
// of an incident. Nothing runs when refused.
func (r *Release) refuseBeyondCapacity(ctx context.Context, c infra.Color, run UpOptions) error {
	evs, err := r.Engine.Preview(ctx, c, run)
	if err != nil {
		return fmt.Errorf("--scale-up: previewing the deploy of %s: %w", c, err)
	}
	var beyond []string
	for _, s := range preview.Steps(evs) {
		if s.Op == "same" || s.Op == "read" {
			continue
		}
		other := slices.DeleteFunc(slices.Clone(s.Diffs), func(k string) bool { return slices.Contains(capacityKeys, k) })
		if s.Op == "update" && string(urn.URN(s.URN).Type()) == groupType && len(other) == 0 {
			continue
		}
		name := s.URN
		if len(other) > 0 {
			name += " (" + strings.Join(other, ", ") + ")"
		}
		beyond = append(beyond, name)
	}
	if len(beyond) == 0 {
		return nil
	}
	return Refusef("--scale-up: deploying %s at %s would change more than its Auto Scaling group's capacity: %s. This checkout's program differs from what %s runs; nothing was deployed or rolled back: "+
		"scale it from a checkout of what it runs (`bluegreen deploy %s --desired-capacity N`), or --scale-up --force to deploy this checkout's fleet as well",
		c, run.Config["desiredCapacity"], strings.Join(beyond, ", "), c, c)
}

// fleetChange says whether a resource belongs to a colour's fleet or image: its URN's
// qualified type lists every parent's type token, joined by "$".
func fleetChange(u string) bool {
	types := strings.Split(string(urn.URN(u).QualifiedType()), "$")
	return slices.Contains(types, infra.TypeFleet) || slices.Contains(types, infra.TypeImage)
}

// refuseIfServing takes the lease and refuses to touch a colour that serves traffic
// (live) or that a release in progress involves.
func (r *Release) refuseIfServing(ctx context.Context, c infra.Color, what string) (*state, error) {
	st, err := r.look(ctx)
	if err != nil {
		return nil, err
	}
	if w := st.live.Of(c); w > 0 {
		return nil, Refusef("%s has %d%% of traffic (%s): shift it away before you %s it", c, w, st.live, what)
	}
	if rel := st.active(); rel != nil && (rel.Target == c || st.rec.StableColor == c) {
		return nil, Refusef("release %s (%s into %s) is in progress: finish it or roll it back before you %s %s", rel.ID, orDash(rel.AppRef), rel.Target, what, c)
	}
	return st, nil
}

// Destroy deletes a colour's stack resources, under the lease. The edge colour goes
// last: the other colour runs in its network.
func (r *Release) Destroy(ctx context.Context, c infra.Color) error {
	st, err := r.refuseIfServing(ctx, c, "destroy")
	if err != nil {
		return err
	}
	if c == st.edge {
		other, err := r.Engine.Outputs(ctx, c.Other())
		if err != nil {
			return err
		}
		if len(other) > 0 {
			return Refusef("%s is the edge stack and %s still runs in its network: destroy %s first", c, c.Other(), c.Other())
		}
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.endLease(ctx)
	r.printf("destroying %s\n", c)
	return r.Engine.Destroy(ctx, c)
}

// Retire scales an idle colour to zero after a wait (for connections to drain and for
// a last look), re-checking its live weight after the wait; the lease is held
// throughout and released at the end.
func (r *Release) Retire(ctx context.Context, c infra.Color, wait time.Duration) error {
	if _, err := r.refuseIfServing(ctx, c, "retire"); err != nil {
		return err
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.endLease(ctx)
	if wait > 0 {
		r.printf("retiring %s in %s\n", c, wait)
		if err := r.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
	st, err := r.refuseIfServing(ctx, c, "retire")
	if err != nil {
		return err
	}
	// Scaled to zero by run options: the colour's outputs then say 0, and later deploys
	// keep it there until one asks for capacity.
	run := st.liveOptions(c)
	run.Config = map[string]string{"minSize": "0", "desiredCapacity": "0"}
	ch, err := r.up(ctx, c, run)
	if err != nil {
		return err
	}
	r.printf("retired %s: scaled to 0 (%v)\n", c, ch.Counts)
	return nil
}

// pinAppRef resolves the --app-ref a deploy asks for to the commit it names (a tag or a
// branch moves; a commit does not), so the colour bakes, exports as its appRef output and
// records in the history exactly one commit: a re-run with the same tag is then a no-op,
// and the history says which commit a release was. rep.RequestedRef keeps the ref as
// asked. Nothing is resolved without a resolver, without a ref, or for a prebaked AMI
// (webapi:amiId: nothing is baked from the repository).
func (r *Release) pinAppRef(ctx context.Context, cfg map[string]string, ref string, rep *DeployReport) (string, error) {
	repo := cfg["appRepository"]
	if r.ResolveRef == nil || ref == "" || repo == "" || cfg["amiId"] != "" {
		return ref, nil
	}
	commit, err := r.ResolveRef(ctx, repo, ref)
	if err != nil {
		return "", fmt.Errorf("--app-ref %s: resolving it to a commit in %s: %w", ref, repo, err)
	}
	if commit != ref {
		rep.RequestedRef = ref
		r.printf("--app-ref %s is commit %s\n", ref, commit)
	}
	return commit, nil
}
