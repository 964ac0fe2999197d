package bake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

func TestTriggerHash(t *testing.T) {
	files := []File{{"images/a.pkr.hcl", []byte("source {}")}, {"images/scripts/x.ps1", []byte("Write-Output 1")}}
	vars := map[string]string{"region": "eu-west-1", "app_ref": "v1"}
	base := TriggerHash(files, vars)
	assert.Len(t, base, 64)

	t.Run("same inputs, same hash, whatever the order", func(t *testing.T) {
		reordered := []File{files[1], files[0]}
		assert.Equal(t, base, TriggerHash(reordered, map[string]string{"app_ref": "v1", "region": "eu-west-1"}))
	})
	t.Run("any script byte changes it", func(t *testing.T) {
		for i := range files[1].Content {
			changed := append([]byte(nil), files[1].Content...)
			changed[i] ^= 0x01
			assert.NotEqual(t, base, TriggerHash([]File{files[0], {files[1].Name, changed}}, vars), "byte %d", i)
		}
	})
	t.Run("a variable changes it", func(t *testing.T) {
		assert.NotEqual(t, base, TriggerHash(files, map[string]string{"region": "eu-west-1", "app_ref": "v2"}))
		assert.NotEqual(t, base, TriggerHash(files, map[string]string{"region": "eu-west-1"}))
	})
	t.Run("bytes moved between files or values change it", func(t *testing.T) {
		moved := []File{{"images/a.pkr.hcl", []byte("source {}Write")}, {"images/scripts/x.ps1", []byte("-Output 1")}}
		assert.NotEqual(t, base, TriggerHash(moved, vars))
		assert.NotEqual(t, TriggerHash(nil, map[string]string{"a": "bc"}), TriggerHash(nil, map[string]string{"ab": "c"}))
	})
	t.Run("a renamed file changes it", func(t *testing.T) {
		assert.NotEqual(t, base, TriggerHash([]File{files[0], {"images/scripts/y.ps1", files[1].Content}}, vars))
	})
	t.Run("the input order is left alone", func(t *testing.T) {
		given := []File{files[1], files[0]}
		TriggerHash(given, vars)
		assert.Equal(t, files[1].Name, given[0].Name)
	})
}

// The hash of fixed inputs is pinned (the value infra.TriggerHash gave before the move):
// every stack's triggers are this function's output, so a change to its framing would
// re-bake every image of every stack on the next up.
func TestTriggerHashIsStable(t *testing.T) {
	files := []File{{"images/scripts/x.ps1", []byte("Write-Output 1")}, {"images/a.pkr.hcl", []byte("source {}")}}
	assert.Equal(t, "2f3e158095291e2ccc863e87a1756262d2894f2232e3282871dca74bad1f45aa", TriggerHash(files, map[string]string{"region": "eu-west-1", "app_ref": "v1"}))
}

func TestTemplateScripts(t *testing.T) {
	tpl := []byte(`user_data_file = "${path.root}/scripts/winrm-bootstrap.ps1"
provisioner "powershell" { scripts = ["${path.root}/scripts/b.ps1", "${path.root}/scripts/a.ps1"] }
provisioner "powershell" { script = "${path.root}/scripts/b.ps1" }
provisioner "file" { source = "scripts/not-through-path-root.ps1" }`)
	assert.Equal(t, []string{"scripts/a.ps1", "scripts/b.ps1", "scripts/winrm-bootstrap.ps1"}, TemplateScripts(tpl))
	assert.Empty(t, TemplateScripts([]byte(`source "amazon-ebs" "x" {}`)))
}

func TestTemplatesReferOnlyToExistingScriptsAndEveryScriptIsUsed(t *testing.T) {
	used := map[string]bool{}
	for _, stage := range Stages {
		files, err := StageFiles(testutil.RepoRoot(), stage)
		require.NoError(t, err)
		assert.Greater(t, len(files), 2, "%s: template plus its scripts", stage.Name)
		for _, f := range files[1:] {
			used[f.Name] = true
		}
	}
	scripts, err := filepath.Glob(testutil.RepoPath("images", "scripts", "*.ps1"))
	require.NoError(t, err)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		name := "images/scripts/" + filepath.Base(s)
		assert.True(t, used[name], "%s is used by no template, so it would not be part of any trigger hash", name)
	}
}

// Every provisioner script fails the bake on its first error.
func TestProvisionerScriptsStopOnErrors(t *testing.T) {
	scripts, err := filepath.Glob(testutil.RepoPath("images", "scripts", "*.ps1"))
	require.NoError(t, err)
	// The templates use six scripts or more; an empty or moved folder must fail, not pass.
	require.GreaterOrEqual(t, len(scripts), 6, "provisioner scripts in images/scripts")
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		require.NoError(t, err)
		text := string(b)
		assert.Contains(t, text, "$ErrorActionPreference = 'Stop'", s)
		assert.Contains(t, text, "exit 1", "%s exits non-zero on failure", s)
		assert.NotRegexp(t, `(?i)password\s*=\s*['"]`, text, "%s holds no password", s)
	}
}

func TestStageFilesHashChangesWithAScript(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "images", "scripts"), 0o755))
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(text), 0o644))
	}
	write(StageApp.Template, `provisioner "powershell" { script = "${path.root}/scripts/a.ps1" }`)
	write("images/scripts/a.ps1", "one")
	files, err := StageFiles(root, StageApp)
	require.NoError(t, err)
	h1 := TriggerHash(files, nil)
	write("images/scripts/a.ps1", "two")
	files, err = StageFiles(root, StageApp)
	require.NoError(t, err)
	assert.NotEqual(t, h1, TriggerHash(files, nil), "a changed script re-bakes")

	require.NoError(t, os.Remove(filepath.Join(root, "images/scripts/a.ps1")))
	_, err = StageFiles(root, StageApp)
	assert.ErrorContains(t, err, "template refers to images/scripts/a.ps1")

	_, err = StageFiles(t.TempDir(), StageApp)
	assert.ErrorContains(t, err, "image app: reading template")
}

func TestStageByName(t *testing.T) {
	for _, s := range Stages {
		got, err := StageByName(s.Name)
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	assert.Equal(t, []Stage{StagePrerequisites, StageApp}, Stages, "build order: the app is baked on the prerequisites")
	_, err := StageByName("final")
	assert.ErrorAs(t, err, new(InputError))
	assert.ErrorContains(t, err, `stage "final" is not allowed: want prerequisites or app`)
}
