package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The instance refresh the provider starts on a launch template change rolls a serving
// colour without losing capacity (launch before terminate: 100% minimum healthy, up to
// 200%), and skips instances that already run the new version: a 0 → N scale together
// with a new template launches N instances once, and the refresh replaces none of them.
func TestFleetInstanceRefreshPreferences(t *testing.T) {
	for _, tc := range []struct {
		stack string
		cfg   map[string]string
		edge  map[string]any
	}{
		{"blue", blueConfig(), nil},
		{"green", greenConfig(), edgeOutputsOf(t)},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			asg := runOK(t, tc.stack, tc.cfg, tc.edge).mocks.byType(tASG)[0]
			assert.Equal(t, "Rolling", prop(asg.Inputs, "instanceRefresh", "strategy"))
			assert.Equal(t, map[string]any{
				"minHealthyPercentage": 100.0,
				"maxHealthyPercentage": 200.0,
				"skipMatching":         true,
				"instanceWarmup":       "900",
			}, prop(asg.Inputs, "instanceRefresh", "preferences"))
		})
	}
}
