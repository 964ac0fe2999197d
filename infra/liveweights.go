package infra

import (
	"fmt"
	"math"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// listenerWeights decides the split the traffic listener gets in this run: the run's own
// (the tool: live weights, or a shift step's target); else what the listener serves now,
// read live from AWS; else, for a listener not created yet, webapi:greenWeight (the
// initial split — the only thing that key means once the listener exists).
func listenerWeights(ctx *pulumi.Context, cfg *Config, opts RunOptions) (Weights, error) {
	if opts.ListenerWeights != nil {
		return *opts.ListenerWeights, nil
	}
	live, deployed, err := servedWeights(ctx)
	if err != nil || deployed {
		return live, err
	}
	return WeightsFor(cfg.GreenWeight), nil
}

// servedWeights reads the weights the deployed traffic listener serves. The listener's
// ARN and the target groups come from this stack's own last outputs (a StackReference
// to itself, as in pulumi/pulumi#3722), the weights from AWS (getListener): never from
// state or config, so a change made on the ALB outside Pulumi is kept too.
func servedWeights(ctx *pulumi.Context) (Weights, bool, error) {
	self := fmt.Sprintf("%s/%s/%s", ctx.Organization(), ctx.Project(), ctx.Stack())
	ref, err := pulumi.NewStackReference(ctx, "self", &pulumi.StackReferenceArgs{Name: pulumi.String(self)})
	if err != nil {
		return Weights{}, false, fmt.Errorf("reading this stack's last outputs: %w", err)
	}
	raw := map[string]any{}
	for _, name := range []string{OutListenerArn, OutTargetGroupArns} {
		d, err := ref.GetOutputDetails(name)
		if err != nil {
			return Weights{}, false, fmt.Errorf("reading this stack's output %q: %w", name, err)
		}
		if d != nil && d.Value != nil {
			raw[name] = d.Value
		}
	}
	arn, _ := raw[OutListenerArn].(string)
	tgs, _ := raw[OutTargetGroupArns].(map[string]any)
	if arn == "" || len(tgs) == 0 {
		return Weights{}, false, nil // never deployed: no listener to keep
	}
	l, err := lb.LookupListener(ctx, &lb.LookupListenerArgs{Arn: pulumi.StringRef(arn)})
	if err != nil {
		return Weights{}, false, fmt.Errorf("reading the live weights of the traffic listener %s: %w", arn, err)
	}
	byArn := map[string]int{}
	for _, a := range l.DefaultActions {
		for _, f := range a.Forwards {
			for _, tg := range f.TargetGroups {
				byArn[tg.Arn] = tg.Weight
			}
		}
	}
	w, err := percentOf(byArn, tgs)
	if err != nil {
		return Weights{}, false, fmt.Errorf("traffic listener %s: %w", arn, err)
	}
	return w, true, nil
}

// percentOf turns the listener's forward weights (0-999 each, relative: AWS routes by
// their ratio) into the percentages the program speaks, by colour.
func percentOf(byArn map[string]int, tgArns map[string]any) (Weights, error) {
	arnOf := func(c Color) string { s, _ := tgArns[string(c)].(string); return s }
	b, okB := byArn[arnOf(Blue)]
	g, okG := byArn[arnOf(Green)]
	if !okB || !okG {
		return Weights{}, fmt.Errorf("it does not forward to both colours' target groups (weights %v)", byArn)
	}
	if b+g == 0 {
		return Weights{}, fmt.Errorf("both weights are 0")
	}
	green := int(math.Round(100 * float64(g) / float64(b+g)))
	return WeightsFor(green), nil
}
