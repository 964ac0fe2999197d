package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// StatusSchemaVersion is the version of StatusReport's JSON (`bluegreen status --json`).
// A field is only ever added within a version; renaming, removing or changing the
// meaning of one makes the next version.
const StatusSchemaVersion = 1

// StatusReport is what `bluegreen status` knows, for scripts: every value the tool could
// not read is null (never "-" and never a guess), and Warnings say why.
type StatusReport struct {
	SchemaVersion int `json:"schemaVersion"`
	// ALB is the ALB's URL from the edge stack's outputs; null before the edge is deployed.
	ALB *string `json:"alb"`
	// Weights are what the listener serves; null before the edge is deployed.
	Weights *StatusWeights `json:"weights"`
	// StableColor is where a rollback sends all traffic; null before the first release.
	StableColor *infra.Color `json:"stableColor"`
	// Lease is who holds the release lease; null when it is free (or the record unread).
	Lease *StatusLease `json:"lease"`
	// Release is the release in progress, else the last one; null when there was none.
	Release *StatusRelease `json:"release"`
	// LastHistory is the newest entry of the release record's history; null when empty.
	LastHistory *StatusHistory `json:"lastHistory"`
	// Colors are blue then green.
	Colors []StatusColor `json:"colors"`
	// Warnings say what could not be read and why; empty when everything was.
	Warnings []string `json:"warnings"`
}

// StatusWeights is the traffic split in percent and where it was read.
type StatusWeights struct {
	Blue   int    `json:"blue"`
	Green  int    `json:"green"`
	Source string `json:"source"` // WeightsFromListener or WeightsFromEdgeOutputs
}

// Where StatusWeights were read: the live listener through the AWS API, or (without AWS)
// the edge stack's weights output, the listener as of its last update.
const (
	WeightsFromListener    = "listener"
	WeightsFromEdgeOutputs = "edgeOutputs"
)

// StatusLease is the release lease's holder and term.
type StatusLease struct {
	Owner    StatusOwner `json:"owner"`
	Acquired time.Time   `json:"acquired"`
	Expires  time.Time   `json:"expires"`
}

// StatusOwner is who holds the lease: a user on a host, and the CI run's URL if any.
type StatusOwner struct {
	User   string `json:"user"`
	Host   string `json:"host"`
	PID    int    `json:"pid"`
	RunURL string `json:"runUrl,omitempty"`
}

// StatusRelease is a release from the release record.
type StatusRelease struct {
	ID     string      `json:"id"`
	Target infra.Color `json:"target"`
	AppRef *string     `json:"appRef"`
	// InProgress: not done (applying, applied, watching, paused or restoring).
	InProgress bool   `json:"inProgress"`
	Phase      string `json:"phase"`
	// Step counts from 1: the step being applied, watched or paused after (or the last).
	Step    int   `json:"step"`
	Steps   []int `json:"steps"`
	Manual  bool  `json:"manual"`
	Hold    bool  `json:"hold"`    // the plan ends below 100% and holds that split
	Holding bool  `json:"holding"` // it ended holding it: promote takes it to 100%
	// From and To are the weights before the current step (or restore) and after it.
	From    infra.Weights `json:"from"`
	To      infra.Weights `json:"to"`
	Outcome *string       `json:"outcome"` // null while in progress
	Message *string       `json:"message"`
	Started time.Time     `json:"started"`
	Updated time.Time     `json:"updated"`
}

// StatusHistory is one entry of the release record's history.
type StatusHistory struct {
	At      time.Time      `json:"at"`
	Who     string         `json:"who"`
	Action  string         `json:"action"`
	Version *string        `json:"version"`
	From    *infra.Weights `json:"from"`
	To      *infra.Weights `json:"to"`
	Outcome *string        `json:"outcome"`
	Message *string        `json:"message"`
}

