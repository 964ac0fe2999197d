package awsdouble

import (
	"context"
	"fmt"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Invoke tokens the double serves.
const (
	InvokeAvailabilityZones = "aws:index/getAvailabilityZones:getAvailabilityZones"
	InvokeRegion            = "aws:index/getRegion:getRegion"
	InvokeListener          = "aws:lb/getListener:getListener"
)

// zoneLetters are the zones every region of the double offers.
var zoneLetters = []string{"a", "b", "c"}

// Invoke serves the data sources the program and the tool read.
func (p *AWSProvider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	var result map[string]any
	switch req.GetTok() {
	case InvokeAvailabilityZones:
		result = p.availabilityZones()
	case InvokeRegion:
		result = map[string]any{
			"id": p.region, "name": p.region, "region": p.region,
			"description": "Europe (Ireland)", "endpoint": "ec2." + p.region + ".amazonaws.com",
		}
	case InvokeListener:
		if result, err = p.lookupListener(knownMappable(args)); err != nil {
			return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
		}
	default:
		return nil, fmt.Errorf("awsdouble: invoke %s is not implemented by the AWS test double", req.GetTok())
	}
	ret, err := marshalMap(result)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func (p *AWSProvider) availabilityZones() map[string]any {
	var names, ids []any
	for _, l := range zoneLetters {
		names = append(names, p.region+l)
		ids = append(ids, zoneID(p.region, p.region+l))
	}
	return map[string]any{
		"id": p.region, "names": names, "zoneIds": ids, "state": "available",
		"groupNames": []any{p.region},
	}
}

// lookupListener is lb.LookupListener: by ARN, or by load balancer ARN and port.
func (p *AWSProvider) lookupListener(args map[string]any) (map[string]any, error) {
	var found *Resource
	err := p.store.View(func(st *State) error {
		if r, ok := st.Resources[str(args, "arn")]; ok && r.Type == TypeListener {
			found = r
			return nil
		}
		port, _ := num(args, "port")
		for _, r := range st.ofType(TypeListener) {
			if p, _ := num(r.Props, "port"); p == port && str(r.Props, "loadBalancerArn") == str(args, "loadBalancerArn") {
				found = r
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("reading ELBv2 Listener: %w", apiErr("ListenerNotFound", "One or more listeners not found"))
	}
	out := map[string]any{"id": found.ID}
	for k, v := range found.Props {
		out[k] = v
	}
	out["defaultActions"] = dataSourceActions(found.Props["defaultActions"])
	return out, nil
}

// dataSourceActions reshapes a listener's default actions as the getListener data source
// returns them: its schema lists every nested block, so an action's forward block is
// the list "forwards" (pulumi-aws sdk lb GetListenerDefaultAction.Forwards), where the
// resource has the single block "forward".
func dataSourceActions(v any) []any {
	actions, _ := v.([]any)
	out := make([]any, 0, len(actions))
	for _, a := range actions {
		m, ok := a.(map[string]any)
		if !ok {
			continue
		}
		ds := map[string]any{}
		for k, x := range m {
			if k == "forward" {
				ds["forwards"] = []any{x}
				continue
			}
			ds[k] = x
		}
		out = append(out, ds)
	}
	return out
}
