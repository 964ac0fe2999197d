package release

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// state is what a command starts from: the edge stack's config and outputs, the weights
// the listener serves (read live), and the release record.
type state struct {
	edge infra.Color
	// deployed is nil before the first deploy (no outputs) or when the outputs do not
	// parse; undeployed then says why.
	deployed   *infra.EdgeValues
	undeployed string
	// neverDeployed: the edge stack has no outputs, so no listener exists and no colour
	// serves anything yet, whatever weights the config gives.
	neverDeployed bool
	// live is what the listener serves: read from AWS (liveFromALB), or, without AWS, the
	// edge stack's weights output (the listener as of its last update). Zero before the
	// first deploy.
	live        infra.Weights
	liveFromALB bool
	// liveErr is why the listener could not be read by a read-only look (lookReadOnly):
	// live then holds the edge stack's weights output.
	liveErr error
	rec     record.Record
}

// look reads the state every command starts from and reports drift between the edge
// stack's state and the listener: decisions use the listener, and a listener that
// cannot be read fails the command.
func (r *Release) look(ctx context.Context) (*state, error) { return r.lookAt(ctx, false) }

// lookReadOnly is look for commands that change nothing (status): a listener that cannot
// be read (no or expired credentials, throttling) leaves the edge stack's weights output
// in live, and liveErr says why.
func (r *Release) lookReadOnly(ctx context.Context) (*state, error) { return r.lookAt(ctx, true) }

func (r *Release) lookAt(ctx context.Context, readOnly bool) (*state, error) {
	st, raw, err := r.edgeState(ctx)
	if err != nil {
		return nil, err
	}
	if st.deployed != nil {
		st.live = st.deployed.Weights
		if r.Health != nil {
			live, err := r.readLive(ctx, st)
			switch {
			case err == nil:
				st.live, st.liveFromALB = live, true
			case readOnly:
				st.liveErr = err
			default:
				return nil, err
			}
		}
		if st.liveFromALB && st.deployed.Weights != st.live {
			r.printf("drift: the edge stack's state says %s, the listener serves %s (the listener decides)\n", st.deployed.Weights, st.live)
		}
	}
	if r.Store != nil {
		if st.rec, _, err = r.Store.Load(ctx); err != nil {
			return nil, fmt.Errorf("reading the release record: %w", err)
		}
		if err := r.seedStable(ctx, st, raw); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// edgeState finds the edge stack (the colour whose config says edge: true) and reads its
// outputs; raw is its config. A stack the backend does not have is not deployed (reads
// never create one): with no existing stack the edge, nothing is, and the edge is taken
// to be the first colour without a stack (blue on a new backend).
func (r *Release) edgeState(ctx context.Context) (*state, map[string]string, error) {
	var missing []infra.Color
	for _, c := range infra.Colors {
		cfg, raw, err := r.config(ctx, c)
		if errors.Is(err, ErrStackNotFound) {
			missing = append(missing, c)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if !cfg.Edge {
			continue
		}
		st := &state{edge: c, undeployed: "no listener outputs"}
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		st.neverDeployed = len(outs) == 0
		if len(outs) > 0 {
			if st.deployed, err = infra.ParseEdgeOutputs(string(c), outs); err != nil {
				st.undeployed = err.Error()
			}
		}
		return st, raw, nil
	}
	if len(missing) > 0 {
		return &state{edge: missing[0], undeployed: "its stack does not exist yet", neverDeployed: true}, nil, nil
	}
	return nil, nil, fmt.Errorf("neither stack has webapi:edge true: deploy the edge stack (blue) first")
}

// seedStable takes the stable colour from webapi:stableColor, where older tools kept it,
// once: when the record has none and the listener serves both colours (an older tool's
// shift stopped mid-way). Otherwise the next release records it when it starts.
func (r *Release) seedStable(ctx context.Context, st *state, raw map[string]string) error {
	old, err := infra.ParseColor(raw["stableColor"])
	if st.rec.StableColor != "" || err != nil || st.live.Blue == 0 || st.live.Green == 0 {
		return nil
	}
	rec, _, err := record.Update(ctx, r.Store, func(rec record.Record) (record.Record, error) {
		if rec.StableColor == "" {
			rec.StableColor = old
		}
		return rec, nil
	})
	if err != nil {
		return fmt.Errorf("seeding the release record's stable colour: %w", err)
	}
	st.rec = rec
	r.printf("the release record has no stable colour and the listener serves %s: took %s from webapi:stableColor of stack %s, where older tools kept it (this tool no longer writes it)\n",
		st.live, rec.StableColor, st.edge)
	return nil
}

// readLive reads the weights the listener serves now, by colour. AWS weights are
// relative (0-999 each); the tool speaks percentages.
func (r *Release) readLive(ctx context.Context, st *state) (infra.Weights, error) {
	if r.Health == nil {
		return infra.Weights{}, errors.New("the listener's live weights need AWS access")
	}
	byArn, err := r.Health.ListenerWeights(ctx, st.deployed.ListenerArn)
	if err != nil {
		return infra.Weights{}, err
	}
	b, okB := byArn[st.targetGroup(infra.Blue)]
	g, okG := byArn[st.targetGroup(infra.Green)]
	if !okB || !okG || b+g == 0 {
		return infra.Weights{}, fmt.Errorf("listener %s does not forward to both colours' target groups (weights %v)", st.deployed.ListenerArn, byArn)
	}
	return infra.WeightsFor(int(math.Round(100 * float64(g) / float64(b+g)))), nil
}

// lookDeployed is look, refused unless the edge stack is deployed: what every command
// that moves traffic starts with.
func (r *Release) lookDeployed(ctx context.Context) (*state, error) {
	st, err := r.look(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.requireDeployed(); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *state) requireDeployed() error {
	if st.deployed == nil || st.deployed.ListenerURN == "" || st.deployed.ListenerArn == "" {
		return Refusef("the edge stack %s has not been deployed (%s): run `bluegreen deploy %s` first", st.edge, st.undeployed, st.edge)
	}
	// An edge deployed before the listeners were named by port still names the old
	// listener in its outputs, and `up --target` does not follow aliases (CLI v3.274.1):
	// a targeted update of it would change nothing on AWS.
	if !infra.IsTrafficListenerURN(st.deployed.ListenerURN) {
		return Refusef("the edge stack %s was deployed by an older program (its traffic listener is %s): run `bluegreen deploy %s` once to upgrade it in place, then retry", st.edge, st.deployed.ListenerURN, st.edge)
	}
	return nil
}

// targetGroup is a colour's target group ARN, empty before the edge is deployed.
func (st *state) targetGroup(c infra.Color) string {
	if st.deployed == nil {
		return ""
	}
	return st.deployed.TargetGroupArns[string(c)]
}

// active is the release in progress, nil when none.
func (st *state) active() *record.Release {
	if record.Resume(st.rec) == record.NextNothing {
		return nil
	}
	return st.rec.Release
}

// rollbackable is what a rollback ends: the release in progress, or a held split (a
// --hold release that is done but leaves both colours serving); nil when neither.
func (st *state) rollbackable() *record.Release {
	if rel := st.active(); rel != nil {
		return rel
	}
	if record.Holding(st.rec) {
		return st.rec.Release
	}
	return nil
}

// liveOptions are the run options of an update of c that must not move traffic: the
// edge stack gets the weights read live; without a live reading the program keeps what
// the listener serves by itself.
func (st *state) liveOptions(c infra.Color) UpOptions {
	if c != st.edge || !st.liveFromALB {
		return UpOptions{}
	}
	w := st.live
	return UpOptions{Weights: &w}
}
