package bake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// A template as a stack deployed it before an optional input existed, and the same
// template with the input added in fenced regions.
const (
	templateBefore = `variable "region" {}

source "amazon-ebs" "x" {
  source_ami_filter {}

  region = var.region
}
`
	templateWithOptional = `variable "region" {}
# bake:optional base_ami_id
variable "base_ami_id" {
  default = ""
}
# bake:end

source "amazon-ebs" "x" {
  source_ami_filter {}
  # bake:optional base_ami_id
  source_ami = var.base_ami_id
  # bake:end

  region = var.region
}
`
)

func optionalFiles(template string) []File {
	return []File{{"images/t.pkr.hcl", []byte(template)}, {"images/scripts/x.ps1", []byte("Write-Output 1")}}
}

// Adding an optional input to a template re-bakes no stack that leaves it unset: its
// trigger is the one it had before, byte for byte. Set, the input and its regions are
// part of the trigger like any input.
func TestTriggerHashLeavesOutUnsetOptionalInputs(t *testing.T) {
	vars := map[string]string{"region": "eu-west-1"}
	before := TriggerHash(optionalFiles(templateBefore), vars)

	assert.Equal(t, before, TriggerHash(optionalFiles(templateWithOptional), vars), "unset: the trigger a stack had before the input existed")
	withEmpty := map[string]string{"region": "eu-west-1", "base_ami_id": ""}
	assert.Equal(t, before, TriggerHash(optionalFiles(templateWithOptional), withEmpty), "empty is unset")

	pinned := TriggerHash(optionalFiles(templateWithOptional), map[string]string{"region": "eu-west-1", "base_ami_id": "ami-0123456789abcdef0"})
	assert.NotEqual(t, before, pinned, "set: a new trigger")
	other := TriggerHash(optionalFiles(templateWithOptional), map[string]string{"region": "eu-west-1", "base_ami_id": "ami-0fedcba9876543210"})
	assert.NotEqual(t, pinned, other, "another value: another trigger")

	// A byte of a region still re-bakes a stack that sets the input.
	edited := strings.Replace(templateWithOptional, "source_ami = var.base_ami_id", "source_ami  = var.base_ami_id", 1)
	assert.NotEqual(t, pinned, TriggerHash(optionalFiles(edited), map[string]string{"region": "eu-west-1", "base_ami_id": "ami-0123456789abcdef0"}))
	// An empty value of an ordinary variable is still a value.
	assert.NotEqual(t, before, TriggerHash(optionalFiles(templateBefore), map[string]string{"region": "eu-west-1", "subnet_id": ""}))
}

func TestOptionalRegionsMustBeClosed(t *testing.T) {
	for name, tc := range map[string]struct{ template, says string }{
		"unclosed":       {"a\n# bake:optional x\nb\n", `line 2: "# bake:optional x" has no "# bake:end"`},
		"end without":    {"a\n# bake:end\n", `line 2: "# bake:end" closes no "# bake:optional <variable>"`},
		"nested":         {"# bake:optional x\n# bake:optional y\n# bake:end\n# bake:end\n", "line 2: regions do not nest"},
		"without a name": {"# bake:optional \n# bake:end\n", `line 1: "# bake:optional" names no variable`},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(root, "images"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(root, StageApp.Template), []byte(tc.template), 0o644))
			_, err := StageFiles(root, StageApp)
			require.Error(t, err)
			assert.ErrorContains(t, err, "images/windows-app.pkr.hcl "+tc.says)
		})
	}
}

// The prerequisites template declares the base AMI as an optional input: unset, its
// stage hashes the template without it (what every stack deployed before it hashed).
func TestPrerequisitesBaseAmiIsAnOptionalInput(t *testing.T) {
	files, err := StageFiles(testutil.RepoRoot(), StagePrerequisites)
	require.NoError(t, err)
	tpl := string(files[0].Content)
	require.Contains(t, tpl, "# bake:optional base_ami_id\n")

	stripped := withoutUnsetOptionals(files[0].Content, nil)
	assert.NotContains(t, string(stripped), "base_ami_id", "unset, nothing of the input is hashed")
	assert.NotContains(t, string(stripped), "bake:")
	without := append([]File{{files[0].Name, stripped}}, files[1:]...)
	vars := map[string]string{"region": "eu-west-1"}
	assert.Equal(t, TriggerHash(without, vars), TriggerHash(files, vars))
	vars["base_ami_id"] = "ami-0123456789abcdef0"
	assert.NotEqual(t, TriggerHash(without, vars), TriggerHash(files, vars))
}
