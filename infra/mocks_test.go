package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

const testRegion = "eu-west-1"

var testZones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

// registered is one resource as the mocks saw it.
type registered struct {
	Type   string
	Name   string
	Parent string // parent URN ("" for the stack's direct children)
	Inputs resource.PropertyMap
	// Aliases are the names the resource had before (pulumi.Aliases with a Name).
	Aliases []string
	// DependsOn are the URNs of its explicit dependencies (pulumi.DependsOn).
	DependsOn []string
}

// mocks records every resource and invoke, answers the invokes the program makes and
// plays the edge stack for a StackReference.
type mocks struct {
	mu          sync.Mutex
	resources   []registered
	calls       []string
	edgeOutputs map[string]any // what a StackReference to the edge stack returns
	// selfOutputs are the stack's own last outputs (its StackReference "self"): nil, a
	// stack never deployed.
	selfOutputs map[string]any
	// liveListener is what getListener answers: target group ARN → weight; nil, the
	// listener does not exist.
	liveListener map[string]int
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	parent := ""
	var aliases, deps []string
	if args.RegisterRPC != nil {
		parent = args.RegisterRPC.GetParent()
		deps = args.RegisterRPC.GetDependencies()
		for _, a := range args.RegisterRPC.GetAliases() {
			if name := a.GetSpec().GetName(); name != "" {
				aliases = append(aliases, name)
			}
		}
	}
	m.resources = append(m.resources, registered{Type: args.TypeToken, Name: args.Name, Parent: parent, Inputs: args.Inputs, Aliases: aliases, DependsOn: deps})
	m.mu.Unlock()

	out := args.Inputs.Copy()
	id := args.Name + "-id"
	arn := fmt.Sprintf("arn:aws:mock:%s:000000000000:%s/%s", testRegion, args.TypeToken, args.Name)
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch args.TypeToken {
	case "pulumi:pulumi:StackReference":
		if args.Name == "self" {
			self := m.selfOutputs
			if self == nil {
				self = map[string]any{}
			}
			set("outputs", self)
			set("secretOutputNames", []any{})
			return args.Name, out, nil
		}
		if m.edgeOutputs == nil {
			return "", nil, fmt.Errorf("mocks: no edge stack outputs configured")
		}
		set("outputs", m.edgeOutputs)
		set("secretOutputNames", []any{})
		return args.Name, out, nil
	case "aws:lb/loadBalancer:LoadBalancer":
		set("arn", arn)
		set("arnSuffix", "app/"+args.Name+"/0123456789abcdef")
		set("dnsName", args.Name+".elb.amazonaws.com")
	case "aws:lb/targetGroup:TargetGroup":
		set("arn", arn)
		set("arnSuffix", "targetgroup/"+args.Name+"/0123456789abcdef")
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("latestVersion", 1)
	case "aws:autoscaling/group:Group":
		set("name", args.Name+"-asg-name")
	case "aws:iam/role:Role":
		set("name", args.Name+"-role-name")
	case "aws:cloudwatch/logGroup:LogGroup":
		// As the provider reports it: the group's ARN without the trailing ":*".
		set("arn", fmt.Sprintf("arn:aws:logs:%s:000000000000:log-group:%s", testRegion, args.Name))
	case "aws:s3/bucketV2:BucketV2":
		set("bucket", args.Name+"-bucket-name")
		set("arn", "arn:aws:s3:::"+args.Name+"-bucket-name")
	case "command:local:Command":
		// What scripts/bake prints: the AMI id alone.
		set("stdout", mockAmiFor(args.Name))
		set("stderr", "")
	}
	if _, ok := out["arn"]; !ok {
		set("arn", arn)
	}
	if _, ok := out["ownerId"]; !ok {
		set("ownerId", "000000000000") // the account, as EC2 resources report it
	}
	return id, out, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names := []any{}
		for _, z := range testZones {
			names = append(names, z)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "zoneIds": names, "id": testRegion}), nil
	case "aws:lb/getListener:getListener":
		if m.liveListener == nil {
			return nil, fmt.Errorf("mocks: ListenerNotFound: One or more listeners not found")
		}
		var groups []any
		for _, arn := range slices.Sorted(maps.Keys(m.liveListener)) {
			groups = append(groups, map[string]any{"arn": arn, "weight": m.liveListener[arn]})
		}
		return resource.NewPropertyMapFromMap(map[string]any{"arn": args.Args["arn"].StringValue(), "defaultActions": []any{
			map[string]any{"type": "forward", "forwards": []any{map[string]any{"targetGroups": groups}}},
		}}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": testRegion, "id": testRegion}), nil
	}
	return nil, fmt.Errorf("mocks: unexpected call %s", args.Token)
}

