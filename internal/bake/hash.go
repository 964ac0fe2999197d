package bake

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// scriptRef finds the provisioner scripts and user data a template uses.
var scriptRef = regexp.MustCompile(`\$\{path\.root\}/(scripts/[A-Za-z0-9._-]+\.ps1)`)

// TemplateScripts lists the files (relative to the template's folder) a template refers
// to through ${path.root}/scripts/…, sorted and without duplicates.
func TemplateScripts(template []byte) []string {
	var out []string
	for _, m := range scriptRef.FindAllSubmatch(template, -1) {
		out = append(out, string(m[1]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// File is one input file of a stage, by name and content.
type File struct {
	Name    string
	Content []byte
}

// TriggerHash is the identity of a bake: the content of its template and every script it
// uses, and its variables. Equal inputs give equal hashes, so an unchanged stage never
// re-bakes; any changed byte or variable gives a new hash, so it always does. Names and
// lengths are framed so that moving bytes between files or values changes the hash too.
// An optional input left unset (optional.go) is neither hashed nor are its regions.
func TriggerHash(files []File, vars map[string]string) string {
	h := sha256.New()
	sorted := slices.SortedFunc(slices.Values(files), func(a, b File) int { return cmp.Compare(a.Name, b.Name) })
	for _, f := range sorted {
		content := withoutUnsetOptionals(f.Content, vars)
		fmt.Fprintf(h, "file\x00%s\x00%d\x00", f.Name, len(content))
		h.Write(content)
	}
	optional := optionalVariables(files)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if optional[k] && vars[k] == "" {
			continue
		}
		fmt.Fprintf(h, "var\x00%s\x00%d\x00%s", k, len(vars[k]), vars[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StageFiles reads a stage's template and the scripts it refers to from the repository.
func StageFiles(repoRoot string, stage Stage) ([]File, error) {
	tpl, err := os.ReadFile(filepath.Join(repoRoot, stage.Template))
	if err != nil {
		return nil, fmt.Errorf("image %s: reading template: %w", stage.Name, err)
	}
	if _, err := optionalRegions(splitLines(tpl)); err != nil {
		return nil, fmt.Errorf("image %s: %s %w", stage.Name, stage.Template, err)
	}
	files := []File{{Name: stage.Template, Content: tpl}}
	dir := filepath.Dir(stage.Template)
	for _, s := range TemplateScripts(tpl) {
		name := filepath.ToSlash(filepath.Join(dir, s))
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			return nil, fmt.Errorf("image %s: template refers to %s: %w", stage.Name, name, err)
		}
		files = append(files, File{Name: name, Content: b})
	}
	return files, nil
}
