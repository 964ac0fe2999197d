package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// TestRealAWSReleaseEndToEnd deploys both colours of the real program to a real AWS
// account, shifts traffic to green, rolls back, retires and destroys everything.
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
	requireEngine(t)

	work := t.TempDir()
	project, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), project, 0o644))
	stack := func(c infra.Color, extra string) {
		body := "config:\n  aws:region: " + cfg.Region + "\n  webapi:color: " + string(c) + "\n  webapi:amiId: " + ami +
			"\n  webapi:deletionProtection: false\n  webapi:natGateways: single\n  webapi:minSize: 1\n  webapi:desiredCapacity: 1\n" + extra
		require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi."+string(c)+".yaml"), []byte(body), 0o644))
	}
	stack(infra.Blue, "  webapi:edge: true\n")
	stack(infra.Green, "  webapi:edgeStack: organization/webapi/blue\n")
	t.Setenv("PULUMI_BACKEND_URL", "file://"+t.TempDir())

	out := &bytes.Buffer{}
	eng, err := newAutoEngine(work, infra.Program, out)
	require.NoError(t, err)
	health, err := newAWSHealth(ctx, cfg.Region)
	require.NoError(t, err)
	r := &Release{Engine: eng, Health: health, Clock: realClock{}, Out: out}
	t.Cleanup(func() {
		// Best effort: leave nothing billable behind, whatever failed above.
		_ = r.Rollback(context.Background(), true)
		_ = eng.Destroy(context.Background(), infra.Green)
		_ = eng.Destroy(context.Background(), infra.Blue)
		t.Log(out.String())
	})

	require.NoError(t, r.Deploy(ctx, infra.Blue, DeployOptions{}))
	require.NoError(t, r.Deploy(ctx, infra.Green, DeployOptions{}))
	require.NoError(t, r.Shift(ctx, ShiftOptions{Target: infra.Green, Steps: []int{50, 100}, Pause: 2 * time.Minute, Interval: 30 * time.Second}))
	require.NoError(t, r.Rollback(ctx, false))
	require.NoError(t, r.Retire(ctx, infra.Green, 0))
	require.NoError(t, r.Destroy(ctx, infra.Green))
	require.NoError(t, r.Destroy(ctx, infra.Blue))
}
