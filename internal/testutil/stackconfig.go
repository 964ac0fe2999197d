package testutil

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Unset, as a value given to With, removes the key (the program then applies its default).
const Unset = "<unset>"

// StackConfig is one stack's webapi config for a test, keys without the namespace and
// values as Pulumi hands them to the program (arrays as JSON). It is the one fixture
// every test layer builds its stacks from: mocks (Namespaced), the tool's fakes (the map
// itself) and the engine tests (YAML).
type StackConfig map[string]string

// Blue is a valid edge stack: blue, owning the network and the ALB, on a prebaked AMI.
func Blue(kv ...string) StackConfig {
	return StackConfig{
		"color": "blue", "edge": "true",
		"amiId":              "ami-0123456789abcdef0",
		"deletionProtection": "true",
	}.With(kv...)
}

// Green is a valid colour stack reading the blue edge stack, on a prebaked AMI.
func Green(kv ...string) StackConfig {
	return StackConfig{
		"color": "green", "edgeStack": "organization/webapi/blue",
		"amiId": "ami-0fedcba9876543210",
	}.With(kv...)
}

// With returns a copy with key/value pairs applied; the value Unset removes the key.
func (c StackConfig) With(kv ...string) StackConfig {
	if len(kv)%2 != 0 {
		panic(fmt.Sprintf("testutil: With wants key/value pairs, got %d strings", len(kv)))
	}
	out := maps.Clone(c)
	if out == nil {
		out = StackConfig{}
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == Unset {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Namespaced returns the keys with the webapi: namespace, as pulumi.RunInfo.Config wants.
func (c StackConfig) Namespaced() map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out["webapi:"+k] = v
	}
	return out
}

// YAML renders a Pulumi.<stack>.yaml. Values keep the type Pulumi.yaml declares for
// their key: numbers and booleans bare, JSON arrays as YAML flow sequences, everything
// else a quoted string, so the CLI's typed-config check accepts the file.
func (c StackConfig) YAML() string {
	var b strings.Builder
	b.WriteString("config:\n")
	for _, k := range slices.Sorted(maps.Keys(c)) {
		fmt.Fprintf(&b, "  webapi:%s: %s\n", k, yamlScalar(c[k]))
	}
	return b.String()
}

func yamlScalar(v string) string {
	if strings.HasPrefix(v, "[") {
		return v
	}
	if _, err := strconv.Atoi(v); err == nil {
		return v
	}
	if v == "true" || v == "false" {
		return v
	}
	return strconv.Quote(v)
}
