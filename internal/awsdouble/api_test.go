package awsdouble

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

var bg = context.Background()

func TestListenerWeightsChangeFromEitherFace(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	l, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	inputs := map[string]any{"loadBalancerArn": e.lb, "port": 80.0, "protocol": "HTTP", "defaultActions": forward(e.tgBlue, 100.0, e.tgGreen, 0.0)}

	// API face → provider: Read (pulumi refresh) returns the live weights as inputs.
	require.NoError(t, f.double.ModifyListenerWeights(bg, l, map[string]int{e.tgGreen: 25, e.tgBlue: 75}))
	res, err := f.p.Read(bg, &pulumirpc.ReadRequest{Id: l, Urn: urn(TypeListener, "http"), Inputs: pstruct(t, inputs), Properties: pstruct(t, inputs)})
	require.NoError(t, err)
	assert.Equal(t, forward(e.tgBlue, 75.0, e.tgGreen, 25.0), plain(t, res.GetInputs())["defaultActions"])
	assert.Equal(t, l, plain(t, res.GetProperties())["arn"])

	// Provider → API face: an update of the weights is what DescribeListeners serves.
	news := map[string]any{"loadBalancerArn": e.lb, "port": 80.0, "protocol": "HTTP", "defaultActions": forward(e.tgBlue, 10.0, e.tgGreen, 90.0)}
	_, err = f.update(TypeListener, "http", l, inputs, news)
	require.NoError(t, err)
	w, err := f.double.ListenerWeights(bg, l)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{e.tgBlue: 10, e.tgGreen: 90}, w)

	_, err = f.double.ELBv2.DescribeListeners(bg, &elbv2.DescribeListenersInput{ListenerArns: []string{l + "x"}})
	var nf *elbtypes.ListenerNotFoundException
	assert.ErrorAs(t, err, &nf)
}

func TestReadOfADeletedResourceReturnsNoID(t *testing.T) {
	f := newFixture(t)
	res, err := f.p.Read(bg, &pulumirpc.ReadRequest{Id: "vpc-gone", Urn: urn(TypeVpc, "vpc")})
	require.NoError(t, err)
	assert.Empty(t, res.GetId())
}

func TestOutputsAreShapedLikeAWS(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	lb := f.resource(e.lb)
	assert.Regexp(t, `^arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/alb-[0-9a-f]{7}/[0-9a-f]{16}$`, lb["arn"])
	assert.Regexp(t, `^app/alb-[0-9a-f]{7}/[0-9a-f]{16}$`, lb["arnSuffix"])
	assert.Regexp(t, `^alb-[0-9a-f]{7}-\d+\.eu-west-1\.elb\.amazonaws\.com$`, lb["dnsName"])
	assert.Equal(t, e.vpc, lb["vpcId"])
	assert.Regexp(t, `^targetgroup/tg-blue-[0-9a-f]{7}/[0-9a-f]{16}$`, f.resource(e.tgBlue)["arnSuffix"])
	l, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	assert.Regexp(t, `^arn:aws:elasticloadbalancing:eu-west-1:000000000000:listener/app/alb-[0-9a-f]{7}/[0-9a-f]{16}/[0-9a-f]{16}$`, l)
	rule, _ := f.mustCreate(TypeListenerRule, "pin", map[string]any{"listenerArn": l, "priority": 10.0,
		"actions": []any{map[string]any{"type": "forward", "targetGroupArn": e.tgBlue}}})
	assert.Regexp(t, `:listener-rule/app/alb-[0-9a-f]{7}/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}$`, rule)

	assert.Regexp(t, `^subnet-[0-9a-f]{17}$`, e.subnetA)
	for token, prefix := range map[string]string{TypeVpc: "vpc-", TypeSecurityGroup: "sg-",
		TypeSGIngressRule: "sgr-", TypeInternetGateway: "igw-", TypeNatGateway: "nat-", TypeEip: "eipalloc-",
		TypeRouteTable: "rtb-", TypeRouteTableAssoc: "rtbassoc-", TypeLaunchTemplate: "lt-", TypeVpcEndpoint: "vpce-", TypeFlowLog: "fl-"} {
		id, _, err := createIn(&world{st: newState(), region: DefaultRegion}, token, map[string]any{})
		require.NoError(t, err, token)
		assert.Regexp(t, "^"+prefix+"[0-9a-f]{17}$", id.ID, token)
	}
	role, out := f.mustCreate(TypeRole, "role", map[string]any{"assumeRolePolicy": "{}"})
	assert.Regexp(t, `^role-[0-9a-f]{7}$`, role)
	assert.Equal(t, "arn:aws:iam::000000000000:role/"+role, out["arn"])
}

