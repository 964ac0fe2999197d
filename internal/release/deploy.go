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
}

// Deploy updates a colour's stack (baking if needed; `up` waits for healthy capacity).
// It refuses to change the fleet of a colour that has weight, and to update the edge
// stack from a config whose weights differ from what the listener serves.
func (r *Release) Deploy(ctx context.Context, c infra.Color, opts DeployOptions) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	weight := st.weights.Of(c)
	// Before the first deploy there are no deployed weights to compare with.
	if c == st.color && !opts.Force && st.deployed != nil && st.deployed.Weights != st.weights {
		return Refusef("Pulumi.%s.yaml says %s but the deployed listener serves %s: commit the weights of the last shift (or --force)", st.color, st.weights, st.deployed.Weights)
	}
	before, err := r.Engine.Config(ctx, c)
	if err != nil {
		return err
	}
	changes := deployChanges(before, opts)
	if len(changes) > 0 {
		// Check the result with the program's own validation before writing anything.
		merged := map[string]string{}
		maps.Copy(merged, before)
		maps.Copy(merged, changes)
		if _, err := infra.LoadConfig(infra.MapSource(merged)); err != nil {
			return UsageError{fmt.Errorf("the deploy of %s would leave an invalid config, nothing written: %w", c, err)}
		}
		if err := r.Engine.SetConfig(ctx, c, changes); err != nil {
			return err
		}
	}
	// The first deploy of the edge creates the colour's fleet: a fleet change, but one
	// that takes no traffic from anyone, as no listener exists yet.
	if weight > 0 && !opts.Force && !st.neverDeployed {
		if err := r.refuseFleetChange(ctx, c, weight); err != nil {
			r.restoreConfig(ctx, c, before, changes)
			return err
		}
	}
	r.printf("deploying %s (weight %d%%)\n", c, weight)
	ch, err := r.Engine.Up(ctx, c, nil)
	if err != nil {
		return err
	}
	r.printf("deployed %s: %v\n", c, ch.Counts)
	return nil
}

// deployChanges is what a deploy writes into the colour's config. A capacity below the
// colour's minSize (as the program reads it, default included) lowers minSize with it;
// when the current config does not load, the validation of the result says why.
func deployChanges(before map[string]string, opts DeployOptions) map[string]string {
	changes := map[string]string{}
	if opts.AppRef != "" {
		changes["appRef"] = opts.AppRef
	}
	if d := opts.DesiredCapacity; d != nil {
		changes["desiredCapacity"] = strconv.Itoa(*d)
		if cfg, err := infra.LoadConfig(infra.MapSource(before)); err == nil && *d < cfg.MinSize {
			changes["minSize"] = strconv.Itoa(*d)
		}
	}
	return changes
}

// refuseFleetChange previews a deploy of a colour with weight and refuses it when it
// would change the colour's fleet or image.
func (r *Release) refuseFleetChange(ctx context.Context, c infra.Color, weight int) error {
	evs, err := r.Engine.Preview(ctx, c)
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

func (r *Release) restoreConfig(ctx context.Context, c infra.Color, before, changed map[string]string) {
	old := map[string]string{}
	for k := range changed {
		old[k] = before[k]
	}
	if err := r.Engine.SetConfig(ctx, c, old); err != nil {
		r.printf("warning: could not restore the config of %s: %v\n", c, err)
	}
}

// refuseIfWeighted refuses to touch a colour that serves traffic.
func (r *Release) refuseIfWeighted(ctx context.Context, c infra.Color, what string) (*edgeState, error) {
	st, err := r.edge(ctx)
	if err != nil {
		return nil, err
	}
	if w := st.weights.Of(c); w > 0 {
		return nil, Refusef("%s has %d%% of traffic (%s): shift it away before you %s it", c, w, st.weights, what)
	}
	return st, nil
}

// Destroy deletes a colour's stack resources. The edge colour goes last: the other
// colour runs in its network.
func (r *Release) Destroy(ctx context.Context, c infra.Color) error {
	st, err := r.refuseIfWeighted(ctx, c, "destroy")
	if err != nil {
		return err
	}
	if c == st.color {
		other, err := r.Engine.Outputs(ctx, c.Other())
		if err != nil {
			return err
		}
		if len(other) > 0 {
			return Refusef("%s is the edge stack and %s still runs in its network: destroy %s first", c, c.Other(), c.Other())
		}
	}
	r.printf("destroying %s\n", c)
	return r.Engine.Destroy(ctx, c)
}

// Retire scales an idle colour to zero after a wait (for connections to drain and for
// a last look), re-checking its weight after the wait.
func (r *Release) Retire(ctx context.Context, c infra.Color, wait time.Duration) error {
	if _, err := r.refuseIfWeighted(ctx, c, "retire"); err != nil {
		return err
	}
	if wait > 0 {
		r.printf("retiring %s in %s\n", c, wait)
		if err := r.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
		if _, err := r.refuseIfWeighted(ctx, c, "retire"); err != nil {
			return err
		}
	}
	if err := r.Engine.SetConfig(ctx, c, map[string]string{"minSize": "0", "desiredCapacity": "0"}); err != nil {
		return err
	}
	ch, err := r.Engine.Up(ctx, c, nil)
	if err != nil {
		return err
	}
	r.printf("retired %s: scaled to 0 (%v)\n", c, ch.Counts)
	return nil
}
