package testutil

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStackConfigWithCopiesAndUnsets(t *testing.T) {
	base := Blue()
	c := base.With("amiId", Unset, "greenWeight", "10")
	assert.NotContains(t, c, "amiId")
	assert.Equal(t, "10", c["greenWeight"])
	assert.Equal(t, "ami-0123456789abcdef0", base["amiId"], "With must not change the receiver")
	assert.Equal(t, "blue", c.Namespaced()["webapi:color"])
}

func TestStackConfigYAMLKeepsTypes(t *testing.T) {
	got := Green("desiredCapacity", "0", "flowLogs", "false", "availabilityZones", `["eu-west-1a","eu-west-1b"]`).YAML()
	assert.Equal(t, `config:
  webapi:amiId: "ami-0fedcba9876543210"
  webapi:availabilityZones: ["eu-west-1a","eu-west-1b"]
  webapi:color: "green"
  webapi:desiredCapacity: 0
  webapi:edgeStack: "organization/webapi/blue"
  webapi:flowLogs: false
`, got)
}
