package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/testutil"
)

type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		Environment any               `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(testutil.RepoPath(".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(raw, &w))
	return w, string(raw)
}

func TestWorkflowsUseOIDCAndMinimalPermissions(t *testing.T) {
	for _, name := range []string{"pr.yml", "deploy.yml", "images.yml"} {
		w, raw := readWorkflow(t, name)
		assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions, "%s: read-only by default", name)
		for _, secret := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id"} {
			assert.NotContains(t, raw, secret, "%s: no long-lived AWS keys", name)
		}
		for job, j := range w.Jobs {
			usesAWS := false
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					usesAWS = true
					assert.NotEmpty(t, s.With["role-to-assume"], "%s/%s: assumes a role", name, job)
				}
			}
			if usesAWS {
				assert.Equal(t, "write", j.Permissions["id-token"], "%s/%s: OIDC needs id-token: write", name, job)
			} else {
				assert.NotContains(t, j.Permissions, "id-token", "%s/%s: no OIDC token without AWS", name, job)
			}
		}
	}
}

func TestPullRequestsGetOneStickyPreviewComment(t *testing.T) {
	w, _ := readWorkflow(t, "pr.yml")
	previewJob := w.Jobs["preview"]
	var run, script string
	for _, s := range previewJob.Steps {
		if strings.Contains(s.Run, "bluegreen preview") {
			run = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/github-script@") {
			script = s.With["script"]
		}
	}
	assert.Contains(t, run, "--stack all --markdown preview.md")
	assert.Contains(t, script, "<!-- webapi-preview -->", "finds its earlier comment by the marker RenderMarkdown writes")
	assert.Contains(t, script, "updateComment")
	assert.Equal(t, "write", previewJob.Permissions["pull-requests"])
	assert.Contains(t, preview.RenderMarkdown(nil), "<!-- webapi-preview -->")
	var testRun string
	for _, s := range w.Jobs["test"].Steps {
		testRun += s.Run
	}
	assert.Contains(t, testRun, "scripts/test.sh", "PRs run the README's test command")
}

func TestDeploysNeverOverlapAndNeedApproval(t *testing.T) {
	w, raw := readWorkflow(t, "deploy.yml")
	assert.Equal(t, "deploy-production", w.Concurrency.Group)
	assert.False(t, w.Concurrency.CancelInProgress, "a running release is never cancelled by the next")
	release := w.Jobs["release"]
	assert.Equal(t, "production", release.Environment, "the environment carries the required reviewers")
	assert.Contains(t, raw, "bluegreen idle")
	assert.Contains(t, raw, "bluegreen deploy")
	assert.Contains(t, raw, "bluegreen shift")
	assert.Contains(t, raw, "bluegreen rollback")
	assert.NotContains(t, raw, "git push", "release state lives beside the backend: nothing is committed back")
	assert.NotEqual(t, "write", release.Permissions["contents"], "the release job does not write to the repository")
}

func TestActionlintRejectsABrokenWorkflow(t *testing.T) {
	actionlint := testutil.RequireTool(t, "actionlint")
	repo := testutil.RepoRoot()
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	require.NoError(t, os.MkdirAll(wf, 0o755))
	raw, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "deploy.yml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(wf, "deploy.yml"), raw, 0o644))
	lint := func() ([]byte, error) {
		cmd := exec.Command(actionlint, "-no-color", "-shellcheck=", "-pyflakes=", filepath.Join(wf, "deploy.yml"))
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	out, err := lint()
	require.NoError(t, err, string(out))

	broken := strings.Replace(string(raw), "steps.idle.outputs.colour", "steps.idel.outputs.colour", 1)
	require.NoError(t, os.WriteFile(filepath.Join(wf, "deploy.yml"), []byte(broken), 0o644))
	out, err = lint()
	require.Error(t, err, "actionlint must reject a reference to an undefined step")
	assert.Contains(t, string(out), "idel")
}
