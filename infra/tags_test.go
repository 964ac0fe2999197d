package infra

import (
	"maps"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
)

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b map[string]string
		want map[string]string
	}{
		{"b wins", map[string]string{"color": "blue", "stack": "s"}, map[string]string{"color": "green"}, map[string]string{"color": "green", "stack": "s"}},
		{"nil a", nil, map[string]string{"k": "v"}, map[string]string{"k": "v"}},
		{"nil b", map[string]string{"k": "v"}, nil, map[string]string{"k": "v"}},
		{"both nil", nil, nil, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aBefore := maps.Clone(tc.a)
			assert.Equal(t, tc.want, merge(tc.a, tc.b))
			assert.Equal(t, aBefore, tc.a, "merge leaves its arguments alone")
		})
	}
}

func TestWithColorAndTagMap(t *testing.T) {
	base := map[string]string{TagProject: "webapi", TagColor: ColorShared}
	assert.Equal(t, map[string]string{TagProject: "webapi", TagColor: "green"}, withColor(base, "green"))
	assert.Equal(t, ColorShared, base[TagColor], "withColor copies")
	assert.Equal(t, pulumi.StringMap{TagProject: pulumi.String("webapi"), TagColor: pulumi.String(ColorShared), "Name": pulumi.String("x")},
		tagMap(base, "Name", "x"))
}
