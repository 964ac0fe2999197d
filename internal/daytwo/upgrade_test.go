package daytwo

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/release"
)

// Stacks deployed by the program as it was at fdcf84c (listeners edge-http, or
// edge-https and edge-http-redirect; ALB ingress rules named by list index) upgrade to
// today's names (by port; by port and range) in place: the aliases carry every
// resource over, so the first plan with today's program creates, replaces and deletes
// nothing, `up` keeps every listener ARN and rule ID in AWS, and the next plan is
// empty. Then, on the upgraded HTTP stack, a shift as the tool makes it, and the
// day-two changes the renames are for: a range put in front creates one rule, and
// turning TLS on updates the port-80 listener in place and creates the 443 one.
func TestUpgradeFromIndexNamesKeepsEveryResourceInPlace(t *testing.T) {
	for _, shape := range upgradeShapes {
		t.Run(shape.Name, func(t *testing.T) {
			t.Parallel()
			w := enginetest.New(t, enginetest.Options{Fixture: filepath.Join("testdata", "upgrade", shape.Name)})
			before := upgradeEdgeIDs(t, w.Double)
			everything := upgradeAllIDs(t, w.Double)
			require.ElementsMatch(t, shape.Edge, slices.Collect(maps.Keys(before)), "the fixture's listeners and ALB ingress rules in AWS")
			colors := upgradeColors(shape)

			for _, c := range colors {
				plan := w.Plan(t, c)
				require.Empty(t, upgradeUnexplained(c, enginetest.Changed(plan)), "%s: the first plan after the renames must only carry resources over", c)
				for _, name := range shape.NewNames[c] {
					assert.Equal(t, "same", plan[name], "%s: %s is the old resource under its new name", c, name)
				}
			}
			for _, c := range colors {
				w.Up(t, c)
			}
			assert.Equal(t, before, upgradeEdgeIDs(t, w.Double), "AWS: the same listeners and rules after the upgrade")
			assert.Equal(t, everything, upgradeAllIDs(t, w.Double), "AWS: the same resources, every one")
			for _, c := range colors {
				assert.Empty(t, enginetest.Changed(w.Plan(t, c)), "%s: a second plan after the upgrade", c)
			}
			// A shift targets the listener by the URN in the stack's outputs: only an up
			// with today's program puts today's name there.
			outs, err := w.Engine.Outputs(context.Background(), infra.Blue)
			require.NoError(t, err)
			assert.Equal(t, shape.ListenerURN, outs[infra.OutListenerURN], "the traffic listener's URN after the upgrade")

			if shape.Name == "http" {
				upgradeDayTwo(t, w, before)
			}
		})
	}
}

// upgradeSince lists what the first up after fdcf84c changes besides the renames, each
// on purpose and each with its reason; every other change, and any create, replace or
// delete of a renamed resource, fails the upgrade test.
var upgradeSince = map[string]string{
	"aws:cloudwatch/metricAlarm:MetricAlarm::monitoring-%s-5xx=replace":       "alarm names carry org and project (issue 12 item 6); the name forces a new alarm",
	"aws:cloudwatch/metricAlarm:MetricAlarm::monitoring-%s-latency=replace":   "the same",
	"aws:cloudwatch/metricAlarm:MetricAlarm::monitoring-%s-unhealthy=replace": "the same",
	"aws:ec2/launchTemplate:LaunchTemplate::fleet-%s-lt=update":               "user data sets the app pool's variables (issue 12 item 4): a new template version",
	"aws:autoscaling/group:Group::fleet-%s-asg=update":                        "it follows the new template version",
	"aws:iam/role:Role::network-flow-logs=update":                             "trust policy with source conditions (issue 12 item 7)",
	"aws:iam/rolePolicy:RolePolicy::network-flow-logs=update":                 "CreateLogGroup and DescribeLogGroups (issue 12 item 7)",
}

// upgradeUnexplained is a colour's plan without the changes upgradeSince explains.
func upgradeUnexplained(c infra.Color, plan map[string]string) map[string]string {
	out := map[string]string{}
	for res, op := range plan {
		key := res + "=" + op
		if _, ok := upgradeSince[key]; ok {
			continue
		}
		if _, ok := upgradeSince[strings.Replace(key, "-"+string(c)+"-", "-%s-", 1)]; ok {
			continue
		}
		out[res] = op
	}
	return out
}

