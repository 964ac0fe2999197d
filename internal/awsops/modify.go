package awsops

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/webapi-platform/infra/internal/release"
)

// listenerModifier is the ELBv2 client's ModifyListener (the SDK client and the double's
// API face have it; read-only fakes need not).
type listenerModifier interface {
	ModifyListener(context.Context, *elbv2.ModifyListenerInput, ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error)
}

var _ release.ListenerSetter = (*Health)(nil)

// SetListenerWeights sets the weights of the listener's forward action directly
// (DescribeListeners, then ModifyListener with the same actions and new weights): the
// direct path of a restore after an interrupt, with no Pulumi engine run. ModifyListener
// replaces the default actions whole, so every other field is sent back as read
// (ELBv2 API Reference, ModifyListener: "DefaultActions … replace the existing").
func (h *Health) SetListenerWeights(ctx context.Context, listener string, weights map[string]int) error {
	m, ok := h.elb.(listenerModifier)
	if !ok {
		return fmt.Errorf("the ELBv2 client cannot modify listeners")
	}
	out, err := h.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{listener}})
	if err != nil {
		return fmt.Errorf("describe listener %s: %w", listener, err)
	}
	if len(out.Listeners) != 1 {
		return fmt.Errorf("describe listener %s: %d listeners returned", listener, len(out.Listeners))
	}
	actions := out.Listeners[0].DefaultActions
	set := 0
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward || a.ForwardConfig == nil {
			continue
		}
		for i, g := range a.ForwardConfig.TargetGroups {
			if w, ok := weights[aws.ToString(g.TargetGroupArn)]; ok {
				a.ForwardConfig.TargetGroups[i].Weight = aws.Int32(int32(w))
				set++
			}
		}
	}
	if set != len(weights) {
		return fmt.Errorf("listener %s does not forward to every target group of %v", listener, weights)
	}
	if _, err := m.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(listener), DefaultActions: actions}); err != nil {
		return fmt.Errorf("modify listener %s: %w", listener, err)
	}
	return nil
}
