package images

import (
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The prerequisites stage builds on base_ami_id when it is set (webapi:baseAmiId), with
// the Amazon Windows Server filter still applied, so the pin must be such an image.
func TestPrerequisitesBuildOnThePinnedBaseImage(t *testing.T) {
	src, err := os.ReadFile("windows-prerequisites.pkr.hcl")
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, "windows-prerequisites.pkr.hcl", hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	var source *hclsyntax.Body
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		if block.Type == "source" {
			source = block.Body
		}
	}
	require.NotNil(t, source, "the amazon-ebs source")

	attr, ok := source.Attributes["source_ami"]
	require.True(t, ok, "source_ami is set from the variable")
	vars := attr.Expr.Variables()
	require.Len(t, vars, 1)
	assert.Equal(t, "var.base_ami_id", string(src[vars[0].SourceRange().Start.Byte:vars[0].SourceRange().End.Byte]))

	var filter *hclsyntax.Block
	for _, b := range source.Blocks {
		if b.Type == "source_ami_filter" {
			filter = b
		}
	}
	require.NotNil(t, filter, "the filter stays: it checks the pin and picks the newest when none is set")
	text := string(src[filter.Range().Start.Byte:filter.Range().End.Byte])
	assert.Contains(t, text, `name                = "Windows_Server-${var.windows_version}-English-Full-Base-*"`)
	assert.Contains(t, text, `owners      = ["amazon"]`)
	assert.Equal(t, "", variableDefaults(t, "windows-prerequisites.pkr.hcl")["base_ami_id"], "unset by default")
}
