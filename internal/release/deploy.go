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

// DeployOptions are the release inputs of `deploy`.
type DeployOptions struct {
	AppRef          string
	DesiredCapacity *int
	Force           bool
	BaseAmiID       string // the prerequisites stage's source AMI (else the outputs' pin; images.go)
}

// Deploy updates a colour's stack (baking if needed; `up` waits for healthy capacity)
// under the release lease. It refuses to change the fleet of a colour that serves
// traffic, and to deploy into the target of a release in progress. An update of the edge
// stack passes the weights the listener serves, so a checkout's config never moves
// traffic. The lease is kept after deploying an idle colour, for the release into it.
func (r *Release) Deploy(ctx context.Context, c infra.Color, opts DeployOptions) error {
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
// written into the checkout), after checking the fleet change against its weight.
func (r *Release) deploy(ctx context.Context, st *state, c infra.Color, weight int, opts DeployOptions) error {
	run, err := r.releaseInputs(ctx, st, c, opts)
	if err != nil {
		return err
	}
	// The first deploy of the edge creates the colour's fleet: a fleet change, but one
	// that takes no traffic from anyone, as no listener exists yet.
	if weight > 0 && !opts.Force && !st.neverDeployed {
		if err := r.refuseFleetChange(ctx, c, weight, run); err != nil {
			return err
		}
	}
	r.printf("deploying %s (weight %d%%)\n", c, weight)
	ch, err := r.up(ctx, c, run)
	if err != nil {
		return err
	}
	r.printf("deployed %s: %v\n", c, ch.Counts)
	return nil
}

// releaseInputs are the run options of a colour's update: the live weights for the edge,
// and the release inputs — the version and capacity the flags give, else the ones the
// colour's stack outputs say it runs (never a checkout's, which may be stale), lowering
// minSize with a capacity below it. The result is validated with the program's own
// rules before anything runs.
func (r *Release) releaseInputs(ctx context.Context, st *state, c infra.Color, opts DeployOptions) (UpOptions, error) {
	cfg, err := r.Engine.Config(ctx, c)
	if err != nil {
		return UpOptions{}, err
	}
	outs, err := r.Engine.Outputs(ctx, c)
	if err != nil {
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

// refuseFleetChange previews a deploy of a colour with weight and refuses it when it
// would change the colour's fleet or image.
func (r *Release) refuseFleetChange(ctx context.Context, c infra.Color, weight int, run UpOptions) error {
	evs, err := r.Engine.Preview(ctx, c, run)
	if err != nil {
		return err
	}
	var touched []string
	for _, s := range preview.Steps(evs) {
		if s.Op != "same" && fleetChange(s.URN) {
			touched = append(touched, s.URN)
		}
	}
	if len(touched) > 0 {
		return Refusef("%s has %d%% of traffic and this deploy would change its fleet (%s): shift traffic away first, deploy the idle colour, or --force",
			c, weight, strings.Join(touched, ", "))
	}
	return nil
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
