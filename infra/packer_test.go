package infra

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// copyImages copies images/ into a temp dir so a test can break the copy.
func copyImages(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "images")
	require.NoError(t, os.CopyFS(dst, os.DirFS(testutil.RepoPath("images"))))
	return dst
}

func validate(t *testing.T, dir string) (string, error) {
	t.Helper()
	testutil.RequireTool(t, "packer")
	out, err := exec.Command("bash", testutil.RepoPath("scripts", "validate-images.sh"), dir).CombinedOutput()
	return string(out), err
}

// Both templates, for each Windows Server version webapi:windowsVersion allows, the
// prerequisites template on a pinned base image, and the app template with a token
// secret (its temporary instance profile).
func TestPackerValidatesBothTemplates(t *testing.T) {
	out, err := validate(t, copyImages(t))
	require.NoError(t, err, out)
	assert.Equal(t, 6, strings.Count(out, "The configuration is valid."), out)
	for _, v := range windowsVersions {
		assert.Contains(t, out, "== Windows Server "+v+"\nThe configuration is valid.\nThe configuration is valid.\n", "both templates with windows_version=%s", v)
	}
}

func TestPackerValidateCatchesBrokenTemplates(t *testing.T) {
	cases := []struct {
		name, file, old, new, says string
	}{
		{"misspelled argument", "windows-prerequisites.pkr.hcl", "winrm_use_ssl ", "winrm_use_sssl ", "Unsupported argument"},
		{"undefined variable", "windows-app.pkr.hcl", "var.app_commit, 0, 12", "var.app_comit, 0, 12", `does not have an attribute named "app_comit"`},
		{"missing script", "windows-app.pkr.hcl", "scripts/deploy-app.ps1", "scripts/deploy-ap.ps1", "deploy-ap.ps1"},
		{"wrong type", "windows-prerequisites.pkr.hcl", "winrm_use_ssl            = true", "winrm_use_ssl = \"maybe\"", "winrm_use_ssl"},
		// The script validates with windows_version=2025 too: a template refusing it fails.
		{"windows 2025 refused", "windows-app.pkr.hcl", `contains(["2022", "2025"], var.windows_version)`, `contains(["2022"], var.windows_version)`, "The windows_version must be 2022 or 2025."},
		// The pinned base image is validated like every variable.
		{"base image not an AMI id", "windows-prerequisites.pkr.hcl", `var.base_ami_id == "" || can(regex("^ami-`, `var.base_ami_id == "x" || can(regex("^ami-`, "The base_ami_id must be empty or an AMI id"},
		{"policy statement misspelled", "windows-app.pkr.hcl", `Action   = ["secretsmanager:GetSecretValue"]`, `Actions = ["secretsmanager:GetSecretValue"]`, `An argument named "Actions" is not expected here`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyImages(t)
			path := filepath.Join(dir, tc.file)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Contains(t, string(b), tc.old, "the test's anchor is gone from %s", tc.file)
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), tc.old, tc.new, 1)), 0o644))
			out, err := validate(t, dir)
			require.Error(t, err, "packer validate must fail on a broken %s", tc.file)
			assert.Contains(t, out, tc.says)
		})
	}
}

func TestPackerFmtCheckCatchesUnformattedTemplates(t *testing.T) {
	packer := testutil.RequireTool(t, "packer")
	dir := copyImages(t)
	out, err := exec.Command(packer, "fmt", "-check", "-recursive", dir).CombinedOutput()
	require.NoError(t, err, "images/ is packer fmt clean: %s", out)
	path := filepath.Join(dir, "windows-app.pkr.hcl")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	const anchor = "  type        = string"
	require.Contains(t, string(b), anchor, "the test's anchor is gone from windows-app.pkr.hcl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), anchor, "type=string", 1)), 0o644))
	err = exec.Command(packer, "fmt", "-check", "-recursive", dir).Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 3, exit.ExitCode(), "packer fmt -check exits 3 on an unformatted file")
}
