package awsdouble

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatchAPI is the part of *cloudwatch.Client the bluegreen tool calls.
type CloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

var (
	_ CloudWatchAPI = (*cloudwatch.Client)(nil)
	_ CloudWatchAPI = (*CloudWatch)(nil)
)

// CloudWatch serves CloudWatch calls from the store.
type CloudWatch struct{ store *Store }

// GetMetricData answers metric-stat queries from the scripted datapoints in
// [StartTime, EndTime), newest first (AWS's default TimestampDescending). A minute with
// no datapoint has none in the answer: no requests means no data, not zero. Periods
// longer than a minute aggregate the minutes (Sum adds, Minimum/Maximum take the extreme,
// anything else — Average, percentiles — the largest minute, an upper bound).
func (c *CloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	out := &cloudwatch.GetMetricDataOutput{}
	start, end := aws.ToTime(in.StartTime), aws.ToTime(in.EndTime)
	if !start.Before(end) {
		return nil, apiErr("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
	}
	err := c.store.View(func(st *State) error {
		for _, q := range in.MetricDataQueries {
			if q.MetricStat == nil || q.MetricStat.Metric == nil {
				return apiErr("ValidationError", "awsdouble: query %s: only MetricStat queries are served by the double", aws.ToString(q.Id))
			}
			out.MetricDataResults = append(out.MetricDataResults, answer(st, q, start, end))
		}
		return nil
	})
	return out, err
}

func answer(st *State, q cwtypes.MetricDataQuery, start, end time.Time) cwtypes.MetricDataResult {
	m := q.MetricStat.Metric
	dims := map[string]string{}
	for _, d := range m.Dimensions {
		dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	period := int64(aws.ToInt32(q.MetricStat.Period))
	if period < 60 {
		period = 60
	}
	stat := aws.ToString(q.MetricStat.Stat)
	series := Metric{Namespace: aws.ToString(m.Namespace), MetricName: aws.ToString(m.MetricName), Dimensions: dims, Stat: stat}
	buckets := map[int64][]float64{}
	put := map[int64]bool{}
	for _, p := range st.Metrics {
		if !sameSeries(p, series) || p.Minute < start.Unix() || p.Minute >= end.Unix() {
			continue
		}
		put[p.Minute] = true
		b := p.Minute - (p.Minute-start.Unix())%period
		buckets[b] = append(buckets[b], p.Value)
	}
	for _, p := range st.Steady {
		if !sameSeries(p, series) {
			continue
		}
		// Every whole minute in the window from the series' start that no datapoint set.
		for at := max(start.Add(time.Minute-time.Nanosecond).Truncate(time.Minute).Unix(), p.Minute); at < end.Unix(); at += 60 {
			if !put[at] {
				b := at - (at-start.Unix())%period
				buckets[b] = append(buckets[b], p.Value)
			}
		}
	}
	res := cwtypes.MetricDataResult{Id: q.Id, Label: aws.String(cmpLabel(q)), StatusCode: cwtypes.StatusCodeComplete}
	keys := sortedKeys(buckets)
	slices.Reverse(keys)
	for _, b := range keys {
		res.Timestamps = append(res.Timestamps, time.Unix(b, 0).UTC())
		res.Values = append(res.Values, aggregate(stat, buckets[b]))
	}
	return res
}

func cmpLabel(q cwtypes.MetricDataQuery) string {
	if q.Label != nil {
		return *q.Label
	}
	return aws.ToString(q.MetricStat.Metric.MetricName)
}

func aggregate(stat string, vs []float64) float64 {
	switch stat {
	case "Sum", "SampleCount":
		total := 0.0
		for _, v := range vs {
			total += v
		}
		return total
	case "Minimum":
		return slices.Min(vs)
	}
	return slices.Max(vs)
}

// DescribeAlarms lists the program's metric alarms with their scripted state (OK
// unless a test set another).
func (c *CloudWatch) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	err := c.store.View(func(st *State) error {
		for _, r := range st.ofType(TypeMetricAlarm) {
			name := r.ID
			if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, name) ||
				in.AlarmNamePrefix != nil && !strings.HasPrefix(name, *in.AlarmNamePrefix) {
				continue
			}
			a := alarmToAPI(st, r)
			if in.StateValue != "" && a.StateValue != in.StateValue {
				continue
			}
			out.MetricAlarms = append(out.MetricAlarms, a)
		}
		for _, name := range st.ExternalAlarms {
			if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, name) ||
				in.AlarmNamePrefix != nil && !strings.HasPrefix(name, *in.AlarmNamePrefix) {
				continue
			}
			state := cmp.Or(st.AlarmStates[name], &AlarmState{Value: string(cwtypes.StateValueOk), Reason: "set by the test"})
			if in.StateValue != "" && cwtypes.StateValue(state.Value) != in.StateValue {
				continue
			}
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(name),
				AlarmArn:   aws.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", DefaultRegion, Account, name)),
				StateValue: cwtypes.StateValue(state.Value), StateReason: aws.String(state.Reason)})
		}
		return nil
	})
	return out, err
}

