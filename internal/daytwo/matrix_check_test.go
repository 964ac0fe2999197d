package daytwo

import (
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
)

// The matrix's checker must be able to fail: these are the ways a plan can differ from
// its row, each caught.
func TestMatrixCheckCatchesEveryKindOfDifference(t *testing.T) {
	alb, asg := matrixKeys[0].Resource, matrixKeys[5].Resource
	rule := awsdouble.TypeListenerRule + "::edge-pin-blue"
	step := matrixStep{Label: "x", Stack: infra.Blue,
		Keys:   map[string]string{matrixColALB: "update"},
		Others: []matrixAllow{{"update", awsdouble.TypeMetricAlarm, "monitoring-blue-*"}}}
	alarm := awsdouble.TypeMetricAlarm + "::monitoring-blue-5xx"
	good := matrixPlan{alb: {Op: "update"}, asg: {Op: "same"}, alarm: {Op: "update"}}

	cases := []struct {
		name string
		plan matrixPlan
		says string
	}{
		{"as expected", good, ""},
		{"a key resource replaced", matrixWith(good, alb, matrixOp{"replace", []string{"name"}}), "ALB (" + alb + "): planned replace, the row expects update"},
		{"a key resource that should not change", matrixWith(good, asg, matrixOp{Op: "update"}), "ASG blue (" + asg + "): planned update, the row expects no change"},
		{"a key resource missing", matrixWithout(good, alb), "planned —, the row expects update"},
		{"an unexpected change", matrixWith(good, rule, matrixOp{"replace", []string{"listenerArn"}}), rule + ": planned replace (listenerArn), which the row does not expect"},
		{"an allowed resource with another op", matrixWith(good, alarm, matrixOp{Op: "replace"}), "planned replace, which the row does not expect"},
		{"an expected change missing", matrixWithout(good, alarm), "the row expects update of " + awsdouble.TypeMetricAlarm + "::monitoring-blue-*, and the plan has none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(matrixCheck(step, tc.plan), "\n")
			if tc.says == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.says)
		})
	}

	t.Run("a replacement without a reason", func(t *testing.T) {
		s := step
		s.Others = append(s.Others, matrixAllow{"replace", awsdouble.TypeListenerRule, "edge-pin-*"})
		p := matrixWith(good, rule, matrixOp{Op: "replace"})
		assert.Equal(t, []string{"the step replaces or deletes something and does not say why"}, matrixCheck(s, p))
		s.Why = "the rules follow the traffic listener"
		assert.Empty(t, matrixCheck(s, p))
	})

	t.Run("a change that may or may not be there", func(t *testing.T) {
		s := step
		s.Maybe = []matrixAllow{{"delete", awsdouble.TypeEip, "network-nat-2"}}
		s.Why = "a failed up before it may have created it"
		eip := awsdouble.TypeEip + "::network-nat-2"
		assert.Empty(t, matrixCheck(s, good), "absent: fine")
		assert.Empty(t, matrixCheck(s, matrixWith(good, eip, matrixOp{Op: "delete"})), "present: fine")
		assert.Contains(t, strings.Join(matrixCheck(s, matrixWith(good, eip, matrixOp{Op: "replace"})), "\n"), "which the row does not expect", "another op is not")
	})
}

func TestMatrixMarkdownShowsWhatWasMeasured(t *testing.T) {
	alb := matrixKeys[0].Resource
	subnet := awsdouble.TypeSubnet + "::network-public-0"
	res := []matrixResult{{
		Step: matrixStep{Label: "third AZ", Stack: infra.Blue, Why: "subnets move"},
		Plan: matrixPlan{alb: {Op: "update"}, subnet: {"replace", []string{"cidrBlock"}},
			awsdouble.TypeSubnet + "::network-public-2": {Op: "create"}, awsdouble.TypeVpc + "::network-vpc": {Op: "same"}},
		Outcome: "failed: InvalidSubnet.Conflict",
	}}
	md := matrixMarkdown(res)
	lines := strings.Split(md, "\n")
	assert.Equal(t, "| change | stack | ALB | listener :80 | listener :443 | TG blue | TG green | ASG blue | ASG green | VPC | other changes | up |", lines[0])
	assert.Equal(t, "| third AZ | blue | update | — | — | — | — | — | — | same | create Subnet network-public-2; replace Subnet network-public-0 (cidrBlock) | failed: InvalidSubnet.Conflict |", lines[2])
	assert.Contains(t, md, "- **third AZ**: subnets move")
}

// matrixWith is a copy of p with k planned as op.
func matrixWith(p matrixPlan, k string, op matrixOp) matrixPlan {
	out := maps.Clone(p)
	out[k] = op
	return out
}

// matrixWithout is a copy of p without k.
func matrixWithout(p matrixPlan, k string) matrixPlan {
	out := maps.Clone(p)
	delete(out, k)
	return out
}

func TestMatrixErrorLineIsTheAWSError(t *testing.T) {
	msg := "stack blue: up: exit status 255\n  aws:ec2:Subnet (network-private-1):\n" +
		"    error: update failed [diff: ~cidrBlock]; error: creating Subnet network-private-1: InvalidSubnet.Conflict: The CIDR '10.20.160.0/19' conflicts with another subnet\n"
	assert.Equal(t, "creating Subnet network-private-1: InvalidSubnet.Conflict: The CIDR '10.20.160.0/19' conflicts with another subnet",
		matrixErrorLine(msg, "InvalidSubnet.Conflict"))
	assert.Equal(t, "(no line says Nope)", matrixErrorLine(msg, "Nope"))
}
