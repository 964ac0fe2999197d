package infra

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// aliasesOf maps each registered name of a type to the old names it carries.
func aliasesOf(r runResult, token string) map[string][]string {
	out := map[string][]string{}
	for _, res := range r.mocks.byType(token) {
		out[res.Name] = res.Aliases
	}
	return out
}

// Listeners are named by port, so turning TLS on updates the port-80 listener in place
// (AWS refuses a second listener on a port); each carries the names stacks were deployed
// with before, so those stacks upgrade without a replacement.
func TestListenersAreNamedByPortWithTheOldNamesAsAliases(t *testing.T) {
	plain := aliasesOf(runOK(t, "blue", blueConfig(), nil), tListener)
	assert.Equal(t, map[string][]string{"edge-listener-80": {"edge-http", "edge-http-redirect"}}, plain)

	tls := aliasesOf(runOK(t, "blue", blueConfig("certificateArn", testCert), nil), tListener)
	assert.Equal(t, map[string][]string{
		"edge-listener-80":  {"edge-http", "edge-http-redirect"},
		"edge-listener-443": {"edge-https"},
	}, tls)
}

// Ingress rules are named by port and range: a range put in front of the list leaves
// the other rules' names (and so their resources) as they were.
func TestIngressRulesAreKeyedByRangeNotPosition(t *testing.T) {
	before := aliasesOf(runOK(t, "blue", blueConfig("ingressCidrs", `["198.51.100.0/24","2001:db8::/32"]`), nil), tIngress)
	after := aliasesOf(runOK(t, "blue", blueConfig("ingressCidrs", `["203.0.113.0/24","198.51.100.0/24","2001:db8::/32"]`), nil), tIngress)
	for _, name := range []string{"edge-alb-in-80-198.51.100.0-24", "edge-alb-in-80-2001_db8__-32"} {
		require.Contains(t, before, name)
		require.Contains(t, after, name, "a range added in front must not rename the others")
	}
	assert.Contains(t, after, "edge-alb-in-80-203.0.113.0-24")
	assert.Len(t, after, len(before)+1, "one more range, one more rule; the others keep their names")
	// The alias is the index name the rule has in this config, as stacks were deployed.
	assert.Equal(t, []string{"edge-alb-in-80-0"}, before["edge-alb-in-80-198.51.100.0-24"])
	assert.Equal(t, []string{"edge-alb-in-80-1"}, before["edge-alb-in-80-2001_db8__-32"])
}

func TestIngressRuleNameHasNoURNSeparator(t *testing.T) {
	for cidr, want := range map[string]string{
		"0.0.0.0/0":       "edge-alb-in-80-0.0.0.0-0",
		"2001:db8::/32":   "edge-alb-in-80-2001_db8__-32",
		"::/0":            "edge-alb-in-80-__-0",
		"203.0.113.16/28": "edge-alb-in-80-203.0.113.16-28",
	} {
		got := IngressRuleName("edge", 80, netip.MustParsePrefix(cidr))
		assert.Equal(t, want, got)
		assert.NotContains(t, got, "::")
	}
}
