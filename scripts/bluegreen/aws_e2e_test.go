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
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
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
	r := &release.Release{Engine: eng, Health: health, Clock: release.RealClock{}, Out: out, Store: store, Owner: owner}
	t.Cleanup(func() {
		// Best effort: leave nothing billable behind, whatever failed above.
		_ = r.Rollback(context.Background(), release.RollbackOptions{To: infra.Blue, Force: true})
		_ = eng.Destroy(context.Background(), infra.Green)
		_ = eng.Destroy(context.Background(), infra.Blue)
		t.Log(out.String())
	})

	require.NoError(t, r.Deploy(ctx, infra.Blue, release.DeployOptions{}))
	require.NoError(t, r.Deploy(ctx, infra.Green, release.DeployOptions{}))
	require.NoError(t, r.Shift(ctx, release.ShiftOptions{Target: infra.Green, Steps: []int{50, 100}, Pause: 2 * time.Minute, Interval: 30 * time.Second}))
	require.NoError(t, r.Rollback(ctx, release.RollbackOptions{Revert: true}))
	require.NoError(t, r.Retire(ctx, infra.Green, 0))
	require.NoError(t, r.Destroy(ctx, infra.Green))
	require.NoError(t, r.Destroy(ctx, infra.Blue))
}
