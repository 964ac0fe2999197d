package bake

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// AmiIDPattern is the one shape of an AMI id: "ami-" and 8 hex digits (older images) or
// 17 (every image since 2016).
var AmiIDPattern = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

// Manifest is the file Packer's manifest post-processor writes (and appends to on every
// run).
type Manifest struct {
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
	var m Manifest
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
	return amiInRegion(b.ArtifactID, want.Region)
}

// amiInRegion picks the region's AMI from an amazon-ebs artifact id: "region:ami-…" pairs,
// sorted and joined by commas (hashicorp/packer-plugin-amazon builder/common/artifact.go,
// Artifact.Id).
func amiInRegion(artifactID, region string) (string, error) {
	var regions []string
	for pair := range strings.SplitSeq(artifactID, ",") {
		r, ami, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || !AmiIDPattern.MatchString(ami) {
			return "", fmt.Errorf("manifest artifact_id %q: %q is not region:ami-…", artifactID, pair)
		}
		if r == region {
			return ami, nil
		}
		regions = append(regions, r)
	}
	return "", fmt.Errorf("manifest's last build registered no AMI in %s (only in %s)", region, strings.Join(regions, ", "))
}