// StatusColor is one colour: its stack's outputs and, from AWS, its fleet, targets and
// alarms.
type StatusColor struct {
	Color infra.Color `json:"color"`
	// Deployed: the colour's stack exists and has outputs.
	Deployed bool `json:"deployed"`
	// LiveWeight is the colour's share of traffic (percent, from Weights); null before the
	// edge is deployed.
	LiveWeight *int    `json:"liveWeight"`
	AppRef     *string `json:"appRef"`
	AmiID      *string `json:"amiId"`
	// BaseAmiID is the Windows Server base image the colour's prerequisites stage is
	// pinned to (its baseAmiId output, webapi:baseAmiId); null when it has no pin. The
	// image refresh compares it with the newest one.
	BaseAmiID *string `json:"baseAmiId"`
	ASGName   *string `json:"asgName"`
	// Desired and InService are the Auto Scaling group's desired capacity and its
	// instances in service, read live.
	Desired   *int `json:"desired"`
	InService *int `json:"inService"`
	// Healthy and TargetsTotal count the colour's target group's targets, read live.
	Healthy      *int `json:"healthy"`
	TargetsTotal *int `json:"targetsTotal"`
	// AlarmsInAlarm are the colour's alarms (its alarmNames output) in state ALARM,
	// sorted; empty when none is, null when the states could not be read.
	AlarmsInAlarm []string `json:"alarmsInAlarm"`
}

// StatusReport reads what status shows: the edge stack's outputs and the listener's live
// weights, the release record, and per colour its stack's outputs and, through the
// Health, Fleets and Alarms ports, its targets, group and alarms. It never creates a
// stack (a colour without one is not deployed) and prints nothing but look's notes.
func (r *Release) StatusReport(ctx context.Context) (*StatusReport, error) {
	st, err := r.lookReadOnly(ctx)
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{SchemaVersion: StatusSchemaVersion, Colors: []StatusColor{}, Warnings: []string{}}
	if st.deployed != nil {
		rep.ALB = nonEmpty(st.deployed.AlbURL)
		rep.Weights = &StatusWeights{Blue: st.live.Blue, Green: st.live.Green, Source: WeightsFromListener}
		switch {
		case st.liveErr != nil:
			rep.Weights.Source = WeightsFromEdgeOutputs
			rep.warn("weights: read from the edge stack's outputs: the listener could not be read (%v), it may serve something else", st.liveErr)
		case !st.liveFromALB:
			rep.Weights.Source = WeightsFromEdgeOutputs
			rep.warn("weights: read from the edge stack's outputs: AWS is not reachable, the listener may serve something else")
		}
	} else if !st.neverDeployed {
		rep.warn("the edge stack %s: %s", st.edge, st.undeployed)
	}
	if r.Health == nil || r.Fleets == nil || r.Alarms == nil {
		rep.warn("AWS is not reachable: no live capacity, target health or alarm states")
	}
	if r.Store == nil {
		rep.warn("the release record could not be opened: no stable colour, release, lease or history")
	} else {
		reportRecord(rep, st.rec)
	}
	for _, c := range infra.Colors {
		col, err := r.colorStatus(ctx, st, c, rep)
		if err != nil {
			return nil, err
		}
		rep.Colors = append(rep.Colors, col)
	}
	return rep, nil
}

func (rep *StatusReport) warn(format string, a ...any) {
	rep.Warnings = append(rep.Warnings, fmt.Sprintf(format, a...))
}

