package infra

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// BakeStage is one Packer template of the image chain.
type BakeStage struct {
	Name     string // prerequisites | app; also the AMI's role tag
	Template string // relative to the repository root
}

var (
	StagePrerequisites = BakeStage{Name: "prerequisites", Template: "images/windows-prerequisites.pkr.hcl"}
	StageApp           = BakeStage{Name: "app", Template: "images/windows-app.pkr.hcl"}
)

// BakeStages lists the chain in build order.
var BakeStages = []BakeStage{StagePrerequisites, StageApp}

// StageByName finds a stage.
func StageByName(name string) (BakeStage, error) {
	for _, s := range BakeStages {
		if s.Name == name {
			return s, nil
		}
	}
	return BakeStage{}, fmt.Errorf("stage %q is not allowed: want prerequisites or app", name)
}

// scriptRef finds the provisioner scripts and user data a template uses.
var scriptRef = regexp.MustCompile(`\$\{path\.root\}/(scripts/[A-Za-z0-9._-]+\.ps1)`)

// TemplateScripts lists the files (relative to the template's folder) a template refers
// to through ${path.root}/scripts/…, sorted and without duplicates.
func TemplateScripts(template []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range scriptRef.FindAllSubmatch(template, -1) {
		if s := string(m[1]); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// BakeFile is one input file of a stage, by name and content.
type BakeFile struct {
	Name    string
	Content []byte
}

// TriggerHash is the identity of a bake: the content of its template and every script it
// uses, and its variables. Equal inputs give equal hashes, so an unchanged stage never
// re-bakes; any changed byte or variable gives a new hash, so it always does. Names and
// lengths are framed so that moving bytes between files or values changes the hash too.
func TriggerHash(files []BakeFile, vars map[string]string) string {
	h := sha256.New()
	sorted := append([]BakeFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		fmt.Fprintf(h, "file\x00%s\x00%d\x00", f.Name, len(f.Content))
		h.Write(f.Content)
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "var\x00%s\x00%d\x00%s", k, len(vars[k]), vars[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StageFiles reads a stage's template and the scripts it refers to from the repository.
func StageFiles(repoRoot string, stage BakeStage) ([]BakeFile, error) {
	tpl, err := os.ReadFile(filepath.Join(repoRoot, stage.Template))
	if err != nil {
		return nil, fmt.Errorf("image %s: reading template: %w", stage.Name, err)
	}
	files := []BakeFile{{Name: stage.Template, Content: tpl}}
	dir := filepath.Dir(stage.Template)
	for _, s := range TemplateScripts(tpl) {
		name := filepath.ToSlash(filepath.Join(dir, s))
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			return nil, fmt.Errorf("image %s: template refers to %s: %w", stage.Name, name, err)
		}
		files = append(files, BakeFile{Name: name, Content: b})
	}
	return files, nil
}

// PackerManifest is the manifest post-processor's file.
type PackerManifest struct {
	Builds []struct {
		Name          string            `json:"name"`
		BuilderType   string            `json:"builder_type"`
		BuildTime     int64             `json:"build_time"`
		ArtifactID    string            `json:"artifact_id"`
		PackerRunUUID string            `json:"packer_run_uuid"`
		CustomData    map[string]string `json:"custom_data"`
	} `json:"builds"`
	LastRunUUID string `json:"last_run_uuid"`
}

// ManifestWant says which build a manifest must hold.
type ManifestWant struct {
	Region       string
	Role         string // custom_data.role
	Stack        string // custom_data.stack
	TemplateHash string // custom_data.template_hash; empty: not checked
}

// AmiFromManifest returns the AMI id the last run registered in the wanted region. The
// manifest is appended to on every run, so only the build of last_run_uuid counts; a
// build of another stage, stack or input hash is refused as foreign.
func AmiFromManifest(data []byte, want ManifestWant) (string, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return "", errors.New("manifest is empty: did the Packer build run to its post-processor?")
	}
	var m PackerManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("manifest is not Packer manifest JSON: %w", err)
	}
	if len(m.Builds) == 0 {
		return "", errors.New("manifest lists no builds")
	}
	if m.LastRunUUID == "" {
		return "", errors.New("manifest has no last_run_uuid")
	}
	idx := -1
	for i, b := range m.Builds {
		if b.PackerRunUUID == m.LastRunUUID {
			idx = i // the last entry of the last run wins
		}
	}
	if idx < 0 {
		return "", fmt.Errorf("manifest has no build of the last run %s", m.LastRunUUID)
	}
	b := m.Builds[idx]
	for _, check := range []struct{ key, want string }{
		{"role", want.Role}, {"stack", want.Stack}, {"template_hash", want.TemplateHash},
	} {
		if check.want != "" && b.CustomData[check.key] != check.want {
			return "", fmt.Errorf("manifest is foreign: its last build has %s %q, want %q", check.key, b.CustomData[check.key], check.want)
		}
	}
	var regions []string
	for _, pair := range strings.Split(b.ArtifactID, ",") {
		region, ami, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || !amiPattern.MatchString(ami) {
			return "", fmt.Errorf("manifest artifact_id %q: %q is not region:ami-…", b.ArtifactID, pair)
		}
		if region == want.Region {
			return ami, nil
		}
		regions = append(regions, region)
	}
	return "", fmt.Errorf("manifest's last build registered no AMI in %s (only in %s)", want.Region, strings.Join(regions, ", "))
}

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ResolveRef picks the commit a ref names from `git ls-remote <repo> <ref>` output. A full
// commit id resolves to itself; an annotated tag resolves to the commit it points at.
func ResolveRef(lsRemote, ref string) (string, error) {
	if commitPattern.MatchString(ref) {
		return ref, nil
	}
	candidates := []string{ref, "refs/tags/" + ref, "refs/heads/" + ref}
	found := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(lsRemote))
	for sc.Scan() {
		sha, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		if !ok || !commitPattern.MatchString(sha) {
			continue
		}
		found[name] = sha
	}
	for _, c := range candidates {
		if sha, ok := found[c+"^{}"]; ok { // peeled annotated tag
			return sha, nil
		}
		if sha, ok := found[c]; ok {
			return sha, nil
		}
	}
	return "", fmt.Errorf("ref %q is not a branch, tag or commit of the repository", ref)
}
