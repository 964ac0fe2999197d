package infra

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTriggerHash(t *testing.T) {
	files := []BakeFile{{"images/a.pkr.hcl", []byte("source {}")}, {"images/scripts/x.ps1", []byte("Write-Output 1")}}
	vars := map[string]string{"region": "eu-west-1", "app_ref": "v1"}
	base := TriggerHash(files, vars)
	assert.Len(t, base, 64)

	t.Run("same inputs, same hash, whatever the order", func(t *testing.T) {
		reordered := []BakeFile{files[1], files[0]}
		assert.Equal(t, base, TriggerHash(reordered, map[string]string{"app_ref": "v1", "region": "eu-west-1"}))
	})
	t.Run("any script byte changes it", func(t *testing.T) {
		for i := range files[1].Content {
			changed := append([]byte(nil), files[1].Content...)
			changed[i] ^= 0x01
			assert.NotEqual(t, base, TriggerHash([]BakeFile{files[0], {files[1].Name, changed}}, vars), "byte %d", i)
		}
	})
	t.Run("a variable changes it", func(t *testing.T) {
		assert.NotEqual(t, base, TriggerHash(files, map[string]string{"region": "eu-west-1", "app_ref": "v2"}))
		assert.NotEqual(t, base, TriggerHash(files, map[string]string{"region": "eu-west-1"}))
	})
	t.Run("bytes moved between files or values change it", func(t *testing.T) {
		moved := []BakeFile{{"images/a.pkr.hcl", []byte("source {}Write")}, {"images/scripts/x.ps1", []byte("-Output 1")}}
		assert.NotEqual(t, base, TriggerHash(moved, vars))
		assert.NotEqual(t, TriggerHash(nil, map[string]string{"a": "bc"}), TriggerHash(nil, map[string]string{"ab": "c"}))
	})
	t.Run("a renamed file changes it", func(t *testing.T) {
		assert.NotEqual(t, base, TriggerHash([]BakeFile{files[0], {"images/scripts/y.ps1", files[1].Content}}, vars))
	})
}

func TestTemplatesReferOnlyToExistingScriptsAndEveryScriptIsUsed(t *testing.T) {
	used := map[string]bool{}
	for _, stage := range BakeStages {
		files, err := StageFiles("..", stage)
		require.NoError(t, err)
		assert.Greater(t, len(files), 2, "%s: template plus its scripts", stage.Name)
		for _, f := range files[1:] {
			used[f.Name] = true
		}
	}
	scripts, err := filepath.Glob(filepath.Join("..", "images", "scripts", "*.ps1"))
	require.NoError(t, err)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		name := "images/scripts/" + filepath.Base(s)
		assert.True(t, used[name], "%s is used by no template, so it would not be part of any trigger hash", name)
	}
}

// Every provisioner script fails the bake on its first error.
func TestProvisionerScriptsStopOnErrors(t *testing.T) {
	scripts, _ := filepath.Glob(filepath.Join("..", "images", "scripts", "*.ps1"))
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
}

// A manifest as Packer writes it after three runs, the last one in two regions.
const multiRunManifest = `{
  "builds": [
    {"name": "prerequisites", "builder_type": "amazon-ebs", "build_time": 1732870000, "files": null,
     "artifact_id": "eu-west-1:ami-0aaaaaaaaaaaaaaaa", "packer_run_uuid": "run-1",
     "custom_data": {"role": "prerequisites", "stack": "blue", "template_hash": "h1"}},
    {"name": "prerequisites", "builder_type": "amazon-ebs", "build_time": 1732871000, "files": null,
     "artifact_id": "eu-west-1:ami-0bbbbbbbbbbbbbbbb", "packer_run_uuid": "run-2",
     "custom_data": {"role": "prerequisites", "stack": "blue", "template_hash": "h2"}},
    {"name": "prerequisites", "builder_type": "amazon-ebs", "build_time": 1732872000, "files": null,
     "artifact_id": "us-east-1:ami-0cccccccccccccccc,eu-west-1:ami-0dddddddddddddddd", "packer_run_uuid": "run-3",
     "custom_data": {"role": "prerequisites", "stack": "blue", "template_hash": "h3"}}
  ],
  "last_run_uuid": "run-3"
}`

