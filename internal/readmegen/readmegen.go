// Package readmegen renders the README's configuration reference from Pulumi.yaml and
// splices it into the README between two marker comments. `go generate ./...` runs it
// through scripts/readmegen (the directive is in infra/generate.go).
package readmegen

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The config reference is the README text between these two lines.
const (
	BeginMarker = "<!-- config-reference:begin -->"
	EndMarker   = "<!-- config-reference:end -->"
)

// ErrStale is returned by UpdateFile in check mode when the README differs from what
// Pulumi.yaml generates.
var ErrStale = errors.New("the config reference is stale: run go generate ./...")

// projectFile is the part of Pulumi.yaml the table is made of. Config stays a node so
// that the table lists the keys in the order the file declares them.
type projectFile struct {
	Name   string    `yaml:"name"`
	Config yaml.Node `yaml:"config"`
}

// configSchema is one key's structured declaration. Default stays a node: a zero node
// (Kind 0) is a key without default (required), which differs from `default: ""`.
type configSchema struct {
	Type        string    `yaml:"type"`
	Description string    `yaml:"description"`
	Default     yaml.Node `yaml:"default"`
}

// ConfigTable renders the Markdown table of every config key Pulumi.yaml declares, in
// the file's order: key (namespaced), type, default or *(required)*, description.
// Project keys are declared without a namespace and belong to the project's (its
// name); see https://www.pulumi.com/docs/iac/concepts/projects/project-file/#config-options.
func ConfigTable(pulumiYAML []byte) (string, error) {
	var p projectFile
	if err := yaml.Unmarshal(pulumiYAML, &p); err != nil {
		return "", fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return "", errors.New("Pulumi.yaml has no project name")
	}
	if p.Config.Kind != yaml.MappingNode || len(p.Config.Content) == 0 {
		return "", errors.New("Pulumi.yaml declares no config keys")
	}
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n| --- | --- | --- | --- |\n")
	for i := 0; i+1 < len(p.Config.Content); i += 2 {
		row, err := configRow(p.Name, p.Config.Content[i].Value, p.Config.Content[i+1])
		if err != nil {
			return "", err
		}
		b.WriteString(row)
	}
	return b.String(), nil
}

// configRow renders one key's table row.
func configRow(namespace, key string, decl *yaml.Node) (string, error) {
	var s configSchema
	if decl.Kind != yaml.MappingNode {
		return "", fmt.Errorf("Pulumi.yaml config %s: want a declaration with type, description and default", key)
	}
	if err := decl.Decode(&s); err != nil {
		return "", fmt.Errorf("Pulumi.yaml config %s: %w", key, err)
	}
	if s.Type == "" {
		return "", fmt.Errorf("Pulumi.yaml config %s has no type", key)
	}
	def := "*(required)*"
	if s.Default.Kind != 0 {
		var v any
		if err := s.Default.Decode(&v); err != nil {
			return "", fmt.Errorf("Pulumi.yaml config %s: default: %w", key, err)
		}
		def = "`" + defaultLiteral(v) + "`"
	}
	if !strings.Contains(key, ":") {
		key = namespace + ":" + key
	}
	// A row is one line, and | would end a cell.
	desc := strings.ReplaceAll(strings.TrimRight(s.Description, "\n"), "\n", " ")
	desc = strings.ReplaceAll(desc, "|", "\\|")
	return fmt.Sprintf("| `%s` | %s | %s | %s |\n", key, s.Type, def, desc), nil
}

// defaultLiteral writes a default as the README shows it: an empty string as "", a list
// as its quoted items, sorted.
func defaultLiteral(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case []any:
		items := make([]string, 0, len(x))
		for _, e := range x {
			items = append(items, fmt.Sprintf("%q", e))
		}
		slices.Sort(items)
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// ReplaceBlock returns readme with the lines between the begin and end markers replaced
// by block. Each marker must appear exactly once, begin before end, begin on a line of
// its own.
func ReplaceBlock(readme, block string) (string, error) {
	start, end, err := blockBounds(readme)
	if err != nil {
		return "", err
	}
	return readme[:start] + block + readme[end:], nil
}

// Block returns the text between the markers, as ReplaceBlock finds it.
func Block(readme string) (string, error) {
	start, end, err := blockBounds(readme)
	if err != nil {
		return "", err
	}
	return readme[start:end], nil
}

// blockBounds locates the block: from the line after the begin marker to the end marker.
func blockBounds(readme string) (start, end int, err error) {
	for _, m := range []string{BeginMarker, EndMarker} {
		if n := strings.Count(readme, m); n != 1 {
			return 0, 0, fmt.Errorf("the README must hold %q exactly once, it holds it %d times", m, n)
		}
	}
	begin := strings.Index(readme, BeginMarker+"\n")
	end = strings.Index(readme, EndMarker)
	if begin < 0 {
		return 0, 0, fmt.Errorf("%q must end its line", BeginMarker)
	}
	if end < begin {
		return 0, 0, fmt.Errorf("%q must come after %q", EndMarker, BeginMarker)
	}
	return begin + len(BeginMarker) + 1, end, nil
}

// Update returns readme with its config reference regenerated from pulumiYAML.
func Update(pulumiYAML []byte, readme string) (string, error) {
	table, err := ConfigTable(pulumiYAML)
	if err != nil {
		return "", err
	}
	return ReplaceBlock(readme, table)
}

// UpdateFile regenerates the README at readmePath from the Pulumi.yaml at projectPath
// and reports whether it changed. It writes only when the content changes; with check
// set it never writes and returns ErrStale instead.
func UpdateFile(projectPath, readmePath string, check bool) (changed bool, err error) {
	project, err := os.ReadFile(projectPath)
	if err != nil {
		return false, err
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return false, err
	}
	updated, err := Update(project, string(readme))
	if err != nil {
		return false, fmt.Errorf("%s: %w", readmePath, err)
	}
	if updated == string(readme) {
		return false, nil
	}
	if check {
		return true, fmt.Errorf("%s: %w", readmePath, ErrStale)
	}
	info, err := os.Stat(readmePath)
	if err != nil {
		return false, err
	}
	if err := os.WriteFile(readmePath, []byte(updated), info.Mode().Perm()); err != nil {
		return false, fmt.Errorf("writing %s: %w", readmePath, err)
	}
	return true, nil
}
