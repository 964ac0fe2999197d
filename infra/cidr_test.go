package infra

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanSubnets(t *testing.T) {
	cases := []struct {
		vpc     string
		azs     int
		public  []string
		private []string
		err     string
	}{
		{vpc: "10.20.0.0/16", azs: 2, public: []string{"10.20.0.0/18", "10.20.64.0/18"}, private: []string{"10.20.128.0/18", "10.20.192.0/18"}},
		{vpc: "10.20.0.0/16", azs: 3, public: []string{"10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"}, private: []string{"10.20.128.0/19", "10.20.160.0/19", "10.20.192.0/19"}},
		{vpc: "172.16.0.0/24", azs: 2, public: []string{"172.16.0.0/26", "172.16.0.64/26"}, private: []string{"172.16.0.128/26", "172.16.0.192/26"}},
		{vpc: "192.168.0.0/26", azs: 2, public: []string{"192.168.0.0/28", "192.168.0.16/28"}, private: []string{"192.168.0.32/28", "192.168.0.48/28"}},
		{vpc: "10.0.0.0/16", azs: 6, public: []string{"10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20", "10.0.64.0/20", "10.0.80.0/20"},
			private: []string{"10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20", "10.0.176.0/20", "10.0.192.0/20", "10.0.208.0/20"}},
		{vpc: "192.168.0.0/27", azs: 2, err: "too small for 4 subnets"},
		{vpc: "10.0.0.0/26", azs: 3, err: "use a /25 or larger"},
		{vpc: "10.0.0.1/16", azs: 2, err: "host bits"},
		{vpc: "2001:db8::/56", azs: 2, err: "not an IPv4 prefix"},
		{vpc: "10.0.0.0/16", azs: 0, err: "want at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.vpc, func(t *testing.T) {
			vpc := netip.MustParsePrefix(tc.vpc)
			plan, err := PlanSubnets(vpc, tc.azs)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.public, strs(plan.Public))
			assert.Equal(t, tc.private, strs(plan.Private))
			all := append(append([]netip.Prefix{}, plan.Public...), plan.Private...)
			for i, a := range all {
				assert.True(t, vpc.Contains(a.Addr()) && a.Bits() >= vpc.Bits(), "%s inside %s", a, vpc)
				assert.LessOrEqual(t, a.Bits(), minSubnetPrefix, "AWS's smallest subnet is /28")
				for _, b := range all[i+1:] {
					assert.False(t, a.Overlaps(b), "%s overlaps %s", a, b)
				}
			}
		})
	}
}

// Every VPC prefix AWS accepts, with every AZ count the program allows: a plan exists
// exactly when 2 subnets per AZ, rounded up to a power of two, fit as /28s or larger,
// and then it is 2 subnets per AZ inside the VPC without overlaps. Otherwise the error
// says it is too small.
func TestPlanSubnetsNeverOverlaps(t *testing.T) {
	planned, refused := 0, 0
	for bits := minVpcPrefix; bits <= minSubnetPrefix; bits++ {
		vpc := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), bits)
		for azs := 1; azs <= maxAzCount; azs++ {
			blocks := 1
			for blocks < 2*azs {
				blocks *= 2
			}
			fits := 1<<(32-bits) >= blocks*(1<<(32-minSubnetPrefix))
			plan, err := PlanSubnets(vpc, azs)
			if !fits {
				require.ErrorContains(t, err, "too small", "%s with %d AZs", vpc, azs)
				refused++
				continue
			}
			require.NoError(t, err, "%s with %d AZs must have a plan", vpc, azs)
			planned++
			all := append(append([]netip.Prefix{}, plan.Public...), plan.Private...)
			require.Len(t, all, 2*azs)
			for i, a := range all {
				require.True(t, vpc.Contains(a.Addr()) && a.Bits() >= vpc.Bits(), "%s outside %s", a, vpc)
				for _, b := range all[i+1:] {
					require.False(t, a.Overlaps(b), "%s: %s overlaps %s", vpc, a, b)
				}
			}
		}
	}
	// /16../24 hold every AZ count; /28 holds none.
	require.Greater(t, planned, 9*maxAzCount, "plans checked")
	require.Greater(t, refused, maxAzCount, "refusals checked")
}

func strs(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestWeights(t *testing.T) {
	assert.Equal(t, Weights{Blue: 90, Green: 10}, WeightsFor(10))
	assert.Equal(t, 10, WeightsFor(10).Of(Green))
	assert.Equal(t, 90, WeightsFor(10).Of(Blue))
	for _, tc := range []struct {
		c       Color
		percent int
		want    int
	}{{Green, 25, 25}, {Blue, 25, 75}, {Blue, 100, 0}, {Green, 0, 0}} {
		got, err := GreenWeightFor(tc.c, tc.percent)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%s at %d%%", tc.c, tc.percent)
	}
	_, err := GreenWeightFor(Green, 101)
	assert.ErrorContains(t, err, "want 0 to 100")
	_, err = ParseWeights(map[string]any{"blue": 60.0, "green": 30.0})
	assert.ErrorContains(t, err, "must be 100")
	_, err = ParseWeights("50/50")
	assert.ErrorContains(t, err, "want a map")
}
