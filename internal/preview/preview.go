// Package preview folds the engine events of a Pulumi preview into one step per
// resource and renders them as Markdown for a pull-request comment. Pure: no engine, no
// AWS; the release logic uses Steps to see what a deploy would change.
package preview

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/webapi-platform/infra/infra"
)

// Step is one resource's planned change, folded from the engine's events.
type Step struct {
	Op       string // create | update | replace | delete | same | read
	URN      string
	Type     string
	Replaces []string // properties that force the replacement
	Diffs    []string // changed properties
}

// Name is the resource's logical name (the URN's last segment).
func (s Step) Name() string {
	if i := strings.LastIndex(s.URN, "::"); i >= 0 {
		return s.URN[i+2:]
	}
	return s.URN
}

// rank orders operations by how much attention they need.
var rank = map[string]int{"replace": 5, "delete": 4, "create": 3, "update": 2, "read": 1, "same": 0}

func normaliseOp(op apitype.OpType) string {
	switch op {
	case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced,
		apitype.OpDiscardReplaced, apitype.OpImportReplacement:
		return "replace"
	case apitype.OpDelete, apitype.OpReadDiscard:
		return "delete"
	case apitype.OpCreate, apitype.OpImport:
		return "create"
	case apitype.OpUpdate:
		return "update"
	case apitype.OpRead, apitype.OpReadReplacement:
		return "read"
	}
	return "same"
}

// Steps folds resource events into one step per resource, most significant op kept.
func Steps(evs []events.EngineEvent) []Step {
	byURN := map[string]*Step{}
	var order []string
	for _, ev := range evs {
		if ev.ResourcePreEvent == nil {
			continue
		}
		md := ev.ResourcePreEvent.Metadata
		if md.Type == "pulumi:pulumi:Stack" || strings.HasPrefix(md.Type, "pulumi:providers:") {
			continue
		}
		op := normaliseOp(md.Op)
		s, ok := byURN[md.URN]
		if !ok {
			s = &Step{URN: md.URN, Type: md.Type, Op: op}
			byURN[md.URN] = s
			order = append(order, md.URN)
		}
		if rank[op] > rank[s.Op] {
			s.Op = op
		}
		s.Diffs = union(s.Diffs, md.Diffs)
		for k, d := range md.DetailedDiff {
			if strings.HasSuffix(string(d.Kind), "-replace") {
				s.Replaces = union(s.Replaces, []string{k})
			}
		}
		if op == "replace" {
			s.Replaces = union(s.Replaces, md.Keys)
		}
	}
	out := make([]Step, 0, len(order))
	for _, u := range order {
		out = append(out, *byURN[u])
	}
	return out
}

// union is the sorted set of a's and b's elements.
func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Stack is one stack's preview, ready to render.
type Stack struct {
	Color  infra.Color
	Steps  []Step
	Counts map[string]int
	// Weights before (deployed) and after (the config this preview applies); edge only.
	Before, After *infra.Weights
	Err           error
	// Warnings are the program's and the providers' warnings (the engine's diagnostic
	// events of severity warning), such as a .NET channel past its end of support.
	Warnings []string
}

// NewStack folds a preview's events; the engine's summary counts win when present.
func NewStack(c infra.Color, evs []events.EngineEvent) Stack {
	p := Stack{Color: c, Steps: Steps(evs), Counts: map[string]int{}, Warnings: Warnings(evs)}
	for _, ev := range evs {
		if ev.SummaryEvent != nil {
			for op, n := range ev.SummaryEvent.ResourceChanges {
				p.Counts[normaliseOp(op)] += n
			}
		}
	}
	if len(p.Counts) == 0 {
		for _, s := range p.Steps {
			p.Counts[s.Op]++
		}
	}
	return p
}

// colorDirective is the engine's colour markup in diagnostic messages, e.g. <{%reset%}>.
var colorDirective = regexp.MustCompile(`<\{%[^%]*%\}>`)

// Warnings are the distinct warning diagnostics of a preview, in the order they came,
// without the engine's colour markup.
func Warnings(evs []events.EngineEvent) []string {
	var out []string
	for _, ev := range evs {
		d := ev.DiagnosticEvent
		if d == nil || d.Severity != "warning" {
			continue
		}
		msg := strings.TrimSpace(colorDirective.ReplaceAllString(d.Message, ""))
		if msg != "" && !slices.Contains(out, msg) {
			out = append(out, msg)
		}
	}
	return out
}

// Changed says whether the preview plans any change.
func (p Stack) Changed() bool {
	for op, n := range p.Counts {
		if op != "same" && op != "read" && n > 0 {
			return true
		}
	}
	return p.Before != nil && p.After != nil && *p.Before != *p.After
}

// RenderMarkdown renders previews for a pull-request comment: per stack the traffic
// weights before → after, counts by operation, replaces and deletes first with the
// properties that force them, then the other changes with their properties.
func RenderMarkdown(previews []Stack) string {
	var b strings.Builder
	b.WriteString("<!-- webapi-preview -->\n## Pulumi preview\n")
	for _, p := range previews {
		fmt.Fprintf(&b, "\n### Stack `%s`\n\n", p.Color)
		if p.Err != nil {
			fmt.Fprintf(&b, "**Preview failed:**\n\n```\n%s\n```\n", strings.TrimSpace(p.Err.Error()))
			continue
		}
		for _, w := range p.Warnings {
			fmt.Fprintf(&b, "> **Warning:** %s\n\n", strings.ReplaceAll(w, "\n", "\n> "))
		}
		if p.Before != nil && p.After != nil {
			if *p.Before == *p.After {
				fmt.Fprintf(&b, "**Traffic:** unchanged (%s)\n\n", p.After)
			} else {
				fmt.Fprintf(&b, "**Traffic:** blue %d%% → %d%%, green %d%% → %d%%\n\n", p.Before.Blue, p.After.Blue, p.Before.Green, p.After.Green)
			}
		}
		if !p.Changed() {
			fmt.Fprintf(&b, "No changes: %d resources unchanged.\n", p.Counts["same"])
			continue
		}
		b.WriteString("| operation | resources |\n| --- | --- |\n")
		for _, op := range []string{"replace", "delete", "create", "update", "same"} {
			if n := p.Counts[op]; n > 0 {
				fmt.Fprintf(&b, "| %s | %d |\n", op, n)
			}
		}
		var risky, other []Step
		for _, s := range p.Steps {
			switch s.Op {
			case "replace", "delete":
				risky = append(risky, s)
			case "create", "update":
				other = append(other, s)
			}
		}
		slices.SortStableFunc(risky, func(a, b Step) int { return cmp.Compare(rank[b.Op], rank[a.Op]) })
		if len(risky) > 0 {
			b.WriteString("\n**Replaces and deletes**\n\n")
			for _, s := range risky {
				fmt.Fprintf(&b, "- **%s** `%s` (`%s`)", s.Op, s.Name(), s.Type)
				if len(s.Replaces) > 0 {
					fmt.Fprintf(&b, " — forced by %s", codeList(s.Replaces))
				}
				b.WriteString("\n")
			}
		}
		if len(other) > 0 {
			b.WriteString("\n**Other changes**\n\n")
			for _, s := range other {
				fmt.Fprintf(&b, "- %s `%s` (`%s`)", s.Op, s.Name(), s.Type)
				if len(s.Diffs) > 0 {
					fmt.Fprintf(&b, ": %s", codeList(s.Diffs))
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

func codeList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "`" + x + "`"
	}
	return strings.Join(q, ", ")
}
