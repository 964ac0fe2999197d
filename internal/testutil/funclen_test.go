package testutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// maxFunctionLines is the house limit for a non-test function in infra/ and internal/:
// a function longer than this cannot be read at once.
const maxFunctionLines = 80

// functionLengths returns "file:func" → lines for every non-test function under dir.
func functionLengths(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := map[string]int{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(RepoRoot(), path)
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				out[rel+":"+fn.Name.Name] = lines
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoFunctionLongerThanTheLimit(t *testing.T) {
	checked, longest, longestName := 0, 0, ""
	for _, dir := range []string{"infra", "internal"} {
		for name, lines := range functionLengths(t, RepoPath(dir)) {
			checked++
			if lines > longest {
				longest, longestName = lines, name
			}
			if lines > maxFunctionLines {
				t.Errorf("%s is %d lines; split it (limit %d)", name, lines, maxFunctionLines)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d functions found under infra/ and internal/: is the walk broken?", checked)
	}
	t.Logf("%d functions checked; the longest is %s at %d lines", checked, longestName, longest)
}
