package infra

import (
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tag keys every taggable resource carries (the guardrail tests check all of them).
const (
	TagProject   = "project"
	TagStack     = "stack"
	TagColor     = "color"
	TagManagedBy = "managed-by"
)

// ColorShared marks resources of the edge stack that serve both colours.
const ColorShared = "shared"

// baseTags are the tags of one stack's resources for one colour (or ColorShared).
func baseTags(ctx *pulumi.Context, color string) map[string]string {
	return map[string]string{
		TagProject:   ctx.Project(),
		TagStack:     ctx.Stack(),
		TagColor:     color,
		TagManagedBy: "pulumi",
	}
}

// withColor returns a copy of base whose colour tag is c.
func withColor(base map[string]string, c string) map[string]string {
	return merge(base, map[string]string{TagColor: c})
}

// tagMap turns base plus key/value pairs into a resource's tags.
func tagMap(base map[string]string, kv ...string) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range base {
		m[k] = pulumi.String(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = pulumi.String(kv[i+1])
	}
	return m
}

// merge returns a new map with a's entries, then b's (b wins); a and b are left alone.
func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
