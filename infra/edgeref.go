package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReadEdgeOutputs reads the edge stack's outputs through a StackReference and waits for
// them, so the colour stack can validate against them (weights) before it registers
// anything of its own.
func ReadEdgeOutputs(ctx *pulumi.Context, edgeStack string) (*EdgeValues, error) {
	ref, err := pulumi.NewStackReference(ctx, "edge", &pulumi.StackReferenceArgs{Name: pulumi.String(edgeStack)})
	if err != nil {
		return nil, fmt.Errorf("edge stack %s: reference: %w", edgeStack, err)
	}
	raw := map[string]any{}
	for _, name := range append(append([]string(nil), EdgeOutputs...), OutHealthCheckPath) {
		d, err := ref.GetOutputDetails(name)
		if err != nil {
			return nil, fmt.Errorf("edge stack %s: reading output %q: %w", edgeStack, name, err)
		}
		if d == nil {
			continue
		}
		if d.Value != nil {
			raw[name] = d.Value
		} else if d.SecretValue != nil {
			raw[name] = d.SecretValue
		}
	}
	return ParseEdgeOutputs(edgeStack, raw)
}
