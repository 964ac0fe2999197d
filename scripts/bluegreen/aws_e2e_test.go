package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/smoke"
	"github.com/webapi-platform/infra/internal/testutil"
)

// TestRealAWSReleaseEndToEnd deploys both colours of the real program to a real AWS
// account (each deploy waiting for its version to be in service), resolves the newest
// Windows base AMI, smoke-tests green through the ALB, shifts traffic to green with the
// evidence gates judging the ALB's real CloudWatch metrics of the traffic this test
// sends, rolls back, pauses a second release and rolls it back with the break-glass
// `--direct` path (reconciled by the next command), reads `status --json`'s report,
// retires and destroys everything.
//
//	WEBAPI_AWS_E2E=1 WEBAPI_E2E_AMI=ami-… AWS_REGION=eu-west-1 PULUMI_CONFIG_PASSPHRASE=… \
//	  go test ./scripts/bluegreen -run RealAWS -timeout 3h -v
//
// WEBAPI_E2E_AMI is an application AMI baked earlier (both colours run it, so the test
// does not spend an hour baking); it must answer 200 on /health. It creates billable
// resources (NAT gateways, an ALB, Windows instances) for about an hour.
func TestRealAWSReleaseEndToEnd(t *testing.T) {
	ctx := context.Background()
	if os.Getenv("WEBAPI_AWS_E2E") != "1" {
		// Look for credentials without probing the instance metadata service: a test run
		// that did not opt in sends nothing off this machine.
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Skipf("no AWS configuration: %v", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Skipf("no AWS credentials in the SDK's chain (environment, profile, SSO, web identity): %v", err)
	}
	if os.Getenv("WEBAPI_AWS_E2E") != "1" {
		t.Skip("AWS credentials found, but this test creates billable resources: set WEBAPI_AWS_E2E=1 to run it")
	}
	ami := os.Getenv("WEBAPI_E2E_AMI")
	if ami == "" || cfg.Region == "" {
		t.Fatal("set WEBAPI_E2E_AMI (a baked application AMI) and AWS_REGION")
	}
	testutil.RequireTool(t, "pulumi")

	work := t.TempDir()
	project, err := os.ReadFile(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), project, 0o644))
	small := []string{"amiId", ami, "deletionProtection", "false", "natGateways", "single", "minSize", "1", "desiredCapacity", "1"}
	for c, stackConfig := range map[infra.Color]testutil.StackConfig{infra.Blue: testutil.Blue(small...), infra.Green: testutil.Green(small...)} {
		body := stackConfig.YAML() + "  aws:region: " + cfg.Region + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi."+string(c)+".yaml"), []byte(body), 0o644))
	}
	t.Setenv("PULUMI_BACKEND_URL", "file://"+t.TempDir())

	out := &bytes.Buffer{}
	eng, err := engine.New(work, infra.Run, out)
	require.NoError(t, err)
	health, err := awsops.New(ctx, cfg.Region)
	require.NoError(t, err)
	store := record.NewFileStore(t.TempDir())
	owner := record.Owner{User: "e2e", Host: "e2e", PID: os.Getpid(), RunID: "aws-e2e"}
	r := &release.Release{Engine: eng, Health: health, Fleets: health, Alarms: health, Smoke: &smoke.Client{},
		Clock: release.RealClock{}, Out: out, Store: store, Owner: owner}
	t.Cleanup(func() {
		// Best effort: leave nothing billable behind, whatever failed above.
		_ = r.Rollback(context.Background(), release.RollbackOptions{To: infra.Blue, Force: true})
		_ = eng.Destroy(context.Background(), infra.Green)
		_ = eng.Destroy(context.Background(), infra.Blue)
		t.Log(out.String())
	})

	images, err := awsops.NewImages(ctx, cfg.Region)
	require.NoError(t, err)
	base, err := r.BaseAmi(ctx, images, "2022")
	require.NoError(t, err)
	require.Regexp(t, `^ami-[0-9a-f]+$`, base.ID, "the newest Amazon Windows Server 2022 base image")

	require.NoError(t, r.Deploy(ctx, infra.Blue, release.DeployOptions{}))
	require.NoError(t, r.Deploy(ctx, infra.Green, release.DeployOptions{}))
	require.NoError(t, r.SmokeTest(ctx, infra.Green))
	stopTraffic := sendTraffic(t, eng)
	defer stopTraffic()
	gates := release.ShiftOptions{Target: infra.Green, Steps: []int{50, 100}, Pause: 2 * time.Minute, Interval: 30 * time.Second, MinRequests: 50}
	require.NoError(t, r.Shift(ctx, gates))
	require.NoError(t, r.Rollback(ctx, release.RollbackOptions{Revert: true}))

	paused := gates
	paused.Manual = true
	require.NoError(t, r.Shift(ctx, paused))
	require.NoError(t, r.RollbackDirect(ctx, release.DirectOptions{}), "break glass: the listener set without the engine")
	err = r.Rollback(ctx, release.RollbackOptions{})
	require.Equal(t, release.ExitRefused, release.ExitCode(err), "nothing left to roll back once reconciled: %v", err)
	report, err := r.StatusReport(ctx)
	require.NoError(t, err)
	require.Equal(t, 100, report.Weights.Blue)
	stopTraffic()
	require.NoError(t, r.Retire(ctx, infra.Green, 0))
	require.NoError(t, r.Destroy(ctx, infra.Green))
	require.NoError(t, r.Destroy(ctx, infra.Blue))
}

// sendTraffic requests the ALB's health check path ten times a second until stopped, so
// the evidence gates have real requests to judge on the ALB's CloudWatch metrics.
func sendTraffic(t *testing.T, eng release.Engine) (stop func()) {
	t.Helper()
	outs, err := eng.Outputs(context.Background(), infra.Blue)
	require.NoError(t, err)
	url, _ := outs[infra.OutAlbURL].(string)
	require.NotEmpty(t, url, "the edge's albUrl output")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		for tick := time.NewTicker(100 * time.Millisecond); ; {
			select {
			case <-ctx.Done():
				tick.Stop()
				return
			case <-tick.C:
				if resp, err := client.Get(url + "/health"); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}
