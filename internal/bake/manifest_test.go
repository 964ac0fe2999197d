package bake

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
		{"8-digit AMI id of an older image", `{"builds": [{"artifact_id": "eu-west-1:ami-0123abcd", "packer_run_uuid": "r"}], "last_run_uuid": "r"}`, ManifestWant{Region: "eu-west-1"}, "ami-0123abcd", ""},
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

func TestAmiIDPattern(t *testing.T) {
	for id, ok := range map[string]bool{
		"ami-0123abcd":           true,
		"ami-0123456789abcdef0":  true,
		"ami-0123abc":            false, // 7 digits
		"ami-0123456789ab":       false, // 12: neither 8 nor 17
		"ami-0123456789ABCDEF0":  false, // AWS ids are lower case
		"ami-0123456789abcdef01": false,
		"snap-0123abcd":          false,
		" ami-0123abcd":          false,
	} {
		assert.Equal(t, ok, AmiIDPattern.MatchString(id), id)
	}
}
