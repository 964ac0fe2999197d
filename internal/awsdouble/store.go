package awsdouble

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// StateEnv names the environment variable that holds the path of the store's JSON file.
// Every plugin process (a new one per `pulumi up`) and every API-face client opens the
// same file, so AWS "survives" between engine runs.
const StateEnv = "WEBAPI_AWSDOUBLE_STATE"

// Account and Region are the fake account every ARN is in (never a real one) and the
// region used when the provider config names none.
const (
	Account       = "000000000000"
	DefaultRegion = "eu-west-1"
)

// State is everything the double's AWS holds. Resources are keyed by their ID (what the
// Pulumi provider returns as the resource ID); the rest is live state that only the API
// face and the scripting helpers see.
type State struct {
	Resources map[string]*Resource `json:"resources"`
	// Targets are target group ARN → registered targets.
	Targets map[string][]*Target `json:"targets"`
	// Instances are Auto Scaling group name → its instances.
	Instances map[string][]*Instance `json:"instances"`
	// Refreshes are Auto Scaling group name → its instance refreshes, newest last.
	Refreshes map[string][]*InstanceRefresh `json:"refreshes"`
	// Metrics are the datapoints tests put; a minute without one has no data.
	Metrics []*Datapoint `json:"metrics"`
	// Steady are series with the same value every minute from their Minute on, unless a
	// datapoint of Metrics says otherwise: traffic for however long a test's clock runs.
	Steady []*Datapoint `json:"steady,omitempty"`
	// AlarmStates override an alarm's state (default OK), by alarm name.
	AlarmStates map[string]*AlarmState `json:"alarmStates"`
	// ExternalAlarms are alarms the program does not manage (a team's), by name.
	ExternalAlarms []string `json:"externalAlarms,omitempty"`
	// NewTargetHealth is the health state a newly launched instance gets in its target
	// groups ("healthy" when empty), so a test can make a release that never serves.
	NewTargetHealth string `json:"newTargetHealth,omitempty"`
	// RefreshScripts are Auto Scaling group name → how its next refreshes play out.
	RefreshScripts map[string]*RefreshScript `json:"refreshScripts,omitempty"`
}

// Resource is one AWS resource as the Pulumi provider sees it: its type token, ID and
// properties (the inputs plus what AWS computed).
type Resource struct {
	Type  string         `json:"type"`
	ID    string         `json:"id"`
	Props map[string]any `json:"props"`
}

// Target is a registered target and its health.
type Target struct {
	ID          string `json:"id"`
	Port        int32  `json:"port"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
}

// Instance is an Auto Scaling group's instance.
type Instance struct {
	ID                    string `json:"id"`
	AvailabilityZone      string `json:"availabilityZone"`
	LaunchTemplateID      string `json:"launchTemplateId"`
	LaunchTemplateName    string `json:"launchTemplateName"`
	LaunchTemplateVersion string `json:"launchTemplateVersion"`
	LifecycleState        string `json:"lifecycleState"`
	HealthStatus          string `json:"healthStatus"`
	InstanceType          string `json:"instanceType"`
	ProtectedFromScaleIn  bool   `json:"protectedFromScaleIn"`
	LaunchedAtUnixSeconds int64  `json:"launchedAt"`
}

// InstanceRefresh is one refresh of an Auto Scaling group.
type InstanceRefresh struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	StatusReason       string `json:"statusReason,omitempty"`
	PercentageComplete int32  `json:"percentageComplete"`
	StartTime          int64  `json:"startTime"`
	EndTime            int64  `json:"endTime,omitempty"`
	// LaunchTemplateVersion is the version the refresh rolls the instances to.
	LaunchTemplateVersion string `json:"launchTemplateVersion"`
	// SkipMatching keeps the instances already on that version.
	SkipMatching bool `json:"skipMatching,omitempty"`
	// Script, when set, plays the refresh out as the tool polls it.
	Script *RefreshScript `json:"script,omitempty"`
}

// Datapoint is one minute of one metric statistic.
type Datapoint struct {
	Namespace  string            `json:"namespace"`
	MetricName string            `json:"metricName"`
	Dimensions map[string]string `json:"dimensions"`
	Stat       string            `json:"stat"`
	Minute     int64             `json:"minute"` // Unix seconds, truncated to the minute
	Value      float64           `json:"value"`
}

// AlarmState is a scripted alarm state.
type AlarmState struct {
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func newState() *State {
	return &State{
		Resources:   map[string]*Resource{},
		Targets:     map[string][]*Target{},
		Instances:   map[string][]*Instance{},
		Refreshes:   map[string][]*InstanceRefresh{},
		AlarmStates: map[string]*AlarmState{},
	}
}

// Store is the JSON file both faces share. Every access takes an flock on a lock file
// beside it; writes go to a temporary file that is renamed over the store, so a reader
// never sees half a file, even one that does not lock.
type Store struct {
	path string
}

// OpenStore uses the store at path (created on first write).
func OpenStore(path string) *Store { return &Store{path: path} }

// OpenStoreFromEnv uses the store named by StateEnv.
func OpenStoreFromEnv() (*Store, error) {
	p := os.Getenv(StateEnv)
	if p == "" {
		return nil, fmt.Errorf("awsdouble: %s is not set: it must name the double's state file", StateEnv)
	}
	return OpenStore(p), nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// View reads the state under a shared lock.
func (s *Store) View(fn func(*State) error) error {
	return s.locked(syscall.LOCK_SH, func() error {
		st, err := s.load()
		if err != nil {
			return err
		}
		return fn(st)
	})
}

// Update reads, changes and writes the state under an exclusive lock. Nothing is
// written when fn fails, so a refused call leaves AWS as it was.
func (s *Store) Update(fn func(*State) error) error {
	return s.locked(syscall.LOCK_EX, func() error {
		st, err := s.load()
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		return s.save(st)
	})
}

func (s *Store) locked(how int, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("awsdouble: store directory: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("awsdouble: lock file: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		return fmt.Errorf("awsdouble: locking %s: %w", s.path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	return fn()
}

func (s *Store) load() (*State, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("awsdouble: reading store: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("awsdouble: store %s is not valid JSON: %w", s.path, err)
	}
	// Maps missing from an older file are made, so callers never meet a nil map.
	fresh := newState()
	if st.Resources == nil {
		st.Resources = fresh.Resources
	}
	if st.Targets == nil {
		st.Targets = fresh.Targets
	}
	if st.Instances == nil {
		st.Instances = fresh.Instances
	}
	if st.Refreshes == nil {
		st.Refreshes = fresh.Refreshes
	}
	if st.AlarmStates == nil {
		st.AlarmStates = fresh.AlarmStates
	}
	return st, nil
}

func (s *Store) save(st *State) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("awsdouble: encoding store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("awsdouble: writing store: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("awsdouble: writing store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("awsdouble: writing store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("awsdouble: replacing store: %w", err)
	}
	return nil
}

// ofType lists the resources of one type, in ID order so checks are deterministic.
func (st *State) ofType(token string) []*Resource {
	var out []*Resource
	for _, id := range sortedKeys(st.Resources) {
		if r := st.Resources[id]; r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// randomHex is n hex digits, as AWS uses in IDs and ARNs.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("awsdouble: no randomness: %v", err)) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)[:n]
}

func nowUnix() int64 { return time.Now().Unix() }