func (f *fixture) resource(id string) map[string]any {
	f.t.Helper()
	var props map[string]any
	require.NoError(f.t, f.store.View(func(st *State) error {
		require.Contains(f.t, st.Resources, id)
		props = st.Resources[id].Props
		return nil
	}))
	return props
}

// fleet creates a launch template and an Auto Scaling group of two in the blue group.
func (f *fixture) fleet(e edge, extra map[string]any) (lt, asg string) {
	f.t.Helper()
	lt, _ = f.mustCreate(TypeLaunchTemplate, "lt", map[string]any{"imageId": "ami-1", "instanceType": "t3.large", "updateDefaultVersion": true})
	in := map[string]any{
		"minSize": 2.0, "maxSize": 4.0, "desiredCapacity": 2.0, "vpcZoneIdentifiers": []any{e.subnetA, e.subnetB},
		"targetGroupArns": []any{e.tgBlue}, "launchTemplate": map[string]any{"id": lt, "version": "1"},
		"instanceRefresh": map[string]any{"strategy": "Rolling"},
	}
	for k, v := range extra {
		in[k] = v
	}
	asg, _ = f.mustCreate(TypeAutoscalingGroup, "asg", in)
	return lt, asg
}

func TestLaunchTemplateVersionsAndInstanceRefreshes(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	lt, asg := f.fleet(e, nil)
	assert.Equal(t, 1.0, f.resource(lt)["latestVersion"])
	insts, err := f.double.Instances(asg)
	require.NoError(t, err)
	require.Len(t, insts, 2)
	assert.Equal(t, "1", insts[0].LaunchTemplateVersion)

	ltOld := map[string]any{"imageId": "ami-1", "instanceType": "t3.large", "updateDefaultVersion": true, "name": f.resource(lt)["name"]}
	bump := func(ami string) string {
		news := map[string]any{"imageId": ami, "instanceType": "t3.large", "updateDefaultVersion": true, "name": f.resource(lt)["name"]}
		out, err := f.update(TypeLaunchTemplate, "lt", lt, ltOld, news)
		require.NoError(t, err)
		v := fmt.Sprint(out["latestVersion"])
		asgProps := f.resource(asg)
		newASG := map[string]any{}
		for _, k := range []string{"minSize", "maxSize", "desiredCapacity", "vpcZoneIdentifiers", "targetGroupArns", "instanceRefresh", "name"} {
			newASG[k] = asgProps[k]
		}
		newASG["launchTemplate"] = map[string]any{"id": lt, "version": v}
		_, err = f.update(TypeAutoscalingGroup, "asg", asg, asgProps, newASG)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, "2", bump("ami-2"), "every update makes a new launch template version")
	assert.Equal(t, "3", bump("ami-3"))

	refs, err := f.double.AutoScaling.DescribeInstanceRefreshes(bg, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(asg)})
	require.NoError(t, err)
	require.Len(t, refs.InstanceRefreshes, 2)
	assert.Equal(t, "InProgress", string(refs.InstanceRefreshes[0].Status), "newest first")
	assert.Equal(t, "Cancelled", string(refs.InstanceRefreshes[1].Status), "a new refresh cancels the one in progress")

	require.NoError(t, f.double.FinishInstanceRefresh(asg))
	groups, err := f.double.AutoScaling.DescribeAutoScalingGroups(bg, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{asg}})
	require.NoError(t, err)
	require.Len(t, groups.AutoScalingGroups, 1)
	g := groups.AutoScalingGroups[0]
	assert.Equal(t, int32(2), aws.ToInt32(g.DesiredCapacity))
	require.Len(t, g.Instances, 2)
	for _, in := range g.Instances {
		assert.Equal(t, "3", aws.ToString(in.LaunchTemplate.Version))
		assert.NotEqual(t, insts[0].ID, aws.ToString(in.InstanceId), "instances were replaced")
	}
	health, err := f.double.ELBv2.DescribeTargetHealth(bg, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.tgBlue)})
	require.NoError(t, err)
	assert.Len(t, health.TargetHealthDescriptions, 2, "old instances deregistered, new ones registered")

	_, err = f.double.StartInstanceRefresh(asg)
	require.NoError(t, err)
	require.NoError(t, f.double.FailInstanceRefresh(asg, "instances failed health checks"))
	refs, err = f.double.AutoScaling.DescribeInstanceRefreshes(bg, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(asg)})
	require.NoError(t, err)
	assert.Equal(t, "Failed", string(refs.InstanceRefreshes[0].Status))
	assert.Equal(t, "instances failed health checks", aws.ToString(refs.InstanceRefreshes[0].StatusReason))
	assert.Error(t, f.double.FinishInstanceRefresh(asg), "nothing in progress")
}

