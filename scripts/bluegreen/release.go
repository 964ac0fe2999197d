package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// Exit codes of the tool (README: "bluegreen exit codes").
const (
	exitOK         = 0
	exitFailed     = 1 // the operation failed; nothing was rolled back (or the rollback itself failed)
	exitUsage      = 2 // bad arguments or flags; nothing ran
	exitRefused    = 3 // a safety check refused the operation; nothing was changed
	exitRolledBack = 4 // a shift failed its checks and the weights were restored and verified
)

// refusal is a safety check saying no before anything changes.
type refusal struct{ msg string }

func (r refusal) Error() string { return "refused: " + r.msg }

func refusef(format string, a ...any) error { return refusal{fmt.Sprintf(format, a...)} }

// rolledBack reports a shift that failed and was put back where it began.
type rolledBack struct {
	cause    error
	restored infra.Weights
}

func (r rolledBack) Error() string {
	return fmt.Sprintf("shift failed and was rolled back to %s: %v", r.restored, r.cause)
}

func (r rolledBack) Unwrap() error { return r.cause }

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(usageError)):
		return exitUsage
	case errors.As(err, new(refusal)):
		return exitRefused
	case errors.As(err, new(rolledBack)):
		return exitRolledBack
	}
	return exitFailed
}

// Clock lets tests run pauses without waiting.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Limits are the health gates of a shift. Defaults come from the colour's alarm config,
// so the tool and the CloudWatch alarms use the same thresholds.
type Limits struct {
	Max5xxPercent float64
	MaxP99        time.Duration
}

// ShiftOptions describes one shift.
type ShiftOptions struct {
	Target   infra.Color
	Steps    []int         // ascending percentages for Target, ending at 100 for a full shift
	Pause    time.Duration // health watch after each step
	Interval time.Duration // between health checks during a pause
	Manual   bool          // stop after each step until `promote`
	Limits   *Limits       // nil: from config
}

// Release runs the release operations against an Engine and AWS.
type Release struct {
	Engine Engine
	Health Health
	Clock  Clock
	Out    io.Writer
	// Touched records, per targeted update, what the engine changed (for reporting and tests).
	Touched []Changes
}

func (r *Release) printf(format string, a ...any) { fmt.Fprintf(r.Out, format, a...) }

// edgeState is what the edge stack knows: weights (config, the source of truth),
// the stable colour, and the outputs the tool needs.
type edgeState struct {
	colour      infra.Color
	weights     infra.Weights
	stable      infra.Color
	listenerURN string
	listenerArn string
	tgArns      map[string]string
	tgSuffixes  map[string]string
	albSuffix   string
	albURL      string
	outputs     map[string]any
}

// edge finds the edge stack (the colour whose config says edge: true) and reads it.
func (r *Release) edge(ctx context.Context) (*edgeState, error) {
	for _, c := range infra.Colors {
		cfg, err := r.Engine.Config(ctx, c)
		if err != nil {
			return nil, err
		}
		if cfg["edge"] != "true" {
			continue
		}
		st := &edgeState{colour: c}
		gw, err := strconv.Atoi(cfg["greenWeight"])
		if err != nil || gw < 0 || gw > 100 {
			return nil, fmt.Errorf("edge stack %s: webapi:greenWeight %q is not 0-100", c, cfg["greenWeight"])
		}
		st.weights = infra.WeightsFor(gw)
		if st.stable, err = infra.ParseColor(cfg["stableColor"]); err != nil {
			st.stable = infra.Blue
		}
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return nil, err
		}
		st.outputs = outs
		st.listenerURN, _ = outs[infra.OutListenerURN].(string)
		st.listenerArn, _ = outs[infra.OutListenerArn].(string)
		st.albSuffix, _ = outs[infra.OutAlbArnSuffix].(string)
		st.albURL, _ = outs[infra.OutAlbURL].(string)
		st.tgArns, st.tgSuffixes = stringMap(outs[infra.OutTargetGroupArns]), stringMap(outs[infra.OutTargetGroupArnSuffixes])
		return st, nil
	}
	return nil, fmt.Errorf("neither stack has webapi:edge true: deploy the edge stack (blue) first")
}

