// Package record is the release record of the bluegreen tool: the stable colour, the
// step plan, the release in progress (which step, which phase, which weights), the lease
// that keeps two operators from releasing at once, and an append-only history. It lives
// beside the Pulumi state backend (a directory or an S3 prefix), never in git, and every
// write is a compare-and-swap: a writer that read an older version gets ErrConflict and
// nothing it did not see is overwritten.
//
// The record is plain data; transitions are pure functions (transitions.go); stores
// (file, S3) only load and conditionally save it; the lease functions (lease.go) are
// read-modify-CAS loops over a store.
package record

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// SchemaVersion is the version of the record's JSON layout. A record written by a newer
// tool (a higher schema) is refused rather than half-understood and overwritten.
const SchemaVersion = 1

// Record is the whole release record of one project.
type Record struct {
	Schema int `json:"schema"`
	// Revision counts the writes of the record (Update bumps it); it also makes every
	// write's bytes differ, so an S3 ETag never repeats for a later state.
	Revision int64 `json:"revision"`
	// StableColor is the colour that served before the current (or last) release's first
	// shift: where a rollback sends all traffic. Empty before the first release.
	StableColor infra.Color `json:"stableColor,omitempty"`
	Plan        *Plan       `json:"plan,omitempty"`
	Release     *Release    `json:"release,omitempty"`
	Lease       *Lease      `json:"lease,omitempty"`
	History     []Entry     `json:"history,omitempty"`
	// Edge is where the traffic listener is on AWS, as the edge stack's outputs said when
	// a release started or was rolled back: what `rollback --direct` works from when the
	// engine cannot run (a backend lock, a program that fails, an unreachable backend).
	Edge *Edge `json:"edge,omitempty"`
}

// Edge names the traffic listener and the colours' target groups and Auto Scaling groups
// by their AWS names, so the listener can be set and checked without the Pulumi engine.
type Edge struct {
	Stack           infra.Color       `json:"stack"` // the edge stack
	ListenerArn     string            `json:"listenerArn"`
	TargetGroupArns map[string]string `json:"targetGroupArns"`    // colour → ARN
	AsgNames        map[string]string `json:"asgNames,omitempty"` // colour → Auto Scaling group, as far as known
}

// Plan is how a release moves traffic: the receiving colour's percentages, the health
// watch after each step, and the gates' limits.
type Plan struct {
	Steps    []int    `json:"steps"`
	Pause    Duration `json:"pause"`
	Interval Duration `json:"interval"`
	Manual   bool     `json:"manual,omitempty"`
	// Hold: the last step is below 100% and the release ends holding that split (outcome
	// held), until `promote` finishes it or a new release moves on from it.
	Hold          bool     `json:"hold,omitempty"`
	Max5xxPercent float64  `json:"max5xxPercent"`
	MaxP99        Duration `json:"maxP99"`
	// The evidence gates. A record written before them has none (zero), and its
	// release is watched with the tool's defaults (release.DefaultGates).
	MinRequests int      `json:"minRequests,omitempty"` // requests a step's judged window needs
	MetricLag   Duration `json:"metricLag,omitempty"`   // how late CloudWatch's minutes arrive
	P99Breaches int      `json:"p99Breaches,omitempty"` // slow minutes that fail a step ...
	P99Window   int      `json:"p99Window,omitempty"`   // ... within this many judged minutes
	MaxExtend   Duration `json:"maxExtend,omitempty"`   // how long a pause extends for traffic
	// ELB5xxBaseline is the load balancer's own 5xx (HTTPCode_ELB_5XX_Count) per ALB
	// request (RequestCount per LoadBalancer) in the minutes before the release started:
	// only the ELB 5xx above it are charged to the receiving colour. Zero (not measured,
	// or an older record): all of them are.
	ELB5xxBaseline float64 `json:"elb5xxBaseline,omitempty"`
	// GateAlarms are the receiving colour's webapi:gateAlarms when the release started:
	// a resume from another checkout is gated by the same alarms. Absent (none, or an
	// older record): the resuming checkout's are read.
	GateAlarms []string `json:"gateAlarms,omitempty"`
}

// Phase is where a release stands within its current step.
type Phase string

const (
	PhaseApplying  Phase = "applying"  // the step's weights are being written to the listener
	PhaseApplied   Phase = "applied"   // the listener was verified at the step's weights
	PhaseWatching  Phase = "watching"  // the step's health watch is running
	PhasePaused    Phase = "paused"    // a manual release waits for promote
	PhaseRestoring Phase = "restoring" // a failure is sending all traffic back to the stable colour
	PhaseDone      Phase = "done"      // finished (complete, rolled back or aborted); see Outcome
)

