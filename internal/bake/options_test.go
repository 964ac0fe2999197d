package bake

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake/baketest"
)

func TestBadInputIsRefusedBeforePackerRuns(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	packer := baketest.FakePacker(t, "touch "+marker+"\n")
	cases := map[string]struct {
		change func(*Options)
		says   string
	}{
		"stage":             {func(o *Options) { o.Stage = Stage{Name: "final"} }, `stage "final" is not allowed`},
		"no stage":          {func(o *Options) { o.Stage = Stage{} }, `WEBAPI_BAKE_STAGE: stage "" is not allowed`},
		"stage copy":        {func(o *Options) { o.Stage.Template = "images/other.pkr.hcl" }, `stage "prerequisites" is not allowed`},
		"region":            {func(o *Options) { o.Region = "europe" }, `WEBAPI_BAKE_REGION "europe" is not allowed`},
		"stack":             {func(o *Options) { o.Stack = "" }, "PKR_VAR_stack is empty"},
		"hash":              {func(o *Options) { o.TemplateHash = "abc" }, `PKR_VAR_template_hash "abc" is not allowed`},
		"app without a ref": {func(o *Options) { o.Stage = StageApp }, "PKR_VAR_app_repository and PKR_VAR_app_ref are required for the app stage"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			opts, _ := buildOptions(t, packer, nil)
			tc.change(&opts)
			_, err := Build(context.Background(), opts)
			require.Error(t, err)
			assert.ErrorAs(t, err, new(InputError))
			assert.ErrorContains(t, err, tc.says)
			assert.NoFileExists(t, marker)

			if name != "app without a ref" { // the ref matters to Build only
				fake := &baketest.FakeEC2{}
				err = Deregister(context.Background(), fake, opts, "ami-0123456789abcdef0")
				assert.ErrorAs(t, err, new(InputError))
				assert.ErrorContains(t, err, tc.says)
				assert.Nil(t, fake.ImageIDs, "no EC2 call with bad input")
			}
		})
	}
}

func TestValidOptions(t *testing.T) {
	for _, stage := range Stages {
		for _, region := range []string{"eu-west-1", "us-east-1", "ap-southeast-2", "us-gov-west-1"} {
			opts := Options{Stage: stage, Region: region, Stack: "blue", TemplateHash: baketest.Hash}
			assert.NoError(t, opts.Validate(), "%s in %s", stage.Name, region)
		}
	}
}
