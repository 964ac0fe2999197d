package infra

import (
	"fmt"
	"regexp"
	"strconv"
)

// ReleaseConfig is what the bluegreen tool's gates, smoke test and deploy wait read from
// a colour's stack config. The program registers nothing from it; it lives here so that
// the tool and `pulumi up` validate it with the same rules and words.
type ReleaseConfig struct {
	// MinRequests is the fewest requests the receiving colour must serve in each judged
	// window for a step to pass: fewer is no evidence, and the step is inconclusive.
	MinRequests int
	// GateAlarms are CloudWatch alarm names that fail a shift while in ALARM, besides the
	// receiving colour's own alarms (its alarmNames output).
	GateAlarms []string
	// PublicHostname is the name clients use (the certificate's): the smoke test sends it
	// as Host and TLS SNI, as the ALB's DNS name fails certificate validation.
	PublicHostname string
	// SmokePaths are paths the smoke test requests besides healthCheckPath.
	SmokePaths []string
	// SmokeRequests is how many requests the smoke test sends per path.
	SmokeRequests int
	// DeployTimeoutMinutes bounds deploy's wait for the new version to be in service.
	DeployTimeoutMinutes int
}

// readReleaseConfig reads the release keys (defaults from configKeys).
func readReleaseConfig(r *reader) ReleaseConfig {
	return ReleaseConfig{
		MinRequests:          r.integer("minRequests"),
		GateAlarms:           r.list("gateAlarms"),
		PublicHostname:       r.str("publicHostname"),
		SmokePaths:           r.list("smokePaths"),
		SmokeRequests:        r.integer("smokeRequests"),
		DeployTimeoutMinutes: r.integer("deployTimeoutMinutes"),
	}
}

var (
	// CloudWatch alarm names: 1-255 characters, no control characters (PutMetricAlarm's
	// AlarmName constraints).
	alarmNamePattern = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,255}$`)
	// A DNS name of letters, digits and hyphens, at least two labels, no trailing dot.
	hostnamePattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// Upper bounds that keep a typo from turning a gate into a wait of days.
const (
	maxMinRequests          = 1_000_000
	maxSmokeRequests        = 1000
	maxDeployTimeoutMinutes = 360
)

// validateRelease checks the keys the tool's gates read.
func (c *Config) validateRelease(p *problems) {
	rc := c.Release
	intRange := func(key string, v, lo, hi int, what string) {
		if v < lo || v > hi {
			p.fail(key, strconv.Itoa(v), fmt.Sprintf("want %s from %d to %d", what, lo, hi))
		}
	}
	intRange("minRequests", rc.MinRequests, 1, maxMinRequests, "a number of requests per judged window")
	intRange("smokeRequests", rc.SmokeRequests, 1, maxSmokeRequests, "a number of requests per path")
	intRange("deployTimeoutMinutes", rc.DeployTimeoutMinutes, 1, maxDeployTimeoutMinutes, "minutes")
	for _, name := range rc.GateAlarms {
		if !alarmNamePattern.MatchString(name) {
			p.fail("gateAlarms", name, "want CloudWatch alarm names: 1 to 255 characters, no control characters")
		}
	}
	if h := rc.PublicHostname; h != "" && (len(h) > 253 || !hostnamePattern.MatchString(h)) {
		p.fail("publicHostname", h, "want a DNS name such as api.example.com (the certificate's name; no scheme, port or path)")
	}
	for _, path := range rc.SmokePaths {
		if !healthPathPattern.MatchString(path) {
			p.fail("smokePaths", path, "want absolute URL paths such as /api/orders (starting with '/', no spaces)")
		}
	}
}