// ServeSteady gives a series the same value every minute from the minute of from on
// (a datapoint put for a minute replaces it there): traffic for however long a test's
// clock runs, without a datapoint per minute in the store.
func (d *Double) ServeSteady(m Metric, from time.Time, value float64) error {
	at := from.Truncate(time.Minute).Unix()
	return d.Store.Update(func(st *State) error {
		st.Steady = slices.DeleteFunc(st.Steady, func(p *Datapoint) bool { return sameSeries(p, m) })
		st.Steady = append(st.Steady, &Datapoint{Namespace: m.Namespace, MetricName: m.MetricName,
			Dimensions: maps.Clone(m.Dimensions), Stat: m.Stat, Minute: at, Value: value})
		return nil
	})
}

// PutExternalAlarm makes an alarm the program does not manage (a team's, named in
// webapi:gateAlarms) exist, in state (OK, ALARM or INSUFFICIENT_DATA).
func (d *Double) PutExternalAlarm(name, state, reason string) error {
	if err := checkAlarmState(state); err != nil {
		return err
	}
	return d.Store.Update(func(st *State) error {
		if !slices.Contains(st.ExternalAlarms, name) {
			st.ExternalAlarms = append(st.ExternalAlarms, name)
		}
		st.AlarmStates[name] = &AlarmState{Value: state, Reason: cmp.Or(reason, "set by the test")}
		return nil
	})
}

func alarmToAPI(st *State, r *Resource) cwtypes.MetricAlarm {
	state := &AlarmState{Value: string(cwtypes.StateValueOk), Reason: "Threshold Crossed: no datapoints were breaching"}
	if s, ok := st.AlarmStates[r.ID]; ok {
		state = s
	}
	eval, _ := num(r.Props, "evaluationPeriods")
	a := cwtypes.MetricAlarm{
		AlarmName:          aws.String(r.ID),
		AlarmArn:           aws.String(str(r.Props, "arn")),
		AlarmDescription:   aws.String(str(r.Props, "alarmDescription")),
		ComparisonOperator: cwtypes.ComparisonOperator(str(r.Props, "comparisonOperator")),
		EvaluationPeriods:  aws.Int32(int32(eval)),
		StateValue:         cwtypes.StateValue(state.Value),
		StateReason:        aws.String(state.Reason),
		TreatMissingData:   aws.String(str(r.Props, "treatMissingData")),
	}
	if t, ok := r.Props["threshold"].(float64); ok {
		a.Threshold = aws.Float64(t)
	}
	if d, ok := num(r.Props, "datapointsToAlarm"); ok {
		a.DatapointsToAlarm = aws.Int32(int32(d))
	}
	if n := str(r.Props, "metricName"); n != "" {
		a.MetricName, a.Namespace = aws.String(n), aws.String(str(r.Props, "namespace"))
	}
	return a
}

// alarmStateValues are the states SetAlarmState accepts.
var alarmStateValues = []string{string(cwtypes.StateValueOk), string(cwtypes.StateValueAlarm), string(cwtypes.StateValueInsufficientData)}

func checkAlarmState(v string) error {
	if !slices.Contains(alarmStateValues, v) {
		return fmt.Errorf("awsdouble: alarm state %q is not one of %v", v, alarmStateValues)
	}
	return nil
}
