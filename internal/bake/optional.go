package bake

import (
	"bytes"
	"fmt"
	"strings"
)

// Optional inputs. A template may fence the declaration and the uses of a Packer variable
// that has an empty default between a line "# bake:optional <variable>" and a line
// "# bake:end". Such a region is part of its stage's trigger only while the variable is
// set (non-empty): a stage that leaves it unset hashes the template as if the regions
// were not there, byte for byte. So adding an optional input to a template (the
// prerequisites stage's base_ami_id, webapi:baseAmiId) re-bakes no stack that does not
// use it, while every stack that sets it re-bakes with each new value, as with any input.
const (
	optionalStart = "# bake:optional"
	optionalEnd   = "# bake:end"
)

// optionalRegion is one fenced region: the variable and its lines [first, last], 0-based,
// fences included.
type optionalRegion struct {
	variable    string
	first, last int
}

// optionalRegions finds a file's fenced regions; a fence that is not closed, closes
// nothing, nests or names no variable is an error naming its line.
func optionalRegions(lines []string) ([]optionalRegion, error) {
	var out []optionalRegion
	open := -1
	for i, line := range lines {
		text := strings.TrimSpace(line)
		switch {
		case text == optionalEnd:
			if open < 0 {
				return nil, fmt.Errorf("line %d: %q closes no %q", i+1, optionalEnd, optionalStart+" <variable>")
			}
			out[len(out)-1].last = i
			open = -1
		case text == optionalStart || strings.HasPrefix(text, optionalStart+" "):
			name := strings.TrimSpace(strings.TrimPrefix(text, optionalStart))
			switch {
			case name == "":
				return nil, fmt.Errorf("line %d: %q names no variable", i+1, optionalStart)
			case open >= 0:
				return nil, fmt.Errorf("line %d: regions do not nest: the one of line %d is still open", i+1, open+1)
			}
			open = i
			out = append(out, optionalRegion{variable: name, first: i})
		}
	}
	if open >= 0 {
		return nil, fmt.Errorf("line %d: %q has no %q", open+1, strings.TrimSpace(lines[open]), optionalEnd)
	}
	return out, nil
}

// splitLines splits content after each newline, so joining the parts gives it back.
func splitLines(content []byte) []string {
	return strings.SplitAfter(string(content), "\n")
}

// withoutUnsetOptionals is content without the fenced regions (fences included) of the
// variables vars leaves unset or empty. Content whose fences are broken is kept whole:
// StageFiles refuses it before anything hashes it, and hashing more never misses a bake.
func withoutUnsetOptionals(content []byte, vars map[string]string) []byte {
	lines := splitLines(content)
	regions, err := optionalRegions(lines)
	if err != nil || len(regions) == 0 {
		return content
	}
	var out bytes.Buffer
	next := 0
	for _, r := range regions {
		if vars[r.variable] != "" {
			continue
		}
		out.WriteString(strings.Join(lines[next:r.first], ""))
		next = r.last + 1
	}
	out.WriteString(strings.Join(lines[next:], ""))
	return out.Bytes()
}

// optionalVariables are the variables the files fence as optional.
func optionalVariables(files []File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		regions, _ := optionalRegions(splitLines(f.Content))
		for _, r := range regions {
			out[r.variable] = true
		}
	}
	return out
}