func TestTargetHealthIsScripted(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	_, asg := f.fleet(e, nil)
	insts, err := f.double.Instances(asg)
	require.NoError(t, err)
	require.NoError(t, f.double.SetTargetHealth(e.tgBlue, insts[0].ID, HealthUnhealthy, "Target.FailedHealthChecks", "Health checks failed"))
	require.NoError(t, f.double.SetTargetHealth(e.tgBlue, insts[1].ID, HealthDraining, "Target.DeregistrationInProgress", ""))
	out, err := f.double.ELBv2.DescribeTargetHealth(bg, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.tgBlue)})
	require.NoError(t, err)
	got := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		got[aws.ToString(d.Target.Id)] = string(d.TargetHealth.State) + "/" + string(d.TargetHealth.Reason)
	}
	assert.Equal(t, map[string]string{
		insts[0].ID: "unhealthy/Target.FailedHealthChecks",
		insts[1].ID: "draining/Target.DeregistrationInProgress",
	}, got)
	assert.Error(t, f.double.SetTargetHealth(e.tgBlue, "", "sick", "", ""), "not a target state")
	_, err = f.double.ELBv2.DescribeTargetHealth(bg, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String("arn:nope")})
	var nf *elbtypes.TargetGroupNotFoundException
	assert.ErrorAs(t, err, &nf)
}

func TestUpFailsWhenNewInstancesNeverPassTheHealthCheck(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	require.NoError(t, f.double.SetNewTargetHealth(HealthUnhealthy))
	lt, _ := f.mustCreate(TypeLaunchTemplate, "lt", map[string]any{"imageId": "ami-1"})
	_, _, err := f.create(TypeAutoscalingGroup, "asg", map[string]any{
		"minSize": 2.0, "maxSize": 4.0, "desiredCapacity": 2.0, "waitForElbCapacity": 2.0, "waitForCapacityTimeout": "30m",
		"vpcZoneIdentifiers": []any{e.subnetA}, "targetGroupArns": []any{e.tgBlue}, "launchTemplate": map[string]any{"id": lt, "version": "1"},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want at least 2 healthy instance(s) registered to Load Balancer, have 0")
	st, ok := status.FromError(err)
	require.True(t, ok)
	require.Len(t, st.Details(), 1, "the group exists: the engine must keep it in state")
	failed := st.Details()[0].(*pulumirpc.ErrorResourceInitFailed)
	assert.NotEmpty(t, failed.GetId())
	asgs, err := f.double.Resources(TypeAutoscalingGroup)
	require.NoError(t, err)
	assert.Len(t, asgs, 1)
}

func TestGetMetricDataServesScriptedMinutes(t *testing.T) {
	f := newFixture(t)
	dims := map[string]string{"LoadBalancer": "app/a/1", "TargetGroup": "targetgroup/b/2"}
	requests := Metric{Namespace: "AWS/ApplicationELB", MetricName: "RequestCount", Dimensions: dims, Stat: "Sum"}
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	require.NoError(t, f.double.PutDatapoint(requests, t0, 100))
	require.NoError(t, f.double.PutDatapoint(requests, t0.Add(2*time.Minute), 50)) // t0+1 has no data
	require.NoError(t, f.double.PutDatapoint(requests, t0.Add(3*time.Minute), 7))
	require.NoError(t, f.double.ClearDatapoint(requests, t0.Add(3*time.Minute)))
	other := requests
	other.Dimensions = map[string]string{"LoadBalancer": "app/a/1", "TargetGroup": "targetgroup/c/3"}
	require.NoError(t, f.double.PutDatapoint(other, t0, 999))

	q := cwtypes.MetricDataQuery{Id: aws.String("requests"), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String("targetgroup/b/2")}, {Name: aws.String("LoadBalancer"), Value: aws.String("app/a/1")}}},
		Period: aws.Int32(60), Stat: aws.String("Sum"),
	}}
	out, err := f.double.CloudWatch.GetMetricData(bg, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(5 * time.Minute)), MetricDataQueries: []cwtypes.MetricDataQuery{q},
	})
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 1)
	r := out.MetricDataResults[0]
	assert.Equal(t, []float64{50, 100}, r.Values, "newest first; empty minutes have no datapoint")
	assert.Equal(t, []time.Time{t0.Add(2 * time.Minute), t0}, r.Timestamps)

	q.MetricStat.Period = aws.Int32(300)
	out, err = f.double.CloudWatch.GetMetricData(bg, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(5 * time.Minute)), MetricDataQueries: []cwtypes.MetricDataQuery{q},
	})
	require.NoError(t, err)
	assert.Equal(t, []float64{150}, out.MetricDataResults[0].Values, "a 5-minute Sum adds the minutes")
}