// reportRecord fills the report from the release record.
func reportRecord(rep *StatusReport, rec record.Record) {
	if rec.StableColor != "" {
		c := rec.StableColor
		rep.StableColor = &c
	}
	if l := rec.Lease; l != nil {
		rep.Lease = &StatusLease{Owner: StatusOwner{User: l.Owner.User, Host: l.Owner.Host, PID: l.Owner.PID, RunURL: l.Owner.RunURL},
			Acquired: l.Acquired.UTC(), Expires: l.Expires.UTC()}
	}
	if rel := rec.Release; rel != nil {
		sr := &StatusRelease{ID: rel.ID, Target: rel.Target, AppRef: nonEmpty(rel.AppRef), InProgress: rel.Phase != record.PhaseDone,
			Phase: string(rel.Phase), Step: rel.Step + 1, Holding: record.Holding(rec), From: rel.From, To: rel.To,
			Outcome: nonEmpty(string(rel.Outcome)), Message: nonEmpty(rel.Message), Started: rel.Started.UTC(), Updated: rel.Updated.UTC()}
		if p := rec.Plan; p != nil {
			sr.Steps, sr.Manual, sr.Hold = slices.Clone(p.Steps), p.Manual, p.Hold
		}
		rep.Release = sr
	}
	if n := len(rec.History); n > 0 {
		e := rec.History[n-1]
		rep.LastHistory = &StatusHistory{At: e.At.UTC(), Who: e.Who, Action: e.Action, Version: nonEmpty(e.Version), From: e.From, To: e.To,
			Outcome: nonEmpty(string(e.Outcome)), Message: nonEmpty(e.Message)}
	}
}

// colorStatus reads one colour: its stack's outputs, and what AWS says of its group,
// target group and alarms. What cannot be read stays null, with a warning.
func (r *Release) colorStatus(ctx context.Context, st *state, c infra.Color, rep *StatusReport) (StatusColor, error) {
	col := StatusColor{Color: c}
	if st.deployed != nil {
		w := st.live.Of(c)
		col.LiveWeight = &w
	}
	outs, err := r.Engine.Outputs(ctx, c)
	if err != nil && !errors.Is(err, ErrStackNotFound) {
		return col, err
	}
	if col.Deployed = len(outs) > 0; !col.Deployed {
		return col, nil
	}
	col.AppRef, col.AmiID, col.ASGName = stringOutput(outs, infra.OutAppRef), stringOutput(outs, infra.OutAmiID), stringOutput(outs, infra.OutAsgName)
	col.BaseAmiID = stringOutput(outs, infra.OutBaseAmiID)
	if col.ASGName != nil && r.Fleets != nil {
		if g, err := r.Fleets.Fleet(ctx, *col.ASGName); err == nil {
			desired, inService := g.Desired, g.InService()
			col.Desired, col.InService = &desired, &inService
		} else {
			rep.warn("%s: auto scaling group: %v", c, err)
		}
	}
	if tg := st.targetGroup(c); tg != "" && r.Health != nil {
		if counts, err := r.Health.TargetHealth(ctx, tg); err == nil {
			col.Healthy, col.TargetsTotal = &counts.Healthy, &counts.Total
		} else {
			rep.warn("%s: target health: %v", c, err)
		}
	}
	col.AlarmsInAlarm = r.alarmsInAlarm(ctx, c, outs, rep)
	return col, nil
}

// alarmsInAlarm are the colour's alarms (its alarmNames output) in state ALARM, sorted;
// nil when they cannot be read.
func (r *Release) alarmsInAlarm(ctx context.Context, c infra.Color, outs map[string]any, rep *StatusReport) []string {
	names := stringsOutput(outs, infra.OutAlarmNames)
	if r.Alarms == nil || names == nil {
		return nil
	}
	states, err := r.Alarms.AlarmStates(ctx, names)
	if err != nil {
		rep.warn("%s: alarm states: %v", c, err)
		return nil
	}
	firing := []string{}
	for _, n := range names {
		if states[n].Value == AlarmStateAlarm {
			firing = append(firing, n)
		}
	}
	slices.Sort(firing)
	return firing
}

// stringOutput is a string output, nil when absent or empty.
func stringOutput(outs map[string]any, key string) *string {
	s, _ := outs[key].(string)
	return nonEmpty(s)
}

// stringsOutput is a list-of-strings output (a JSON array, as the engine returns it),
// nil when absent.
func stringsOutput(outs map[string]any, key string) []string {
	list, ok := outs[key].([]any)
	if !ok {
		return nil
	}
	out := []string{}
	for _, v := range list {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// intString formats an int with a suffix, "" when unknown.
func intString(p *int, suffix string) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%d%s", *p, suffix)
}
