package record

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// The edge's AWS names survive a write and a read, and a clone shares none of them.
func TestEdgeRoundTripsAndClonesApart(t *testing.T) {
	rec := Record{Edge: &Edge{Stack: infra.Blue, ListenerArn: "arn:l", TargetGroupArns: map[string]string{"blue": "arn:b", "green": "arn:g"},
		AsgNames: map[string]string{"blue": "asg-b"}}}
	b, err := encode(rec, "w1")
	require.NoError(t, err)
	back, _, err := decode(b)
	require.NoError(t, err)
	assert.Equal(t, rec.Edge, back.Edge)
	c := rec.Clone()
	c.Edge.TargetGroupArns["blue"] = "changed"
	c.Edge.AsgNames["green"] = "added"
	c.Edge.ListenerArn = "changed"
	assert.Equal(t, "arn:b", rec.Edge.TargetGroupArns["blue"])
	assert.NotContains(t, rec.Edge.AsgNames, "green")
	assert.Equal(t, "arn:l", rec.Edge.ListenerArn)
}
