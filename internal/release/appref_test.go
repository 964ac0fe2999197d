package release

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

const appCommit = "0123456789abcdef0123456789abcdef01234567"

// fromRepository makes green bake from a repository instead of running a prebaked AMI,
// with a resolver that knows the tag v3; it returns the refs it was asked.
func fromRepository(f *fixture) *[]string {
	cfg := f.eng.config[infra.Green]
	delete(cfg, "amiId")
	cfg["appRepository"], cfg["appRef"] = "https://git.example.com/acme/webapi.git", "v2"
	var asked []string
	f.r.ResolveRef = func(_ context.Context, repo, ref string) (string, error) {
		asked = append(asked, repo+" "+ref)
		if ref == "v3" {
			return appCommit, nil
		}
		return "", errors.New("no such ref")
	}
	return &asked
}

// A release is a version: deploy's --app-ref (a tag, which can move) is resolved to the
// commit it names, which the colour bakes and exports, and the history records both.
func TestDeployPinsTheAppRefToItsCommit(t *testing.T) {
	f, eng := deployFixture(0)
	asked := fromRepository(f)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}))
	assert.Equal(t, []string{"https://git.example.com/acme/webapi.git v3"}, *asked)
	assert.Equal(t, appCommit, eng.runConfig[infra.Green]["appRef"], "the program bakes the commit")
	rep := f.r.Deployed
	assert.Equal(t, appCommit, rep.AppRef)
	assert.Equal(t, "v3", rep.RequestedRef)
	hist := f.store.load().History
	last := hist[len(hist)-1]
	assert.Equal(t, "deploy", last.Action)
	assert.Equal(t, appCommit, last.Version)
	assert.Contains(t, last.Message, "--app-ref v3 is commit "+appCommit)
}

// A ref the repository does not have stops the deploy before anything runs.
func TestDeployOfAnUnknownAppRefRunsNothing(t *testing.T) {
	f, eng := deployFixture(0)
	fromRepository(f)
	err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v9"})
	require.Error(t, err)
	assert.ErrorContains(t, err, "--app-ref v9: resolving it to a commit in https://git.example.com/acme/webapi.git: no such ref")
	assert.Empty(t, eng.ups, "no update ran")
}

// Nothing is resolved for a prebaked AMI (nothing is baked from the repository), nor
// without --app-ref (the version the outputs record is kept as it is).
func TestDeployResolvesOnlyARequestedRefThatIsBaked(t *testing.T) {
	f, _ := deployFixture(0)
	asked := fromRepository(f)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	assert.Empty(t, *asked, "no --app-ref: the outputs' version, unresolved")
	assert.Empty(t, f.r.Deployed.RequestedRef)

	f, _ = deployFixture(0)
	asked = fromRepository(f)
	f.eng.config[infra.Green]["amiId"] = "ami-0fedcba9876543210"
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}))
	assert.Empty(t, *asked, "a prebaked AMI bakes nothing from the repository")
}
