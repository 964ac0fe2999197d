package awsdouble

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// fixture drives the provider in-process, as the engine would over gRPC.
type fixture struct {
	t      *testing.T
	store  *Store
	p      *AWSProvider
	double *Double
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := OpenStore(filepath.Join(t.TempDir(), "aws.json"))
	return &fixture{t: t, store: s, p: NewAWSProvider(s), double: New(s)}
}

func urn(token, name string) string {
	return "urn:pulumi:blue::webapi::" + token + "::" + name
}

func pstruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := marshalMap(m)
	require.NoError(t, err)
	return s
}

func plain(t *testing.T, s *structpb.Struct) map[string]any {
	t.Helper()
	m, err := unmarshal(s)
	require.NoError(t, err)
	return knownMappable(m)
}

// check runs Check and returns the checked inputs.
func (f *fixture) check(token, name string, news, olds map[string]any) (map[string]any, error) {
	f.t.Helper()
	req := &pulumirpc.CheckRequest{Urn: urn(token, name), Type: token, News: pstruct(f.t, news)}
	if olds != nil {
		req.Olds = pstruct(f.t, olds)
	}
	res, err := f.p.Check(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return plain(f.t, res.GetInputs()), nil
}

// create runs Check then Create, as the engine does, and returns ID and outputs.
func (f *fixture) create(token, name string, inputs map[string]any) (string, map[string]any, error) {
	f.t.Helper()
	checked, err := f.check(token, name, inputs, nil)
	if err != nil {
		return "", nil, err
	}
	res, err := f.p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn(token, name), Properties: pstruct(f.t, checked)})
	if err != nil {
		return "", nil, err
	}
	return res.GetId(), plain(f.t, res.GetProperties()), nil
}

func (f *fixture) mustCreate(token, name string, inputs map[string]any) (string, map[string]any) {
	f.t.Helper()
	id, out, err := f.create(token, name, inputs)
	require.NoError(f.t, err)
	return id, out
}

func (f *fixture) update(token, name, id string, olds, news map[string]any) (map[string]any, error) {
	f.t.Helper()
	res, err := f.p.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urn(token, name), Id: id, Olds: pstruct(f.t, olds), News: pstruct(f.t, news),
	})
	if err != nil {
		return nil, err
	}
	return plain(f.t, res.GetProperties()), nil
}

// edge is a VPC with two subnets, a load balancer and two target groups.
type edge struct {
	vpc, subnetA, subnetB, lb, tgBlue, tgGreen string
}

func (f *fixture) edge() edge {
	f.t.Helper()
	var e edge
	e.vpc, _ = f.mustCreate(TypeVpc, "vpc", map[string]any{"cidrBlock": "10.20.0.0/16"})
	e.subnetA, _ = f.mustCreate(TypeSubnet, "a", map[string]any{"vpcId": e.vpc, "cidrBlock": "10.20.0.0/24", "availabilityZone": "eu-west-1a"})
	e.subnetB, _ = f.mustCreate(TypeSubnet, "b", map[string]any{"vpcId": e.vpc, "cidrBlock": "10.20.1.0/24", "availabilityZone": "eu-west-1b"})
	e.lb, _ = f.mustCreate(TypeLoadBalancer, "alb", map[string]any{"loadBalancerType": "application", "subnets": []any{e.subnetA, e.subnetB}})
	e.tgBlue, _ = f.mustCreate(TypeTargetGroup, "tg-blue", map[string]any{"vpcId": e.vpc, "port": 80.0, "protocol": "HTTP"})
	e.tgGreen, _ = f.mustCreate(TypeTargetGroup, "tg-green", map[string]any{"vpcId": e.vpc, "port": 80.0, "protocol": "HTTP"})
	return e
}

func forward(weights ...any) []any {
	var groups []any
	for i := 0; i+1 < len(weights); i += 2 {
		groups = append(groups, map[string]any{"arn": weights[i], "weight": weights[i+1]})
	}
	return []any{map[string]any{"type": "forward", "forward": map[string]any{
		"targetGroups": groups, "stickiness": map[string]any{"enabled": false, "duration": 1.0},
	}}}
}

func (f *fixture) listener(e edge, name string, port float64, blueWeight, greenWeight float64) (string, error) {
	f.t.Helper()
	id, _, err := f.create(TypeListener, name, map[string]any{
		"loadBalancerArn": e.lb, "port": port, "protocol": "HTTP",
		"defaultActions": forward(e.tgBlue, blueWeight, e.tgGreen, greenWeight),
	})
	return id, err
}

// props is a property map with known values, for Diff.
func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func deleteReq(token, name, id string) *pulumirpc.DeleteRequest {
	return &pulumirpc.DeleteRequest{Urn: urn(token, name), Id: id}
}
