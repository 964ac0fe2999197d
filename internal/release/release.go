// Package release is the blue/green release logic: the shift state machine and its
// health gates, rollback, deploy, retire and destroy with their safety checks, status
// and previews. It reaches Pulumi through Engine and AWS through Health (adapters in
// internal/engine and internal/awsops), never prints except to Release.Out, and reports
// outcomes as errors that ExitCode maps to the tool's documented exit codes.
package release

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// Limits are the health gates of a shift. Defaults come from the colour's alarm config,
// so the tool and the CloudWatch alarms use the same thresholds.
type Limits struct {
	Max5xxPercent float64
	MaxP99        time.Duration
}

// Release runs the release operations against an Engine and AWS.
type Release struct {
	Engine Engine
	Health Health // may be nil for commands that do not ask AWS (status says why)
	Clock  Clock
	Out    io.Writer
	// Touched records, per targeted update, what the engine changed (for reporting and tests).
	Touched []Changes
}

func (r *Release) printf(format string, a ...any) { fmt.Fprintf(r.Out, format, a...) }

// config reads a colour's stack config through the program's own loader, so the tool
// sees exactly the values (defaults included) and the errors the program would. raw is
// the engine's map, for writing keys back.
func (r *Release) config(ctx context.Context, c infra.Color) (cfg *infra.Config, raw map[string]string, err error) {
	raw, err = r.Engine.Config(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	cfg, err = infra.LoadConfig(infra.MapSource(raw))
	if err != nil {
		// The program's wording (infra.Build), so the tool and `pulumi up` say the same.
		return nil, nil, fmt.Errorf("config of stack %s: %w", c, err)
	}
	return cfg, raw, nil
}

// edgeState is what the edge stack knows: the weights and stable colour its config
// holds (the tool keeps them there), and its deployed outputs.
type edgeState struct {
	color   infra.Color
	weights infra.Weights
	stable  infra.Color
	// deployed is nil before the first deploy (no outputs) or when the outputs do not
	// parse; undeployed then says why.
	deployed   *infra.EdgeValues
	undeployed string
	// neverDeployed: the edge stack has no outputs, so no listener exists and no colour
	// serves anything yet, whatever weights the config gives.
	neverDeployed bool
}

// edge finds the edge stack (the colour whose config says edge: true) and reads it.
func (r *Release) edge(ctx context.Context) (*edgeState, error) {
	for _, c := range infra.Colors {
		cfg, _, err := r.config(ctx, c)
		if err != nil {
			return nil, err
		}
		if !cfg.Edge {
			continue
		}
		st := &edgeState{color: c, weights: infra.WeightsFor(cfg.GreenWeight), stable: cfg.StableColor, undeployed: "no listener outputs"}
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return nil, err
		}
		st.neverDeployed = len(outs) == 0
		if len(outs) > 0 {
			if st.deployed, err = infra.ParseEdgeOutputs(string(c), outs); err != nil {
				st.undeployed = err.Error()
			}
		}
		return st, nil
	}
	return nil, fmt.Errorf("neither stack has webapi:edge true: deploy the edge stack (blue) first")
}

func (st *edgeState) requireDeployed() error {
	if st.deployed == nil || st.deployed.ListenerURN == "" || st.deployed.ListenerArn == "" {
		return Refusef("the edge stack %s has not been deployed (%s): run `bluegreen deploy %s` first", st.color, st.undeployed, st.color)
	}
	return nil
}

// targetGroup is a colour's target group ARN, empty before the edge is deployed.
func (st *edgeState) targetGroup(c infra.Color) string {
	if st.deployed == nil {
		return ""
	}
	return st.deployed.TargetGroupArns[string(c)]
}

// with returns the weights that give target the percent and the other colour the rest.
func with(target infra.Color, percent int) infra.Weights {
	gw, _ := infra.GreenWeightFor(target, percent)
	return infra.WeightsFor(gw)
}

// limitsFor reads the alarm thresholds of a colour's stack config.
func (r *Release) limitsFor(ctx context.Context, c infra.Color) (Limits, error) {
	cfg, _, err := r.config(ctx, c)
	if err != nil {
		return Limits{}, err
	}
	return Limits{Max5xxPercent: float64(cfg.Alarm5xxPercent), MaxP99: time.Duration(cfg.AlarmLatencyMs) * time.Millisecond}, nil
}

// apply sets the weights on the edge stack and updates the listener alone, then checks
// through the AWS API that the listener really has them.
func (r *Release) apply(ctx context.Context, st *edgeState, w infra.Weights) error {
	if err := r.Engine.SetConfig(ctx, st.color, map[string]string{"greenWeight": strconv.Itoa(w.Green)}); err != nil {
		return err
	}
	ch, err := r.Engine.Up(ctx, st.color, []string{st.deployed.ListenerURN})
	if err != nil {
		return fmt.Errorf("listener update to %s: %w", w, err)
	}
	r.Touched = append(r.Touched, ch)
	return r.verify(ctx, st, w)
}

// verify compares the listener's live weights with w, a few times to let the ALB settle.
func (r *Release) verify(ctx context.Context, st *edgeState, w infra.Weights) error {
	var last string
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if err := r.Clock.Sleep(ctx, 5*time.Second); err != nil {
				return err
			}
		}
		live, err := r.Health.ListenerWeights(ctx, st.deployed.ListenerArn)
		if err != nil {
			last = err.Error()
			continue
		}
		ok := len(live) == len(infra.Colors)
		for _, c := range infra.Colors {
			if live[st.targetGroup(c)] != w.Of(c) {
				ok = false
			}
		}
		if ok {
			return nil
		}
		last = fmt.Sprintf("listener has %v, want %s", live, w)
	}
	return fmt.Errorf("verify listener weights: %s", last)
}
