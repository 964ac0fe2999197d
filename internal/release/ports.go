package release

import (
	"context"
	"errors"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// Engine is what the release logic needs from Pulumi: one stack per colour.
// internal/engine implements it with the Automation API; tests use fakes. Every method
// but CreateStack and Up returns ErrStackNotFound for a stack the backend does not have.
type Engine interface {
	// Config returns the stack's config, defaults included: webapi keys without their
	// namespace, other keys (aws:region) with theirs.
	Config(ctx context.Context, c infra.Color) (map[string]string, error)
	// Outputs returns the stack's outputs; empty when it was created but never updated.
	Outputs(ctx context.Context, c infra.Color) (map[string]any, error)
	// CreateStack creates the stack when the backend does not have it: a deploy's first
	// step (nothing else creates stacks).
	CreateStack(ctx context.Context, c infra.Color) error
	// Up updates the stack with the run's options (creating a missing stack).
	Up(ctx context.Context, c infra.Color, opts UpOptions) (Changes, error)
	// Preview returns the engine events of a preview.
	Preview(ctx context.Context, c infra.Color, run UpOptions) ([]events.EngineEvent, error)
	// Destroy deletes every resource of the stack.
	Destroy(ctx context.Context, c infra.Color) error
	// Refresh reads the live state of the targeted resources into the stack's state
	// (pulumi refresh --target), without running the program.
	Refresh(ctx context.Context, c infra.Color, targets []string) error
}

// OutputsCache is an Engine that serves recent outputs again without asking the backend
// (internal/engine): taking the lease makes it forget them, so a command never acts on
// outputs read before it held the lease.
type OutputsCache interface {
	ForgetOutputs()
}

// UpOptions are what one update decides, as opposed to the stack's config.
type UpOptions struct {
	// Targets limits the update to these URNs (pulumi up --target); none: the whole stack.
	Targets []string
	// Exclude leaves these URNs out of the update (pulumi up --exclude; optup.Exclude in
	// the Automation API v3.274.1): deploy --defer-fleet's fleet changes.
	Exclude []string
	// Weights is the split the traffic listener gets in this run (infra.RunOptions
	// ListenerWeights; the edge stack only): a shift step's target, or the weights the
	// tool read live on the ALB. Nil: the program keeps what the listener serves.
	Weights *infra.Weights
	// Config overrides stack config keys for this run only (infra.RunOptions.Config): the
	// release inputs (appRef, desiredCapacity, minSize), which come from the release and
	// the stacks' outputs and are never written into a checkout.
	Config map[string]string
}

// Changes counts an update's resource operations and names what was touched.
type Changes struct {
	Counts  map[string]int // op → resources, as the engine's summary reports
	Touched []string       // URNs of resources created, updated, replaced or deleted
}

// Modified is how many resources the update changed (everything but "same").
func (c Changes) Modified() int {
	n := 0
	for op, k := range c.Counts {
		if op != "same" {
			n += k
		}
	}
	return n
}

// Health is what the release logic asks AWS: is a colour healthy, and does the listener
// really have the weights the stack says. internal/awsops implements it.
type Health interface {
	// TargetHealth counts the targets registered in a target group and the healthy ones.
	TargetHealth(ctx context.Context, targetGroupArn string) (TargetCounts, error)
	// ListenerWeights returns target group ARN → weight of the listener's forward action.
	ListenerWeights(ctx context.Context, listenerArn string) (map[string]int, error)
	// Metrics are one target group's figures per whole minute of [q.Start, q.End), oldest
	// first; a minute without data (no requests) is absent, never zero.
	Metrics(ctx context.Context, q MetricsQuery) ([]Minute, error)
}

// MetricsQuery names the receiving colour's metrics (the ALB's and its target group's
// ARN suffixes, CloudWatch's LoadBalancer and TargetGroup dimensions) and the whole
// minutes [Start, End) asked for.
type MetricsQuery struct {
	AlbArnSuffix, TargetGroupArnSuffix string
	Start, End                         time.Time
}

// ListenerSetter sets a listener's forward weights directly (ELBv2 ModifyListener),
// without an engine run: the restore after an interrupt, which must finish within the
// seconds a cancelled job has. internal/awsops implements it.
type ListenerSetter interface {
	SetListenerWeights(ctx context.Context, listenerArn string, weights map[string]int) error
}

// TargetCounts is a target group's registered targets by ELB target state: healthy,
// initial (registering, health checks not yet passed), draining (deregistering) and
// every other state (unhealthy, unused, unavailable), with those others' ids and reasons.
type TargetCounts struct {
	Healthy, Total            int
	Initial, Draining, Others int
	// Problems are the targets neither healthy nor draining: what a message names.
	Problems []TargetProblem
}

// TargetProblem is a target that is not healthy, with ELB's reason code and description
// (DescribeTargetHealth's TargetHealth.Reason and .Description).
type TargetProblem struct {
	ID, State, Reason, Description string
}

// Minute is one minute of the receiving colour's traffic as CloudWatch has it: its
// requests, the 5xx its targets answered, the 5xx the load balancer answered itself and
// the connections to its targets that failed, and its p99 target response time; and the
// load balancer's requests to every target group (ALBRequests).
type Minute struct {
	Start            time.Time
	Requests         float64
	Target5xx        float64
	ELB5xx           float64
	ConnectionErrors float64
	P99              time.Duration
	HasLatency       bool
	// ALBRequests is the load balancer's RequestCount per LoadBalancer alone (all target
	// groups): what the ELB 5xx, which have no target group, are a share of.
	ALBRequests float64
}

// LoadBalancerMetrics is what a Health that also answers for the load balancer alone
// (internal/awsops) offers: the minutes of [q.Start, q.End) with the ELB's own 5xx and
// its requests to every target group (Minute.ELB5xx and ALBRequests; q's target group
// is not used). A release measures its ELB 5xx baseline with it; without it the
// baseline is 0 and every ELB 5xx is charged to the receiving colour.
type LoadBalancerMetrics interface {
	LoadBalancerMinutes(ctx context.Context, q MetricsQuery) ([]Minute, error)
}

// Errors are the minute's failed requests: the targets' 5xx, the load balancer's own
// 5xx and the failed connections to targets.
func (m Minute) Errors() float64 { return m.Target5xx + m.ELB5xx + m.ConnectionErrors }

// Clock lets tests run pauses without waiting: the release record's (its lease renewer
// runs on the same one).
type Clock = record.Clock

// RealClock is the wall clock; Sleep returns early when ctx ends.
type RealClock = record.SystemClock

// Fleets is what the release logic asks Auto Scaling: a colour's group as it runs now,
// and its instance refreshes. internal/awsops implements it.
type Fleets interface {
	// Fleet describes the named Auto Scaling group; an error when it does not exist.
	Fleet(ctx context.Context, asgName string) (Fleet, error)
	// InstanceRefreshes lists the group's instance refreshes, newest first.
	InstanceRefreshes(ctx context.Context, asgName string) ([]InstanceRefresh, error)
}

// Fleet is an Auto Scaling group's capacity, launch template and instances.
type Fleet struct {
	Name                  string
	Desired, Min, Max     int
	LaunchTemplateID      string
	LaunchTemplateVersion string // as the group names it: a number, $Latest or $Default
	Instances             []Instance
}

// Instance is one instance of a group, as Auto Scaling reports it.
type Instance struct {
	ID                    string
	LifecycleState        string // InService, Pending, Terminating, Standby, …
	HealthStatus          string // Healthy or Unhealthy
	LaunchTemplateVersion string
}

// InService counts the group's instances in the InService lifecycle state.
func (f Fleet) InService() int {
	n := 0
	for _, in := range f.Instances {
		if in.LifecycleState == LifecycleInService {
			n++
		}
	}
	return n
}

// LifecycleInService is Auto Scaling's LifecycleState of a serving instance.
const LifecycleInService = "InService"

// InstanceRefresh is one instance refresh of a group.
type InstanceRefresh struct {
	ID              string
	Status          string // Pending, InProgress, Successful, Failed, Cancelling, Cancelled, RollbackInProgress, …
	StatusReason    string
	PercentComplete int
	StartTime       time.Time
	EndTime         time.Time // zero while running
}

// Alarms is what the release logic asks CloudWatch about alarms. internal/awsops
// implements it.
type Alarms interface {
	// AlarmStates returns the state of each named alarm that exists; a name that does
	// not exist is absent from the map.
	AlarmStates(ctx context.Context, names []string) (map[string]AlarmState, error)
}

// AlarmState is an alarm's state (OK, ALARM, INSUFFICIENT_DATA) and AWS's reason for it.
type AlarmState struct {
	Value  string
	Reason string
}

// AlarmStateAlarm is CloudWatch's StateValue of an alarm that fires.
const AlarmStateAlarm = "ALARM"

// ErrStackNotFound is what an Engine returns (wrapped) when asked to read, preview,
// refresh or destroy a stack the backend does not have: those never create one. Only
// CreateStack and Up (the first deploy) create a stack.
var ErrStackNotFound = errors.New("the stack does not exist in the backend (never deployed)")
