package daytwo

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bakePackerScript is the fake packer: what the bake runner (internal/bake/runner.go)
// needs of Packer and nothing more. `init` checks the template is there; `build` checks
// the variables the template declares without a default are set (a real build fails
// without them), writes the manifest post-processor's file to PKR_VAR_manifest_path with
// the custom_data the runner checks (internal/bake/manifest.go: role, stack,
// template_hash; last_run_uuid; artifact_id "region:ami-…"), and appends
// "<stage> <template hash> <ami> <source ami>" to the build log, one line per build (the
// prerequisites stage's source is PKR_VAR_base_ami_id when set, as source_ami is Packer's).
// The AMI id is derived from the stage, its template hash and the AMI it is built on, so
// the same inputs give the same AMI and any change gives another. Values are written
// into the JSON unescaped: the tests' configs hold no quote or backslash.
const bakePackerScript = `#!/bin/sh
set -eu
fail() { echo "fake packer: $*" >&2; exit 1; }
[ $# -ge 2 ] || fail "want init|build [flags] <template>, got: $*"
eval "template=\${$#}"
[ -f "$template" ] || fail "no template $template in $(pwd)"
case "$template" in
images/windows-prerequisites.pkr.hcl)
	stage=prerequisites; need="region stack template_hash manifest_path" ;;
images/windows-app.pkr.hcl)
	stage=app; need="region stack template_hash manifest_path color prerequisites_ami_id app_repository app_ref app_commit" ;;
*) fail "unknown template $template" ;;
esac
case "$1" in
init) exit 0 ;;
build) ;;
*) fail "unknown command $1" ;;
esac
for v in $need; do
	eval "val=\${PKR_VAR_$v:-}"
	[ -n "$val" ] || fail "variable $v is required: PKR_VAR_$v is not set"
done
source_ami=${PKR_VAR_base_ami_id:-amazon-windows-2022}
if [ "$stage" = app ]; then
	printf '%s' "$PKR_VAR_prerequisites_ami_id" | grep -Eqx 'ami-([0-9a-f]{8}|[0-9a-f]{17})' || fail "prerequisites_ami_id $PKR_VAR_prerequisites_ami_id is not an AMI id"
	printf '%s' "$PKR_VAR_app_commit" | grep -Eqx '[0-9a-f]{40}' || fail "app_commit $PKR_VAR_app_commit is not a commit id"
	source_ami=$PKR_VAR_prerequisites_ami_id
	custom="\"color\":\"$PKR_VAR_color\",\"app_repository\":\"$PKR_VAR_app_repository\",\"app_ref\":\"$PKR_VAR_app_ref\",\"app_commit\":\"$PKR_VAR_app_commit\","
else
	custom="\"dotnet\":\"8.0.23\","
fi
ami="ami-$(printf '%s\n%s\n%s\n' "$stage" "$PKR_VAR_template_hash" "$source_ami" | sha256sum | cut -c1-17)"
uuid=$(cat /proc/sys/kernel/random/uuid)
cat > "$PKR_VAR_manifest_path" <<JSON
{"builds":[{"name":"$stage","builder_type":"amazon-ebs","build_time":$(date +%s),"files":null,
"artifact_id":"$PKR_VAR_region:$ami","packer_run_uuid":"$uuid",
"custom_data":{$custom"role":"$stage","stack":"$PKR_VAR_stack","template_hash":"$PKR_VAR_template_hash"}}],
"last_run_uuid":"$uuid"}
JSON
echo "==> amazon-ebs.$stage: AMI: $ami"
printf '%s %s %s %s\n' "$stage" "$PKR_VAR_template_hash" "$ami" "$source_ami" >> "$FAKE_PACKER_LOG"
`

// bakePacker is one World's fake packer: the script and the log of its builds.
type bakePacker struct {
	path string // for WEBAPI_PACKER
	log  string
}

// bakeBuild is one line of the fake packer's log.
type bakeBuild struct {
	Stage, Hash, Ami, SourceAmi string
}

// newBakePacker writes the fake packer, with its log's path in it (no environment
// variable of its own to pass through the engine), into a folder of the test's.
func newBakePacker(t *testing.T) *bakePacker {
	t.Helper()
	dir := t.TempDir()
	p := &bakePacker{path: filepath.Join(dir, "packer"), log: filepath.Join(dir, "builds.log")}
	script := strings.Replace(bakePackerScript, `"$FAKE_PACKER_LOG"`, bakeShellQuote(p.log), 1)
	if err := os.WriteFile(p.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func bakeShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var bakeLinePattern = regexp.MustCompile(`^(prerequisites|app) ([0-9a-f]{64}) (ami-[0-9a-f]{17}) (\S+)$`)

// Builds are every build so far, in order.
func (p *bakePacker) Builds(t *testing.T) []bakeBuild {
	t.Helper()
	data, err := os.ReadFile(p.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []bakeBuild
	for line := range strings.Lines(string(data)) {
		m := bakeLinePattern.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("fake packer log line %q is not <stage> <hash> <ami> <source>", line)
		}
		out = append(out, bakeBuild{Stage: m[1], Hash: m[2], Ami: m[3], SourceAmi: m[4]})
	}
	return out
}

// Since returns the builds after the first n, and their stages.
func (p *bakePacker) Since(t *testing.T, n int) ([]bakeBuild, []string) {
	t.Helper()
	all := p.Builds(t)
	if len(all) < n {
		t.Fatalf("fake packer log shrank from %d to %d builds", n, len(all))
	}
	var stages []string
	for _, b := range all[n:] {
		stages = append(stages, b.Stage)
	}
	return all[n:], stages
}