// upgradeDayTwo: on the upgraded HTTP stack, a shift (targeted at the listener URN the
// outputs now hold) updates the listener alone; a range in front of the list creates
// its rule and nothing else; then TLS on updates the port-80 listener (AWS allows one
// listener per port, so a new one beside it would be refused) and creates port 443.
func upgradeDayTwo(t *testing.T, w *enginetest.World, upgraded map[string]string) {
	// A shift as the tool makes it: an up of the listener alone, with the step's weights.
	ctx := context.Background()
	outs, err := w.Engine.Outputs(ctx, infra.Blue)
	require.NoError(t, err)
	shift, err := w.Engine.Up(ctx, infra.Blue, release.UpOptions{
		Targets: []string{outs[infra.OutListenerURN].(string)},
		Weights: &infra.Weights{Blue: 70, Green: 30},
	})
	require.NoError(t, err, w.Log.String())
	assert.Equal(t, []string{outs[infra.OutListenerURN].(string)}, shift.Touched, "a shift updates the listener alone")
	weights, err := w.Double.ListenerWeights(ctx, upgraded["listener 80"])
	require.NoError(t, err)
	assert.ElementsMatch(t, []int{70, 30}, slices.Collect(maps.Values(weights)), "the shift reached AWS")

	w.SetConfigList(t, infra.Blue, "ingressCidrs", "192.0.2.0/24", "203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32")
	assert.Equal(t, map[string]string{
		upgradeIngressType + "::edge-alb-in-80-192.0.2.0-24": "create",
	}, enginetest.Changed(w.Plan(t, infra.Blue)), "a range in front: one rule per port (one port without TLS), nothing else")
	w.Up(t, infra.Blue)
	widened := upgradeEdgeIDs(t, w.Double)
	assert.Equal(t, upgraded, upgradeWithout(widened, "in 80 192.0.2.0/24"), "the other rules keep their IDs")

	w.SetConfig(t, infra.Blue, "certificateArn", upgradeCertificateArn)
	plan := enginetest.Changed(w.Plan(t, infra.Blue))
	assert.Equal(t, map[string]string{
		upgradeListenerType + "::edge-listener-80":               "update",
		upgradeListenerType + "::edge-listener-443":              "create",
		upgradeIngressType + "::edge-alb-in-443-192.0.2.0-24":    "create",
		upgradeIngressType + "::edge-alb-in-443-203.0.113.0-24":  "create",
		upgradeIngressType + "::edge-alb-in-443-198.51.100.0-24": "create",
		upgradeIngressType + "::edge-alb-in-443-2001_db8__-32":   "create",
		// The header rules follow the traffic listener, which moves to 443; a rule's
		// listener_arn is ForceNew (terraform-provider-aws, internal/service/elbv2/
		// listener_rule.go), so they are replaced: created on 443, then deleted on 80.
		"aws:lb/listenerRule:ListenerRule::edge-pin-blue":  "replace",
		"aws:lb/listenerRule:ListenerRule::edge-pin-green": "replace",
	}, plan, "TLS on: port 80 updated in place, 443 created with its rules")
	w.Up(t, infra.Blue)
	tls := upgradeEdgeIDs(t, w.Double)
	assert.Equal(t, widened["listener 80"], tls["listener 80"], "the port-80 listener is the same one, now redirecting")
	assert.NotEmpty(t, tls["listener 443"])
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)), "after TLS on, a second plan")
}

// upgradeEdgeIDs reads from the double's store the physical IDs of the ALB's listeners
// ("listener <port>" → ARN) and of the ALB's ingress rules ("in <port> <cidr>" → rule
// ID); the instances' rule names a security group, not a range, and is left out.
func upgradeEdgeIDs(t *testing.T, d *awsdouble.Double) map[string]string {
	t.Helper()
	ids := map[string]string{}
	listeners, err := d.Resources(awsdouble.TypeListener)
	require.NoError(t, err)
	for _, l := range listeners {
		ids[fmt.Sprintf("listener %v", l.Props["port"])] = l.ID
	}
	rules, err := d.Resources(awsdouble.TypeSGIngressRule)
	require.NoError(t, err)
	for _, r := range rules {
		for _, k := range []string{"cidrIpv4", "cidrIpv6"} {
			if cidr, ok := r.Props[k].(string); ok && cidr != "" {
				ids[fmt.Sprintf("in %v %s", r.Props["fromPort"], cidr)] = r.ID
			}
		}
	}
	return ids
}

// upgradeAllIDs lists every resource in the double's store, "<type> <id>", sorted.
func upgradeAllIDs(t *testing.T, d *awsdouble.Double) []string {
	t.Helper()
	var out []string
	require.NoError(t, d.Store.View(func(st *awsdouble.State) error {
		for id, r := range st.Resources {
			// An alarm's id is its name, which upgradeSince says changes on purpose.
			if r.Type == "aws:cloudwatch/metricAlarm:MetricAlarm" {
				continue
			}
			out = append(out, r.Type+" "+id)
		}
		return nil
	}))
	slices.Sort(out)
	require.NotEmpty(t, out)
	return out
}

func upgradeWithout(ids map[string]string, key string) map[string]string {
	out := maps.Clone(ids)
	delete(out, key)
	return out
}

func upgradeColors(s upgradeShape) []infra.Color {
	var out []infra.Color
	for _, c := range infra.Colors {
		if _, ok := s.Stacks[c]; ok {
			out = append(out, c)
		}
	}
	return out
}
