package awsdouble

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Double is the AWS API face of the store: clients shaped like aws-sdk-go-v2's, and
// scripting helpers a test uses to make live AWS diverge from what Pulumi recorded.
type Double struct {
	Store       *Store
	ELBv2       *ELBv2
	AutoScaling *AutoScaling
	CloudWatch  *CloudWatch
}

// New serves the store's API face.
func New(store *Store) *Double {
	return &Double{Store: store, ELBv2: &ELBv2{store}, AutoScaling: &AutoScaling{store}, CloudWatch: &CloudWatch{store}}
}

// Resources lists the resources of one type token, in ID order.
func (d *Double) Resources(token string) ([]Resource, error) {
	var out []Resource
	err := d.Store.View(func(st *State) error {
		for _, r := range st.ofType(token) {
			out = append(out, Resource{Type: r.Type, ID: r.ID, Props: maps.Clone(r.Props)})
		}
		return nil
	})
	return out, err
}

// ModifyListenerWeights is "someone else" shifting traffic: a ModifyListener that keeps
// the listener's forward action and sets the given weights (target group ARN → weight).
func (d *Double) ModifyListenerWeights(ctx context.Context, listenerArn string, weights map[string]int) error {
	out, err := d.ELBv2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{listenerArn}})
	if err != nil {
		return err
	}
	actions := out.Listeners[0].DefaultActions
	found := false
	for _, a := range actions {
		if a.ForwardConfig == nil {
			continue
		}
		for i, g := range a.ForwardConfig.TargetGroups {
			if w, ok := weights[aws.ToString(g.TargetGroupArn)]; ok {
				a.ForwardConfig.TargetGroups[i].Weight = aws.Int32(int32(w))
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("awsdouble: listener %s forwards to none of %v", listenerArn, slices.Sorted(maps.Keys(weights)))
	}
	_, err = d.ELBv2.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(listenerArn), DefaultActions: actions})
	return err
}

var targetStates = []string{HealthInitial, HealthHealthy, HealthUnhealthy, HealthUnused, HealthDraining}

// SetTargetHealth scripts one target's health (state, and an ELB reason code such as
// Target.FailedHealthChecks with a description). An empty targetID sets every target.
func (d *Double) SetTargetHealth(targetGroupArn, targetID, state, reason, description string) error {
	if !slices.Contains(targetStates, state) {
		return fmt.Errorf("awsdouble: target health %q is not one of %v", state, targetStates)
	}
	return d.Store.Update(func(st *State) error {
		n := 0
		for _, t := range st.Targets[targetGroupArn] {
			if targetID == "" || t.ID == targetID {
				t.State, t.Reason, t.Description = state, reason, description
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("awsdouble: target group %s has no target %q", targetGroupArn, targetID)
		}
		return nil
	})
}

// SetNewTargetHealth is the health newly launched instances get in their target groups
// (healthy by default); e.g. "unhealthy" makes an `up` that waits for ELB capacity fail.
func (d *Double) SetNewTargetHealth(state string) error {
	if !slices.Contains(targetStates, state) {
		return fmt.Errorf("awsdouble: target health %q is not one of %v", state, targetStates)
	}
	return d.Store.Update(func(st *State) error {
		st.NewTargetHealth = state
		return nil
	})
}

// Instances are an Auto Scaling group's instances.
func (d *Double) Instances(asgName string) ([]Instance, error) {
	var out []Instance
	err := d.Store.View(func(st *State) error {
		for _, in := range st.Instances[asgName] {
			out = append(out, *in)
		}
		return nil
	})
	return out, err
}

// StartInstanceRefresh starts a refresh of the group to its launch template's current
// version, cancelling one in progress, and returns its ID.
func (d *Double) StartInstanceRefresh(asgName string) (string, error) {
	var id string
	err := d.Store.Update(func(st *State) error {
		r, ok := st.Resources[asgName]
		if !ok || r.Type != TypeAutoscalingGroup {
			return apiErr("ValidationError", "AutoScalingGroup name not found - %s", asgName)
		}
		id = startRefresh(st, r).ID
		return nil
	})
	return id, err
}

// FinishInstanceRefresh completes the group's refresh in progress: the instances it
// replaces (every one, or with SkipMatching those not on its version) are replaced by
// ones on the refresh's launch template version, registered in the group's target
// groups with the new-target health.
func (d *Double) FinishInstanceRefresh(asgName string) error {
	return d.Store.Update(func(st *State) error {
		ref, err := inProgress(st, asgName)
		if err != nil {
			return err
		}
		finishRefresh(st, st.Resources[asgName], ref)
		return nil
	})
}

// ScriptInstanceRefreshes sets how the group's refreshes started from now on play out
// (RefreshScript); a zero script removes it.
func (d *Double) ScriptInstanceRefreshes(asgName string, s RefreshScript) error {
	if s != (RefreshScript{}) && !slices.Contains(refreshOutcomes, s.Outcome) {
		return fmt.Errorf("awsdouble: refresh outcome %q is not one of %v", s.Outcome, refreshOutcomes)
	}
	return d.Store.Update(func(st *State) error {
		if r, ok := st.Resources[asgName]; !ok || r.Type != TypeAutoscalingGroup {
			return apiErr("ValidationError", "AutoScalingGroup name not found - %s", asgName)
		}
		if s == (RefreshScript{}) {
			delete(st.RefreshScripts, asgName)
			return nil
		}
		if st.RefreshScripts == nil {
			st.RefreshScripts = map[string]*RefreshScript{}
		}
		st.RefreshScripts[asgName] = &s
		return nil
	})
}

// FailInstanceRefresh ends the group's refresh in progress as Failed with reason.
func (d *Double) FailInstanceRefresh(asgName, reason string) error {
	return d.Store.Update(func(st *State) error {
		ref, err := inProgress(st, asgName)
		if err != nil {
			return err
		}
		ref.Status, ref.StatusReason, ref.EndTime = RefreshFailed, reason, nowUnix()
		return nil
	})
}

func inProgress(st *State, asgName string) (*InstanceRefresh, error) {
	for _, ref := range st.Refreshes[asgName] {
		if ref.Status == RefreshPending || ref.Status == RefreshInProgress {
			return ref, nil
		}
	}
	return nil, apiErr("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group %s", asgName)
}

// Metric names one metric statistic series, as GetMetricData queries it.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions map[string]string
	Stat       string
}

