package record

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocate(t *testing.T) {
	home, err := os.UserHomeDir()
	require.NoError(t, err)
	abs := func(p string) string { a, _ := filepath.Abs(filepath.FromSlash(p)); return a }
	tests := []struct {
		name, backend, env string
		want               Location
		wantErr            []string
	}{
		{"file backend", "file:///srv/state", "", Location{Dir: abs("/srv/state/.webapi/release/webapi"), From: "backend"}, nil},
		{"file backend with query", "file:///srv/state?no_tmp_dir=false", "", Location{Dir: abs("/srv/state/.webapi/release/webapi"), From: "backend"}, nil},
		{"file backend in home", "file://~", "", Location{Dir: filepath.Join(home, ".webapi", "release", "webapi"), From: "backend"}, nil},
		{"file backend under home", "file://~/pulumi", "", Location{Dir: filepath.Join(home, "pulumi", ".webapi", "release", "webapi"), From: "backend"}, nil},
		{"s3 backend", "s3://bucket?region=eu-west-1", "", Location{Bucket: "bucket", Key: ".webapi/release/webapi.json", Region: "eu-west-1", From: "backend"}, nil},
		{"s3 backend with prefix", "s3://bucket/team/infra/?region=eu-west-1&awssdk=v2&profile=ops", "", Location{Bucket: "bucket", Key: "team/infra/.webapi/release/webapi.json", Region: "eu-west-1", Profile: "ops", From: "backend"}, nil},
		{"variable wins over backend", "file:///srv/state", "s3://records/webapi.json?region=us-east-1", Location{Bucket: "records", Key: "webapi.json", Region: "us-east-1", From: StoreEnv}, nil},
		{"variable with a prefix only", "", "s3://records/release/", Location{Bucket: "records", Key: "release/webapi.json", From: StoreEnv}, nil},
		{"variable with a bucket only", "", "s3://records", Location{Bucket: "records", Key: "webapi.json", From: StoreEnv}, nil},
		{"variable file", "https://api.pulumi.com", "file:///var/lib/webapi-release", Location{Dir: abs("/var/lib/webapi-release"), From: StoreEnv}, nil},
		{"default cloud", "", "", Location{}, []string{"default Pulumi Cloud", StoreEnv}},
		{"pulumi cloud", "https://api.pulumi.com", "", Location{}, []string{"https://api.pulumi.com", StoreEnv}},
		{"unsupported backend", "azblob://container", "", Location{}, []string{`Pulumi backend "azblob://container"`, `scheme "azblob"`, StoreEnv}},
		{"bad variable scheme", "", "gs://bucket", Location{}, []string{StoreEnv + `="gs://bucket"`, `scheme "gs"`}},
		{"variable not a URL", "", "/srv/record", Location{}, []string{StoreEnv + `="/srv/record"`, "not a URL"}},
		{"variable without bucket", "", "s3:///key", Location{}, []string{StoreEnv, "no bucket"}},
		{"variable empty file path", "", "file://", Location{}, []string{StoreEnv, "no directory"}},
		{"variable unknown query", "", "s3://b/k?endpoint=http://x", Location{}, []string{StoreEnv, `"endpoint"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Locate(tt.backend, tt.env)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLocationString(t *testing.T) {
	assert.Equal(t, "s3://b/k.json?region=eu-west-1", Location{Bucket: "b", Key: "k.json", Region: "eu-west-1"}.String())
	assert.Equal(t, "file:///srv/x", Location{Dir: "/srv/x"}.String())
}
