// Command readmegen rewrites the configuration reference in README.md from Pulumi.yaml
// (internal/readmegen). `go generate ./...` runs it from infra/ (infra/generate.go):
//
//	readmegen [-project Pulumi.yaml] [-readme README.md] [-check]
//
// With -check it writes nothing and fails when the README is stale. Exit codes: 0 up to
// date or rewritten, 1 stale (-check) or a file could not be read, parsed or written,
// 2 bad usage.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/webapi-platform/infra/internal/readmegen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("readmegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	project := fs.String("project", "Pulumi.yaml", "the Pulumi project file the reference is generated from")
	readme := fs.String("readme", "README.md", "the README whose config reference block is rewritten")
	check := fs.Bool("check", false, "write nothing; exit 1 when the README is stale")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "readmegen: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if _, err := readmegen.UpdateFile(*project, *readme, *check); err != nil {
		fmt.Fprintf(stderr, "readmegen: %v\n", err)
		return 1
	}
	return 0
}