func TestAmiFromManifest(t *testing.T) {
	want := ManifestWant{Region: "eu-west-1", Role: "prerequisites", Stack: "blue", TemplateHash: "h3"}
	cases := []struct {
		name, data string
		want       ManifestWant
		ami, err   string
	}{
		{"last run, stack's region", multiRunManifest, want, "ami-0dddddddddddddddd", ""},
		{"last run, other region", multiRunManifest, ManifestWant{Region: "us-east-1", Role: "prerequisites"}, "ami-0cccccccccccccccc", ""},
		{"region not built", multiRunManifest, ManifestWant{Region: "ap-south-1"}, "", "registered no AMI in ap-south-1 (only in us-east-1, eu-west-1)"},
		{"older run is not taken", strings.Replace(multiRunManifest, `"last_run_uuid": "run-3"`, `"last_run_uuid": "run-9"`, 1), want, "", "no build of the last run run-9"},
		{"foreign stack", multiRunManifest, ManifestWant{Region: "eu-west-1", Stack: "green"}, "", `foreign: its last build has stack "blue", want "green"`},
		{"foreign stage", multiRunManifest, ManifestWant{Region: "eu-west-1", Role: "app"}, "", `has role "prerequisites", want "app"`},
		{"stale hash", multiRunManifest, ManifestWant{Region: "eu-west-1", TemplateHash: "h2"}, "", `template_hash "h3", want "h2"`},
		{"empty", "  \n", want, "", "manifest is empty"},
		{"not JSON", "{builds", want, "", "not Packer manifest JSON"},
		{"no builds", `{"builds": [], "last_run_uuid": "x"}`, want, "", "lists no builds"},
		{"no last run", `{"builds": [{"artifact_id": "eu-west-1:ami-0aaaaaaaaaaaaaaaa"}]}`, want, "", "no last_run_uuid"},
		{"AMI id of neither 8 nor 17 hex digits", `{"builds": [{"artifact_id": "eu-west-1:ami-0123456789ab", "packer_run_uuid": "r"}], "last_run_uuid": "r"}`, ManifestWant{Region: "eu-west-1"}, "", "is not region:ami-"},
		{"malformed artifact", `{"builds": [{"artifact_id": "ami-0aaaaaaaaaaaaaaaa", "packer_run_uuid": "r"}], "last_run_uuid": "r"}`, ManifestWant{Region: "eu-west-1"}, "", "is not region:ami-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ami, err := AmiFromManifest([]byte(tc.data), tc.want)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.ami, ami)
		})
	}
}

func TestResolveRef(t *testing.T) {
	const out = "1111111111111111111111111111111111111111\trefs/heads/main\n" +
		"2222222222222222222222222222222222222222\trefs/tags/v1.0.0\n" +
		"3333333333333333333333333333333333333333\trefs/tags/v1.0.0^{}\n" +
		"4444444444444444444444444444444444444444\trefs/tags/v0.9\n"
	for ref, want := range map[string]string{
		"main":             "1111111111111111111111111111111111111111",
		"v1.0.0":           "3333333333333333333333333333333333333333", // annotated: the commit, not the tag object
		"refs/tags/v1.0.0": "3333333333333333333333333333333333333333",
		"v0.9":             "4444444444444444444444444444444444444444",
		"abcdefabcdefabcdefabcdefabcdefabcdefabcd": "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
	} {
		got, err := ResolveRef(out, ref)
		require.NoError(t, err, ref)
		assert.Equal(t, want, got, ref)
	}
	_, err := ResolveRef(out, "v2")
	assert.ErrorContains(t, err, `ref "v2" is not a branch, tag or commit`)
}