// Release is the release in progress: enough for a resumed command to know exactly where
// a kill left it.
type Release struct {
	ID      string      `json:"id"`
	Target  infra.Color `json:"target"`
	AppRef  string      `json:"appRef"` // the version (app ref) the target colour runs
	Started time.Time   `json:"started"`
	Updated time.Time   `json:"updated"`
	// Step indexes Plan.Steps: the step being applied, watched or paused after.
	Step  int   `json:"step"`
	Phase Phase `json:"phase"`
	// From are the weights before the current step (or restore), To the weights it sets.
	From infra.Weights `json:"from"`
	To   infra.Weights `json:"to"`
	// Full: `promote --full` was given, so the remaining steps of a manual plan run one
	// after another, each verified and watched, without pausing.
	Full bool `json:"full,omitempty"`
	// ChecksPending: the release was recorded but no step was applied yet, so its
	// checks before the first step (the receiving colour's precheck and smoke test) may
	// not have passed: a resume runs them again before any weight moves. Set when the
	// release starts, cleared once its first step is verified on the listener; a record
	// written by an older tool never has it.
	ChecksPending bool `json:"checksPending,omitempty"`
	// Outcome and Message say how a done release ended.
	Outcome Outcome `json:"outcome,omitempty"`
	Message string  `json:"message,omitempty"`
}

// Outcome is how a release or a history entry ended.
type Outcome string

const (
	OutcomeSucceeded  Outcome = "succeeded"
	OutcomeRolledBack Outcome = "rolledBack"
	OutcomeFailed     Outcome = "failed"
	OutcomeAborted    Outcome = "aborted"
	// OutcomeHeld: a plan with --hold ended below 100% and the listener keeps that split.
	OutcomeHeld Outcome = "held"
)

// Owner says who holds (or asks for) the lease. RunID identifies the owner: a CI run (a
// re-run of the same run is the same owner), or user@host outside CI (internal/release's
// OwnerFromEnv); an owner without one is no one else. Each process of an owner gets its
// own lease token, except under a job lease (AcquireJobLease).
type Owner struct {
	User   string `json:"user"`
	Host   string `json:"host"`
	PID    int    `json:"pid"`
	RunURL string `json:"runUrl,omitempty"`
	RunID  string `json:"runId,omitempty"`
}

// Lease is the right to change traffic, held by one owner until Expires.
type Lease struct {
	Owner    Owner     `json:"owner"`
	Token    string    `json:"token"`
	Acquired time.Time `json:"acquired"`
	Renewed  time.Time `json:"renewed"`
	Expires  time.Time `json:"expires"`
}

// Entry is one line of the append-only history.
type Entry struct {
	At      time.Time      `json:"at"`
	Who     string         `json:"who"`
	Action  string         `json:"action"`
	Version string         `json:"version,omitempty"`
	From    *infra.Weights `json:"from,omitempty"`
	To      *infra.Weights `json:"to,omitempty"`
	Steps   []int          `json:"steps,omitempty"`
	Outcome Outcome        `json:"outcome,omitempty"`
	Message string         `json:"message,omitempty"`
}

// Duration is a time.Duration written as "5m0s" so the record stays readable.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// String names the owner for messages: "alice@laptop (pid 42, run <url>)".
func (o Owner) String() string {
	s := fmt.Sprintf("%s@%s (pid %d", o.User, o.Host, o.PID)
	if o.RunURL != "" {
		s += ", run " + o.RunURL
	} else if o.RunID != "" {
		s += ", run " + o.RunID
	}
	return s + ")"
}

// Clone returns a deep copy, so transitions never alias the caller's slices or pointers.
func (r Record) Clone() Record {
	c := r
	if r.Plan != nil {
		p := *r.Plan
		p.Steps, p.GateAlarms = slices.Clone(p.Steps), slices.Clone(p.GateAlarms)
		c.Plan = &p
	}
	if r.Release != nil {
		rel := *r.Release
		c.Release = &rel
	}
	if r.Lease != nil {
		l := *r.Lease
		c.Lease = &l
	}
	c.History = slices.Clone(r.History)
	if r.Edge != nil {
		e := *r.Edge
		e.TargetGroupArns, e.AsgNames = maps.Clone(e.TargetGroupArns), maps.Clone(e.AsgNames)
		c.Edge = &e
	}
	return c
}

// stored is the record as written: the record plus the id of the write that produced it.
// The write id makes every write's bytes unique (so an S3 ETag never comes back for a
// later state) and lets the file store tell its own generation from another's.
type stored struct {
	Record
	WriteID string `json:"writeId"`
}

// encode writes the record as JSON with the current schema version and a write id.
func encode(r Record, writeID string) ([]byte, error) {
	r.Schema = SchemaVersion
	b, err := json.MarshalIndent(stored{Record: r, WriteID: writeID}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding release record: %w", err)
	}
	return append(b, '\n'), nil
}

// decode reads a record and its write id, refusing a schema this tool does not know.
func decode(b []byte) (Record, string, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return Record{}, "", fmt.Errorf("decoding release record: %w", err)
	}
	if s.Schema < 1 || s.Schema > SchemaVersion {
		return Record{}, "", fmt.Errorf("release record has schema %d; this tool reads schema 1 to %d (upgrade the tool)", s.Schema, SchemaVersion)
	}
	return s.Record, s.WriteID, nil
}