// PutDatapoint sets the value of one minute of a series (replacing what was there).
func (d *Double) PutDatapoint(m Metric, minute time.Time, value float64) error {
	at := minute.Truncate(time.Minute).Unix()
	return d.Store.Update(func(st *State) error {
		st.Metrics = slices.DeleteFunc(st.Metrics, func(p *Datapoint) bool { return sameSeries(p, m) && p.Minute == at })
		st.Metrics = append(st.Metrics, &Datapoint{Namespace: m.Namespace, MetricName: m.MetricName,
			Dimensions: maps.Clone(m.Dimensions), Stat: m.Stat, Minute: at, Value: value})
		return nil
	})
}

// ClearDatapoint makes one minute of a series have no data (as a minute without
// requests has none).
func (d *Double) ClearDatapoint(m Metric, minute time.Time) error {
	at := minute.Truncate(time.Minute).Unix()
	return d.Store.Update(func(st *State) error {
		st.Metrics = slices.DeleteFunc(st.Metrics, func(p *Datapoint) bool { return sameSeries(p, m) && p.Minute == at })
		return nil
	})
}

func sameSeries(p *Datapoint, m Metric) bool {
	return p.Namespace == m.Namespace && p.MetricName == m.MetricName && p.Stat == m.Stat && maps.Equal(p.Dimensions, m.Dimensions)
}

// SetAlarmState scripts an alarm's state (OK, ALARM or INSUFFICIENT_DATA).
func (d *Double) SetAlarmState(name, state, reason string) error {
	if err := checkAlarmState(state); err != nil {
		return err
	}
	return d.Store.Update(func(st *State) error {
		if r, ok := st.Resources[name]; (!ok || r.Type != TypeMetricAlarm) && !slices.Contains(st.ExternalAlarms, name) {
			return apiErr("ResourceNotFound", "alarm %s does not exist", name)
		}
		st.AlarmStates[name] = &AlarmState{Value: state, Reason: cmp.Or(reason, "set by the test")}
		return nil
	})
}

// ListenerWeights reads a listener's forward weights (target group ARN → weight)
// through the API face, as the tool does.
func (d *Double) ListenerWeights(ctx context.Context, listenerArn string) (map[string]int, error) {
	out, err := d.ELBv2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{listenerArn}})
	if err != nil {
		return nil, err
	}
	w := map[string]int{}
	for _, a := range out.Listeners[0].DefaultActions {
		if a.Type == elbtypes.ActionTypeEnumForward && a.ForwardConfig != nil {
			for _, g := range a.ForwardConfig.TargetGroups {
				w[aws.ToString(g.TargetGroupArn)] = int(aws.ToInt32(g.Weight))
			}
		}
	}
	return w, nil
}
