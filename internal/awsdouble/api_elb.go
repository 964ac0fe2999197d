package awsdouble

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ELBv2API is the part of *elasticloadbalancingv2.Client the bluegreen tool calls,
// method for method; both the real client and the double satisfy it.
type ELBv2API interface {
	DescribeListeners(context.Context, *elbv2.DescribeListenersInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
	ModifyListener(context.Context, *elbv2.ModifyListenerInput, ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error)
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

var (
	_ ELBv2API = (*elbv2.Client)(nil)
	_ ELBv2API = (*ELBv2)(nil)
)

// ELBv2 serves ELBv2 calls from the store.
type ELBv2 struct{ store *Store }

// DescribeListeners by listener ARNs or by load balancer.
func (e *ELBv2) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	out := &elbv2.DescribeListenersOutput{}
	err := e.store.View(func(st *State) error {
		for _, arn := range in.ListenerArns {
			r, ok := st.Resources[arn]
			if !ok || r.Type != TypeListener {
				return &elbtypes.ListenerNotFoundException{Message: aws.String("One or more listeners not found")}
			}
			out.Listeners = append(out.Listeners, listenerToAPI(r))
		}
		if lb := aws.ToString(in.LoadBalancerArn); lb != "" {
			if _, ok := st.Resources[lb]; !ok {
				return &elbtypes.LoadBalancerNotFoundException{Message: aws.String("One or more load balancers not found")}
			}
			for _, r := range st.ofType(TypeListener) {
				if str(r.Props, "loadBalancerArn") == lb {
					out.Listeners = append(out.Listeners, listenerToAPI(r))
				}
			}
		}
		return nil
	})
	return out, err
}

// ModifyListener replaces the listener's default actions (and port, protocol, policy when
// given), under the same constraints as the provider. The provider's Read sees it.
func (e *ELBv2) ModifyListener(_ context.Context, in *elbv2.ModifyListenerInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error) {
	out := &elbv2.ModifyListenerOutput{}
	err := e.store.Update(func(st *State) error {
		cur, ok := st.Resources[aws.ToString(in.ListenerArn)]
		if !ok || cur.Type != TypeListener {
			return &elbtypes.ListenerNotFoundException{Message: aws.String("One or more listeners not found")}
		}
		props := maps.Clone(cur.Props)
		if in.DefaultActions != nil {
			var actions []any
			for _, a := range in.DefaultActions {
				actions = append(actions, actionFromAPI(a))
			}
			props["defaultActions"] = actions
		}
		if in.Port != nil {
			props["port"] = float64(*in.Port)
		}
		if in.Protocol != "" {
			props["protocol"] = string(in.Protocol)
		}
		if in.SslPolicy != nil {
			props["sslPolicy"] = *in.SslPolicy
		}
		r := &Resource{Type: TypeListener, ID: cur.ID, Props: props}
		if err := checkConstraints(st, r); err != nil {
			return err
		}
		st.Resources[r.ID] = r
		out.Listeners = []elbtypes.Listener{listenerToAPI(r)}
		return nil
	})
	return out, err
}

// DescribeTargetHealth lists a target group's targets with their scripted health.
func (e *ELBv2) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	out := &elbv2.DescribeTargetHealthOutput{}
	err := e.store.View(func(st *State) error {
		tg := aws.ToString(in.TargetGroupArn)
		if r, ok := st.Resources[tg]; !ok || r.Type != TypeTargetGroup {
			return &elbtypes.TargetGroupNotFoundException{Message: aws.String("One or more target groups not found")}
		}
		for _, t := range st.Targets[tg] {
			if len(in.Targets) > 0 && !slices.ContainsFunc(in.Targets, func(d elbtypes.TargetDescription) bool { return aws.ToString(d.Id) == t.ID }) {
				continue
			}
			h := &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnum(t.State)}
			if t.Reason != "" {
				h.Reason = elbtypes.TargetHealthReasonEnum(t.Reason)
			}
			if t.Description != "" {
				h.Description = aws.String(t.Description)
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
				Target:          &elbtypes.TargetDescription{Id: aws.String(t.ID), Port: aws.Int32(t.Port)},
				HealthCheckPort: aws.String(strconv.Itoa(int(t.Port))),
				TargetHealth:    h,
			})
		}
		return nil
	})
	return out, err
}