func (st *edgeState) requireDeployed() error {
	if st.listenerURN == "" || st.listenerArn == "" || len(st.tgArns) < 2 {
		return refusef("the edge stack %s has not been deployed (no listener outputs): run `bluegreen deploy %s` first", st.colour, st.colour)
	}
	return nil
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if s, ok := x.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// with returns the weights that give target the percent and the other colour the rest.
func with(target infra.Color, percent int) infra.Weights {
	gw, _ := infra.GreenWeightFor(target, percent)
	return infra.WeightsFor(gw)
}

// limitsFor reads the alarm thresholds of a colour's stack config.
func (r *Release) limitsFor(ctx context.Context, c infra.Color) (Limits, error) {
	cfg, err := r.Engine.Config(ctx, c)
	if err != nil {
		return Limits{}, err
	}
	pct, err1 := strconv.Atoi(cfg["alarm5xxPercent"])
	ms, err2 := strconv.Atoi(cfg["alarmLatencyMs"])
	if err1 != nil || err2 != nil {
		return Limits{}, fmt.Errorf("stack %s: alarm thresholds %q / %q are not whole numbers", c, cfg["alarm5xxPercent"], cfg["alarmLatencyMs"])
	}
	return Limits{Max5xxPercent: float64(pct), MaxP99: time.Duration(ms) * time.Millisecond}, nil
}

// apply sets the weights on the edge stack and updates the listener alone, then checks
// through the AWS API that the listener really has them.
func (r *Release) apply(ctx context.Context, st *edgeState, w infra.Weights) error {
	if err := r.Engine.SetConfig(ctx, st.colour, map[string]string{"greenWeight": strconv.Itoa(w.Green)}); err != nil {
		return err
	}
	ch, err := r.Engine.Up(ctx, st.colour, []string{st.listenerURN})
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
		live, err := r.Health.ListenerWeights(ctx, st.listenerArn)
		if err != nil {
			last = err.Error()
			continue
		}
		ok := len(live) == len(infra.Colors)
		for _, c := range infra.Colors {
			if live[st.tgArns[string(c)]] != w.Of(c) {
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

// Shift moves traffic to opts.Target step by step. It resumes from the current weights,
// refuses to start without healthy targets in the receiving colour, watches health
// after each step, and on any failure restores all traffic to the stable colour.
func (r *Release) Shift(ctx context.Context, opts ShiftOptions) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	if err := st.requireDeployed(); err != nil {
		return err
	}
	current := st.weights.Of(opts.Target)
	var pending []int
	for _, s := range opts.Steps {
		if s > current {
			pending = append(pending, s)
		}
	}
	if len(pending) == 0 {
		r.printf("%s already has %d%% (%s): nothing to shift\n", opts.Target, current, st.weights)
		return nil
	}
	// Moving part of the traffic back towards the stable colour is a rollback, not a
	// release; checked before anything is asked of AWS or written.
	if current > 0 && st.stable == opts.Target {
		return refusef("%s is the stable colour of the last shift; use `bluegreen rollback` to send traffic back to it", opts.Target)
	}
	limits := Limits{}
	if opts.Limits != nil {
		limits = *opts.Limits
	} else if limits, err = r.limitsFor(ctx, opts.Target); err != nil {
		return err
	}
	counts, err := r.Health.TargetHealth(ctx, st.tgArns[string(opts.Target)])
	if err != nil {
		return err
	}
	if counts.Healthy == 0 {
		return refusef("%s has no healthy targets (%d registered): deploy it and wait for its health checks before shifting traffic to it", opts.Target, counts.Total)
	}
	// A shift that starts with the receiving colour at 0% records who served before, so
	// rollback (and a failure here) know where to send everything back.
	if current == 0 {
		if err := r.Engine.SetConfig(ctx, st.colour, map[string]string{"stableColor": string(opts.Target.Other())}); err != nil {
			return err
		}
		st.stable = opts.Target.Other()
	}
	restore := with(st.stable, 100)
	if current > 0 {
		r.printf("resuming: %s has %d%%; continuing with steps %v\n", opts.Target, current, pending)
	}

	for i, step := range pending {
		w := with(opts.Target, step)
		stepStart := r.Clock.Now()
		label := fmt.Sprintf("step %d/%d %s %d%%", i+1, len(pending), opts.Target, step)
		r.printf("%s: setting %s\n", label, w)
		err := r.apply(ctx, st, w)
		if err == nil {
			r.printf("%s: listener verified at %s\n", label, w)
			err = r.watch(ctx, st, opts, limits, label, stepStart)
		}
		if err != nil {
			r.printf("%s: FAILED: %v\n%s: restoring %s\n", label, err, label, restore)
			if rerr := r.apply(ctx, st, restore); rerr != nil {
				return fmt.Errorf("ROLLBACK FAILED (weights may be at %s; run `bluegreen rollback`): %v (shift failure: %w)", w, rerr, err)
			}
			r.printf("%s: restored and verified %s\n", label, restore)
			return rolledBack{cause: err, restored: restore}
		}
		if opts.Manual && i < len(pending)-1 {
			r.printf("paused at %s: check it, then run `bluegreen promote` to continue (or `bluegreen rollback`)\n", w)
			return nil
		}
	}
	r.printf("shift complete: %s\n", with(opts.Target, pending[len(pending)-1]))
	return nil
}

// watch checks the receiving colour for the pause: every target healthy, 5xx rate and
// p99 latency within limits.
func (r *Release) watch(ctx context.Context, st *edgeState, opts ShiftOptions, limits Limits, label string, since time.Time) error {
	end := since.Add(opts.Pause)
	tg := st.tgArns[string(opts.Target)]
	for {
		counts, err := r.Health.TargetHealth(ctx, tg)
		if err != nil {
			return err
		}
		if counts.Total == 0 || counts.Healthy < counts.Total {
			return fmt.Errorf("%s: %d of %d targets healthy", opts.Target, counts.Healthy, counts.Total)
		}
		now := r.Clock.Now()
		m, err := r.Health.Metrics(ctx, st.albSuffix, st.tgSuffixes[string(opts.Target)], since, now)
		if err != nil {
			return err
		}
		left := end.Sub(now)
		if left < 0 {
			left = 0
		}
		latency := "n/a"
		if m.HasLatency {
			latency = m.P99.Round(time.Millisecond).String()
		}
		r.printf("%s | targets %d/%d healthy | 5xx %.2f%% of %.0f requests (max %.2f%%) | p99 %s (max %s) | %s left\n",
			label, counts.Healthy, counts.Total, m.ErrorPercent(), m.Requests, limits.Max5xxPercent, latency, limits.MaxP99, left.Round(time.Second))
		if m.ErrorPercent() > limits.Max5xxPercent {
			return fmt.Errorf("%s: 5xx rate %.2f%% is above %.2f%%", opts.Target, m.ErrorPercent(), limits.Max5xxPercent)
		}
		if m.HasLatency && m.P99 > limits.MaxP99 {
			return fmt.Errorf("%s: p99 latency %s is above %s", opts.Target, m.P99.Round(time.Millisecond), limits.MaxP99)
		}
		if left <= 0 {
			return nil
		}
		wait := opts.Interval
		if wait <= 0 || wait > left {
			wait = left
		}
		if err := r.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Promote continues a manual shift with its next step (or straight to 100% with full).
func (r *Release) Promote(ctx context.Context, opts ShiftOptions, full bool) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	target := st.stable.Other()
	if st.weights.Of(target) == 0 {
		return refusef("no shift is in progress (%s): start one with `bluegreen shift %s --manual`", st.weights, target)
	}
	opts.Target = target
	if full {
		opts.Steps = []int{100}
	}
	return r.Shift(ctx, opts)
}

// Rollback sends all traffic back to the stable colour in one targeted update.
func (r *Release) Rollback(ctx context.Context, force bool) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	if err := st.requireDeployed(); err != nil {
		return err
	}
	w := with(st.stable, 100)
	counts, err := r.Health.TargetHealth(ctx, st.tgArns[string(st.stable)])
	if err != nil {
		return err
	}
	if counts.Healthy == 0 && !force {
		return refusef("%s (the stable colour) has no healthy targets; rolling back would send all traffic to nothing (use --force to do it anyway)", st.stable)
	}
	start := r.Clock.Now()
	if err := r.apply(ctx, st, w); err != nil {
		return err
	}
	last := r.Touched[len(r.Touched)-1]
	r.printf("rolled back to %s in %s (%d resource(s) updated: %s)\n", w, r.Clock.Now().Sub(start).Round(time.Millisecond), last.Modified(), strings.Join(last.Touched, ", "))
	return nil
}

// fleetChange says whether a preview changes a colour's fleet or image.
func fleetChange(urn string) bool {
	return strings.Contains(urn, "webapi:infra:Fleet") || strings.Contains(urn, "webapi:infra:Image")
}

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
	if c == st.colour && !opts.Force {
		if live, err := infra.ParseWeights(st.outputs[infra.OutWeights]); err == nil && live != st.weights {
			return refusef("Pulumi.%s.yaml says %s but the deployed listener serves %s: commit the weights of the last shift (or --force)", st.colour, st.weights, live)
		}
	}
	before, err := r.Engine.Config(ctx, c)
	if err != nil {
		return err
	}
	changes := map[string]string{}
	if opts.AppRef != "" {
		changes["appRef"] = opts.AppRef
	}
	if opts.DesiredCapacity != nil {
		changes["desiredCapacity"] = strconv.Itoa(*opts.DesiredCapacity)
		if *opts.DesiredCapacity < atoiOr(before["minSize"], 0) {
			changes["minSize"] = strconv.Itoa(*opts.DesiredCapacity)
		}
	}
	if len(changes) > 0 {
		// Check the result with the program's own validation before writing anything.
		merged := map[string]string{}
		for k, v := range before {
			merged[k] = v
		}
		for k, v := range changes {
			merged[k] = v
		}
		if _, err := infra.LoadConfig(infra.MapSource(merged)); err != nil {
			return usageError{fmt.Sprintf("the deploy of %s would leave an invalid config, nothing written: %v", c, err)}
		}
		if err := r.Engine.SetConfig(ctx, c, changes); err != nil {
			return err
		}
	}
	if weight > 0 && !opts.Force {
		evs, err := r.Engine.Preview(ctx, c)
		if err != nil {
			r.restoreConfig(ctx, c, before, changes)
			return err
		}
		var touched []string
		for _, s := range stepsOf(evs) {
			if s.Op != "same" && fleetChange(s.URN) {
				touched = append(touched, s.URN)
			}
		}
		if len(touched) > 0 {
			r.restoreConfig(ctx, c, before, changes)
			return refusef("%s has %d%% of traffic and this deploy would change its fleet (%s): shift traffic away first, deploy the idle colour, or --force",
				c, weight, strings.Join(touched, ", "))
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

func (r *Release) restoreConfig(ctx context.Context, c infra.Color, before, changed map[string]string) {
	old := map[string]string{}
	for k := range changed {
		old[k] = before[k]
	}
	if err := r.Engine.SetConfig(ctx, c, old); err != nil {
		r.printf("warning: could not restore the config of %s: %v\n", c, err)
	}
}

func atoiOr(s string, d int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return d
}

// refuseIfWeighted refuses to touch a colour that serves traffic.
func (r *Release) refuseIfWeighted(ctx context.Context, c infra.Color, what string) (*edgeState, error) {
	st, err := r.edge(ctx)
	if err != nil {
		return nil, err
	}
	if w := st.weights.Of(c); w > 0 {
		return nil, refusef("%s has %d%% of traffic (%s): shift it away before you %s it", c, w, st.weights, what)
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
	if c == st.colour {
		other, err := r.Engine.Outputs(ctx, c.Other())
		if err != nil {
			return err
		}
		if len(other) > 0 {
			return refusef("%s is the edge stack and %s still runs in its network: destroy %s first", c, c.Other(), c.Other())
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

// Idle returns the colour without traffic, the one to release into. Mid-shift there is
// none: promote or roll back first.
func (r *Release) Idle(ctx context.Context) (infra.Color, error) {
	st, err := r.edge(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range infra.Colors {
		if st.weights.Of(c) == 0 {
			return c, nil
		}
	}
	return "", refusef("a shift is in progress (%s): run `bluegreen promote` or `bluegreen rollback` first", st.weights)
}

// Status prints, per colour, what it runs, its capacity and health, and its weight.
func (r *Release) Status(ctx context.Context) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	r.printf("ALB: %s   weights: %s   stable colour: %s\n", orDash(st.albURL), st.weights, st.stable)
	r.printf("%-6s %-7s %-24s %-22s %-8s %s\n", "COLOUR", "WEIGHT", "APP REF", "AMI", "DESIRED", "HEALTHY TARGETS")
	for _, c := range infra.Colors {
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return err
		}
		healthy := "-"
		if tg := st.tgArns[string(c)]; tg != "" && r.Health != nil {
			if counts, err := r.Health.TargetHealth(ctx, tg); err == nil {
				healthy = fmt.Sprintf("%d/%d", counts.Healthy, counts.Total)
			} else {
				healthy = "unknown (" + err.Error() + ")"
			}
		}
		r.printf("%-6s %-7s %-24s %-22s %-8s %s\n", c, fmt.Sprintf("%d%%", st.weights.Of(c)),
			orDash(fmt.Sprint(outs[infra.OutAppRef])), orDash(fmt.Sprint(outs[infra.OutAmiID])), orDash(fmt.Sprint(outs[infra.OutDesired])), healthy)
	}
	return nil
}

func orDash(s string) string {
	if s == "" || s == "<nil>" {
		return "-"
	}
	return s
}