func TestDescribeAlarmsServesTheProgramsAlarmsWithScriptedStates(t *testing.T) {
	f := newFixture(t)
	f.mustCreate(TypeMetricAlarm, "5xx", map[string]any{"name": "webapi-blue-blue-5xx", "threshold": 1.0, "evaluationPeriods": 3.0, "comparisonOperator": "GreaterThanThreshold"})
	f.mustCreate(TypeMetricAlarm, "latency", map[string]any{"name": "webapi-blue-blue-latency", "threshold": 1.0, "evaluationPeriods": 3.0, "comparisonOperator": "GreaterThanThreshold"})
	require.NoError(t, f.double.SetAlarmState("webapi-blue-blue-5xx", "ALARM", "Threshold Crossed"))
	assert.Error(t, f.double.SetAlarmState("webapi-blue-blue-5xx", "RED", ""))
	assert.Error(t, f.double.SetAlarmState("no-such-alarm", "ALARM", ""))

	out, err := f.double.CloudWatch.DescribeAlarms(bg, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"webapi-blue-blue-5xx", "webapi-blue-blue-latency"}})
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range out.MetricAlarms {
		got[aws.ToString(a.AlarmName)] = string(a.StateValue)
	}
	assert.Equal(t, map[string]string{"webapi-blue-blue-5xx": "ALARM", "webapi-blue-blue-latency": "OK"}, got)
	assert.Equal(t, "arn:aws:cloudwatch:eu-west-1:000000000000:alarm:webapi-blue-blue-5xx", aws.ToString(out.MetricAlarms[0].AlarmArn))
}

func TestInvokesUseTheConfiguredRegion(t *testing.T) {
	f := newFixture(t)
	_, err := f.p.Configure(bg, &pulumirpc.ConfigureRequest{Variables: map[string]string{"aws:config:region": "us-east-2"}})
	require.NoError(t, err)
	invoke := func(tok string, args map[string]any) *pulumirpc.InvokeResponse {
		res, err := f.p.Invoke(bg, &pulumirpc.InvokeRequest{Tok: tok, Args: pstruct(t, args)})
		require.NoError(t, err)
		return res
	}
	assert.Equal(t, "us-east-2", plain(t, invoke(InvokeRegion, nil).GetReturn())["name"])
	azs := plain(t, invoke(InvokeAvailabilityZones, map[string]any{"state": "available"}).GetReturn())
	assert.Equal(t, []any{"us-east-2a", "us-east-2b", "us-east-2c"}, azs["names"])
	assert.Equal(t, []any{"use2-az1", "use2-az2", "use2-az3"}, azs["zoneIds"])

	e := f.edge()
	l, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	got := plain(t, invoke(InvokeListener, map[string]any{"loadBalancerArn": e.lb, "port": 80.0}).GetReturn())
	assert.Equal(t, l, got["arn"])
	// The data source's shape: each action's forward block is the list "forwards".
	want := forward(e.tgBlue, 100.0, e.tgGreen, 0.0)
	action := want[0].(map[string]any)
	action["forwards"] = []any{action["forward"]}
	delete(action, "forward")
	assert.Equal(t, want, got["defaultActions"])
	missing := invoke(InvokeListener, map[string]any{"arn": l + "0"})
	require.Len(t, missing.GetFailures(), 1)
	assert.Contains(t, missing.GetFailures()[0].GetReason(), "ListenerNotFound")
	_, err = f.p.Invoke(bg, &pulumirpc.InvokeRequest{Tok: "aws:index/getCallerIdentity:getCallerIdentity", Args: &structpb.Struct{}})
	assert.ErrorContains(t, err, "not implemented")
}

func TestStoreSerialisesWritersAcrossHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws.json")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := OpenStore(path) // a handle of its own, as each plugin process has
			for i := range 25 {
				assert.NoError(t, s.Update(func(st *State) error {
					id := fmt.Sprintf("r-%d-%d", w, i)
					st.Resources[id] = &Resource{Type: TypeVpc, ID: id, Props: map[string]any{}}
					return nil
				}))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, OpenStore(path).View(func(st *State) error {
		assert.Len(t, st.Resources, 200, "no write lost")
		return nil
	}))
}

// A steady series answers every whole minute from its start that no datapoint set; the
// load balancer's own 5xx is a LoadBalancer-only series, apart from the target group's.
func TestGetMetricDataServesSteadySeriesAndLoadBalancerOnlyMetrics(t *testing.T) {
	f := newFixture(t)
	both := map[string]string{"LoadBalancer": "app/a/1", "TargetGroup": "targetgroup/b/2"}
	requests := Metric{Namespace: "AWS/ApplicationELB", MetricName: "RequestCount", Dimensions: both, Stat: "Sum"}
	elb5xx := Metric{Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_ELB_5XX_Count", Dimensions: map[string]string{"LoadBalancer": "app/a/1"}, Stat: "Sum"}
	connErrors := Metric{Namespace: "AWS/ApplicationELB", MetricName: "TargetConnectionErrorCount", Dimensions: both, Stat: "Sum"}
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	require.NoError(t, f.double.ServeSteady(requests, t0.Add(time.Minute), 200))
	require.NoError(t, f.double.PutDatapoint(requests, t0.Add(2*time.Minute), 5))
	require.NoError(t, f.double.PutDatapoint(elb5xx, t0.Add(3*time.Minute), 9))
	require.NoError(t, f.double.PutDatapoint(connErrors, t0.Add(3*time.Minute), 2))

	query := func(id string, m Metric) cwtypes.MetricDataQuery {
		var dims []cwtypes.Dimension
		for k, v := range m.Dimensions {
			dims = append(dims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.MetricName), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String(m.Stat)}}
	}
	out, err := f.double.CloudWatch.GetMetricData(bg, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(5 * time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{query("r", requests), query("e", elb5xx), query("c", connErrors)},
	})
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 3)
	assert.Equal(t, []float64{200, 200, 5, 200}, out.MetricDataResults[0].Values, "steady from t0+1, the datapoint at t0+2 replaces it, none before t0+1")
	assert.Equal(t, []time.Time{t0.Add(4 * time.Minute), t0.Add(3 * time.Minute), t0.Add(2 * time.Minute), t0.Add(time.Minute)}, out.MetricDataResults[0].Timestamps)
	assert.Equal(t, []float64{9}, out.MetricDataResults[1].Values, "the load balancer's own 5xx, per LoadBalancer")
	assert.Equal(t, []float64{2}, out.MetricDataResults[2].Values)
}

// A team's alarm (not the program's) exists once put, is scripted like the program's,
// and is listed by DescribeAlarms.
func TestExternalAlarmsCanBeScripted(t *testing.T) {
	f := newFixture(t)
	assert.Error(t, f.double.SetAlarmState("team-orders", "ALARM", ""), "it does not exist yet")
	require.NoError(t, f.double.PutExternalAlarm("team-orders", "OK", ""))
	require.NoError(t, f.double.SetAlarmState("team-orders", "ALARM", "orders failing"))
	out, err := f.double.CloudWatch.DescribeAlarms(bg, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"team-orders", "team-missing"}})
	require.NoError(t, err)
	require.Len(t, out.MetricAlarms, 1)
	assert.Equal(t, cwtypes.StateValueAlarm, out.MetricAlarms[0].StateValue)
	assert.Equal(t, "orders failing", aws.ToString(out.MetricAlarms[0].StateReason))
}