func listenerToAPI(r *Resource) elbtypes.Listener {
	port, _ := num(r.Props, "port")
	l := elbtypes.Listener{
		ListenerArn:     aws.String(r.ID),
		LoadBalancerArn: aws.String(str(r.Props, "loadBalancerArn")),
		Port:            aws.Int32(int32(port)),
		Protocol:        elbtypes.ProtocolEnum(str(r.Props, "protocol")),
	}
	if s := str(r.Props, "sslPolicy"); s != "" {
		l.SslPolicy = aws.String(s)
	}
	if c := str(r.Props, "certificateArn"); c != "" {
		l.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(c)}}
	}
	for i, a := range objects(r.Props, "defaultActions") {
		act := actionToAPI(a)
		if act.Order == nil {
			act.Order = aws.Int32(int32(i + 1))
		}
		l.DefaultActions = append(l.DefaultActions, act)
	}
	return l
}

// actionToAPI turns a Pulumi listener action into the API's shape.
func actionToAPI(a map[string]any) elbtypes.Action {
	act := elbtypes.Action{Type: elbtypes.ActionTypeEnum(str(a, "type"))}
	if o, ok := num(a, "order"); ok {
		act.Order = aws.Int32(int32(o))
	}
	if tg := str(a, "targetGroupArn"); tg != "" {
		act.TargetGroupArn = aws.String(tg)
	}
	if f := obj(a, "forward"); f != nil {
		fc := &elbtypes.ForwardActionConfig{}
		for _, g := range objects(f, "targetGroups") {
			w, ok := num(g, "weight")
			if !ok {
				w = 1
			}
			fc.TargetGroups = append(fc.TargetGroups, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(str(g, "arn")), Weight: aws.Int32(int32(w))})
		}
		if s := obj(f, "stickiness"); s != nil {
			d, _ := num(s, "duration")
			fc.TargetGroupStickinessConfig = &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(boolean(s, "enabled")), DurationSeconds: aws.Int32(int32(d))}
		}
		act.ForwardConfig = fc
	}
	if rd := obj(a, "redirect"); rd != nil {
		act.RedirectConfig = &elbtypes.RedirectActionConfig{
			StatusCode: elbtypes.RedirectActionStatusCodeEnum(str(rd, "statusCode")),
			Protocol:   optString(rd, "protocol"), Port: optString(rd, "port"),
			Host: optString(rd, "host"), Path: optString(rd, "path"), Query: optString(rd, "query"),
		}
	}
	return act
}

func optString(m map[string]any, k string) *string {
	if s := str(m, k); s != "" {
		return aws.String(s)
	}
	return nil
}

// actionFromAPI is actionToAPI's inverse, setting only what the API call set, so a
// ModifyListener of the program's own shape reads back as the program's inputs.
func actionFromAPI(act elbtypes.Action) map[string]any {
	a := map[string]any{"type": string(act.Type)}
	if act.TargetGroupArn != nil && act.ForwardConfig == nil {
		a["targetGroupArn"] = *act.TargetGroupArn
	}
	if fc := act.ForwardConfig; fc != nil {
		var groups []any
		for _, g := range fc.TargetGroups {
			groups = append(groups, map[string]any{"arn": aws.ToString(g.TargetGroupArn), "weight": float64(aws.ToInt32(g.Weight))})
		}
		f := map[string]any{"targetGroups": groups}
		if s := fc.TargetGroupStickinessConfig; s != nil {
			f["stickiness"] = map[string]any{"enabled": aws.ToBool(s.Enabled), "duration": float64(aws.ToInt32(s.DurationSeconds))}
		}
		a["forward"] = f
	}
	if rc := act.RedirectConfig; rc != nil {
		rd := map[string]any{"statusCode": string(rc.StatusCode)}
		for k, v := range map[string]*string{"protocol": rc.Protocol, "port": rc.Port, "host": rc.Host, "path": rc.Path, "query": rc.Query} {
			if v != nil {
				rd[k] = *v
			}
		}
		a["redirect"] = rd
	}
	return a
}