// mockAmiFor derives a stable fake AMI id from a bake stage's name.
func mockAmiFor(name string) string {
	h := fmt.Sprintf("%x", []byte(name))
	for len(h) < 17 {
		h += "0"
	}
	return "ami-" + h[len(h)-17:]
}

// byType returns the registered resources of one type, in registration order.
func (m *mocks) byType(token string) []registered {
	var out []registered
	for _, r := range m.resources {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

func (m *mocks) counts() map[string]int {
	c := map[string]int{}
	for _, r := range m.resources {
		c[r.Type]++
	}
	return c
}

// awsResources are the registered resources that would exist in AWS.
func (m *mocks) awsResources() []registered {
	var out []registered
	for _, r := range m.resources {
		if strings.HasPrefix(r.Type, "aws:") {
			out = append(out, r)
		}
	}
	return out
}

// blueConfig is a valid edge stack (testutil.Blue), un-namespaced, with kv pairs applied
// (the value testutil.Unset removes a key).
func blueConfig(kv ...string) map[string]string {
	return testutil.Blue(kv...)
}

// greenConfig is a valid colour stack reading the blue edge stack (testutil.Green).
func greenConfig(kv ...string) map[string]string {
	return testutil.Green(kv...)
}

// runResult is what one program run under mocks produced.
type runResult struct {
	mocks   *mocks
	outputs map[string]any
	err     error
}

// run evaluates Build (what Program exports) for a stack under mocks.
func run(t testing.TB, stack string, cfg map[string]string, edgeOutputs map[string]any) runResult {
	t.Helper()
	return runIn(t, testutil.RepoRoot(), stack, cfg, edgeOutputs)
}

// runIn is run with the project directory at root (a checkout elsewhere).
func runIn(t testing.TB, root, stack string, cfg map[string]string, edgeOutputs map[string]any) runResult {
	t.Helper()
	return runMocks(t, &mocks{edgeOutputs: edgeOutputs}, root, stack, cfg, RunOptions{})
}

// runMocks runs the program with prepared mocks and run options.
func runMocks(t testing.TB, m *mocks, root, stack string, cfg map[string]string, opts RunOptions) runResult {
	t.Helper()
	res := runResult{mocks: m}
	var mu sync.Mutex
	res.err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := BuildWith(ctx, opts)
		if err != nil {
			return err
		}
		outs.ToMapOutput().ApplyT(func(v map[string]any) error {
			mu.Lock()
			res.outputs = v
			mu.Unlock()
			return nil
		})
		return nil
	}, pulumi.WithMocksWithOrganization("organization", "webapi", stack, m), func(ri *pulumi.RunInfo) {
		ri.Config = testutil.StackConfig(cfg).Namespaced()
		ri.RootDirectory = root // where Pulumi.yaml and images/ are
	})
	return res
}

// runOK is run that must succeed.
func runOK(t testing.TB, stack string, cfg map[string]string, edgeOutputs map[string]any) runResult {
	t.Helper()
	r := run(t, stack, cfg, edgeOutputs)
	require.NoError(t, r.err)
	return r
}

// edgeOutputsOf runs the blue (edge) stack and returns its outputs as a StackReference
// would deliver them: JSON-shaped (numbers as float64, lists as []any).
func edgeOutputsOf(t testing.TB, kv ...string) map[string]any {
	t.Helper()
	r := runOK(t, "blue", blueConfig(kv...), nil)
	b, err := json.Marshal(r.outputs)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// prop reads a nested input value by path ("forward", "targetGroups"...), as plain Go.
func prop(pm resource.PropertyMap, path ...string) any {
	var v any = pm.Mappable()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
