package infra

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subnetCidrs is name → CIDR of every subnet the program registers.
func subnetCidrs(t *testing.T, cfg map[string]string) map[string]string {
	t.Helper()
	r := runOK(t, "blue", cfg, nil)
	got := map[string]string{}
	for _, s := range r.mocks.byType(tSubnet) {
		got[s.Name] = prop(s.Inputs, "cidrBlock").(string)
	}
	return got
}

// With webapi:maxAzCount the address plan leaves room for that many zones, so adding a
// zone up to it only adds subnets: every existing subnet keeps its CIDR (a new cidrBlock
// would replace the subnet, and AWS refuses the replacement, which overlaps the old one).
func TestMaxAzCountLeavesRoomForMoreZones(t *testing.T) {
	two := subnetCidrs(t, blueConfig("maxAzCount", "4", "azCount", "2"))
	assert.Equal(t, map[string]string{
		"network-public-0": "10.20.0.0/19", "network-public-1": "10.20.32.0/19",
		"network-private-0": "10.20.128.0/19", "network-private-1": "10.20.160.0/19",
	}, two, "subnets are sized for 4 zones")
	three := subnetCidrs(t, blueConfig("maxAzCount", "4", "azCount", "3"))
	require.Len(t, three, 6)
	for name, cidr := range two {
		assert.Equal(t, cidr, three[name], "%s keeps its CIDR when a zone is added", name)
	}
	assert.Equal(t, "10.20.64.0/19", three["network-public-2"])
	assert.Equal(t, "10.20.192.0/19", three["network-private-2"])
}

// Unset (0) plans for the zones in use, exactly as before the key existed: every
// deployed stack keeps its address plan. Without headroom, 2 → 3 zones moves every subnet.
func TestMaxAzCountUnsetKeepsTheAddressPlan(t *testing.T) {
	want := map[string]string{
		"network-public-0": "10.20.0.0/18", "network-public-1": "10.20.64.0/18",
		"network-private-0": "10.20.128.0/18", "network-private-1": "10.20.192.0/18",
	}
	assert.Equal(t, want, subnetCidrs(t, blueConfig()))
	assert.Equal(t, want, subnetCidrs(t, blueConfig("maxAzCount", "0")))
	assert.Equal(t, want, subnetCidrs(t, blueConfig("maxAzCount", "2")), "room for the zones in use is the same plan")
	three := subnetCidrs(t, blueConfig("azCount", "3"))
	assert.NotEqual(t, want["network-public-0"], three["network-public-0"], "without headroom a third zone re-plans every subnet")
}

// A plan with room for m zones holds the subnets of the first n of them, and they never
// depend on n: adding zones up to m only adds subnets. Room 0 is the zones in use.
func TestPlanSubnetsWithRoom(t *testing.T) {
	vpc := netip.MustParsePrefix("10.20.0.0/16")
	for m := 2; m <= maxAzCount; m++ {
		full, err := PlanSubnets(vpc, m)
		require.NoError(t, err)
		for n := 2; n <= m; n++ {
			used, err := PlanSubnetsWithRoom(vpc, n, m)
			require.NoError(t, err)
			assert.Equal(t, full.Public[:n], used.Public, "room for %d, %d in use", m, n)
			assert.Equal(t, full.Private[:n], used.Private, "room for %d, %d in use", m, n)
		}
		same, err := PlanSubnetsWithRoom(vpc, m, 0)
		require.NoError(t, err)
		assert.Equal(t, full, same, "room 0 plans for the zones in use")
	}
	_, err := PlanSubnetsWithRoom(vpc, 3, 2)
	assert.ErrorContains(t, err, "room for 2 zones, 3 in use")
	_, err = PlanSubnetsWithRoom(netip.MustParsePrefix("10.0.0.0/26"), 2, 4)
	assert.ErrorContains(t, err, "too small for 8 subnets")
}
