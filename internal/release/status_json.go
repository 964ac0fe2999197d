package release

import (
	"time"

	"github.com/webapi-platform/infra/infra"
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
	ASGName    *string `json:"asgName"`
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
