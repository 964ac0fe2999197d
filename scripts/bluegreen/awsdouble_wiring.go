//go:build awsdouble

// The test build of the tool (go build -tags awsdouble): its AWS adapter talks to the AWS
// double's store when WEBAPI_AWSDOUBLE_STATE names one, its smoke test dials the address
// WEBAPI_TEST_SMOKE_ADDR names instead of the ALB, and WEBAPI_TEST_KILL_AT makes it
// kill itself with SIGKILL at that named checkpoint of a release (release.Checkpoint*),
// so engine tests can prove that every kill point is recoverable. A production build has
// none of these: this file is not compiled without the tag.

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/smoke"
)

// KillAtEnv names the checkpoint at which the test build kills itself.
const KillAtEnv = "WEBAPI_TEST_KILL_AT"

// ClockEpochEnv and ClockSpeedEnv make the test build's clock run ClockSpeedEnv times
// faster than the wall clock from the Unix second ClockEpochEnv: a shift's pauses and
// the metric lag (minutes) take seconds, while every run of the tool in a test shares
// one timeline (lease expiries and record times stay ordered across runs). The
// interrupt budget stays on the wall clock.
const (
	ClockEpochEnv = "WEBAPI_TEST_CLOCK_EPOCH"
	ClockSpeedEnv = "WEBAPI_TEST_CLOCK_SPEED"
)

// fastClock is the wall clock sped up from epoch.
type fastClock struct {
	epoch time.Time
	speed float64
}

func (c fastClock) Now() time.Time {
	return c.epoch.Add(time.Duration(float64(time.Since(c.epoch)) * c.speed))
}

func (c fastClock) Sleep(ctx context.Context, d time.Duration) error {
	return release.RealClock{}.Sleep(ctx, time.Duration(float64(d)/c.speed))
}

func init() { testWiring = append(testWiring, wireAWSDouble) }

func wireAWSDouble(d *deps) {
	if os.Getenv(awsdouble.StateEnv) != "" {
		d.newHealth = func(context.Context, string) (release.Health, error) {
			store, err := awsdouble.OpenStoreFromEnv()
			if err != nil {
				return nil, err
			}
			dbl := awsdouble.New(store)
			return awsops.FromClients(awsops.Clients{ELBv2: dbl.ELBv2, CloudWatch: dbl.CloudWatch, AutoScaling: dbl.AutoScaling}), nil
		}
	}
	if addr := os.Getenv(smoke.TestAddrEnv); addr != "" {
		// The double's ALB has a DNS name and nothing behind it: the engine tests' World
		// serves the smoke test (enginetest.SmokeServer).
		d.newSmoke = func() release.Smoker { return &smoke.Client{DialContext: smoke.DialTo(addr)} }
	}
	epoch, errE := strconv.ParseInt(os.Getenv(ClockEpochEnv), 10, 64)
	speed, errS := strconv.ParseFloat(os.Getenv(ClockSpeedEnv), 64)
	if errE == nil && errS == nil && speed >= 1 {
		d.clock = fastClock{epoch: time.Unix(epoch, 0), speed: speed}
	}
	if at := os.Getenv(KillAtEnv); at != "" {
		d.checkpoint = func(name string) {
			if name != at {
				return
			}
			if name == release.CheckpointUpdate {
				// During the update: once the CLI holds the backend's lock, the CLI and the
				// tool die together, as on a lost runner.
				go func() { waitForBackendLock(60 * time.Second); killChildren(); killSelf(name) }()
				return
			}
			killSelf(name)
		}
	}
}

func killSelf(at string) {
	fmt.Fprintf(os.Stderr, "bluegreen (test build): SIGKILL at checkpoint %s\n", at)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

// waitForBackendLock waits until the file backend holds a lock file (an update runs).
func waitForBackendLock(limit time.Duration) {
	root := strings.TrimPrefix(os.Getenv("PULUMI_BACKEND_URL"), "file://")
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		found := false
		_ = filepath.WalkDir(filepath.Join(root, ".pulumi", "locks"), func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".json") {
				found = true
			}
			return nil
		})
		if found {
			return
		}
	}
}

// killChildren SIGKILLs the process group of each child of this process: the Pulumi CLI
// leads a group of its own (engine.WithProcessGroup), with the plugins it started.
func killChildren() {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so read after the last ')'.
		i := strings.LastIndex(string(b), ") ")
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b)[i+2:])
		if len(f) < 3 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == os.Getpid() {
			pgrp, _ := strconv.Atoi(f[2])
			_ = syscall.Kill(-pgrp, syscall.SIGKILL)
		}
	}
}
