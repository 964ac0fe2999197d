package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReleaseConfigDefaults(t *testing.T) {
	c, err := LoadConfig(MapSource(blueConfig()))
	require.NoError(t, err)
	assert.Equal(t, ReleaseConfig{MinRequests: 100, SmokeRequests: 20, DeployTimeoutMinutes: 30}, c.Release)
	assert.Empty(t, c.BaseAmiID)

	c, err = LoadConfig(MapSource(blueConfig("minRequests", "5", "gateAlarms", `["team-orders-errors"]`, "publicHostname", "api.example.com",
		"smokePaths", `["/api/version"]`, "smokeRequests", "3", "deployTimeoutMinutes", "45", "baseAmiId", "ami-0123456789abcdef0")))
	require.NoError(t, err)
	assert.Equal(t, ReleaseConfig{MinRequests: 5, GateAlarms: []string{"team-orders-errors"}, PublicHostname: "api.example.com",
		SmokePaths: []string{"/api/version"}, SmokeRequests: 3, DeployTimeoutMinutes: 45}, c.Release)
	assert.Equal(t, "ami-0123456789abcdef0", c.BaseAmiID)
}

func TestBadReleaseConfigNamesTheKey(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"minRequests", "0", `webapi:minRequests: "0" is not allowed`},
		{"minRequests", "1000001", `webapi:minRequests: "1000001" is not allowed`},
		{"smokeRequests", "0", `webapi:smokeRequests: "0" is not allowed`},
		{"deployTimeoutMinutes", "0", `webapi:deployTimeoutMinutes: "0" is not allowed`},
		{"deployTimeoutMinutes", "361", `webapi:deployTimeoutMinutes: "361" is not allowed`},
		{"gateAlarms", `["bad\u0001name"]`, "webapi:gateAlarms"},
		{"publicHostname", "https://api.example.com", "webapi:publicHostname"},
		{"publicHostname", "localhost", "webapi:publicHostname"},
		{"smokePaths", `["api/version"]`, "webapi:smokePaths"},
		{"baseAmiId", "ami-xyz", "webapi:baseAmiId"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := LoadConfig(MapSource(blueConfig(tc.key, tc.value)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
