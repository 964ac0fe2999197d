package daytwo

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
)

// The pure half of the transition matrix: what a row expects, how a measured plan is
// checked against it, and how the measured plans print as a Markdown table. No engine.

// matrixOp is one resource's measured plan: the operation and, for a replacement, the
// properties that force it.
type matrixOp struct {
	Op       string // create | update | replace | delete | same
	Replaces []string
}

// matrixPlan is a measured plan of both stacks, keyed "<type>::<name>" as
// enginetest.World.Plan keys it (names are unique across the two stacks).
type matrixPlan map[string]matrixOp

// matrixKey is a key resource: one column of the table.
type matrixKey struct {
	Column   string
	Resource string // "<type>::<name>"
}

// Columns of the key resources: what serves traffic, and what holds everything else up.
const (
	matrixColALB      = "ALB"
	matrixColHTTP     = "listener :80"
	matrixColHTTPS    = "listener :443"
	matrixColTGBlue   = "TG blue"
	matrixColTGGreen  = "TG green"
	matrixColASGBlue  = "ASG blue"
	matrixColASGGreen = "ASG green"
	matrixColVPC      = "VPC"
)

// matrixKeys are the key resources in table order. Each must never be replaced or
// deleted unless its row says why.
var matrixKeys = []matrixKey{
	{matrixColALB, awsdouble.TypeLoadBalancer + "::edge-alb"},
	{matrixColHTTP, awsdouble.TypeListener + "::" + infra.ListenerName("edge", 80)},
	{matrixColHTTPS, awsdouble.TypeListener + "::" + infra.ListenerName("edge", 443)},
	{matrixColTGBlue, awsdouble.TypeTargetGroup + "::edge-tg-blue"},
	{matrixColTGGreen, awsdouble.TypeTargetGroup + "::edge-tg-green"},
	{matrixColASGBlue, awsdouble.TypeAutoscalingGroup + "::fleet-blue-asg"},
	{matrixColASGGreen, awsdouble.TypeAutoscalingGroup + "::fleet-green-asg"},
	{matrixColVPC, awsdouble.TypeVpc + "::network-vpc"},
}

// matrixAbsent is a key resource in neither the old nor the new state (the HTTPS
// listener without a certificate).
const matrixAbsent = "—"

// matrixAllow is a change a row expects besides its key resources: op on resources of
// Type whose name matches the glob Name (path.Match).
type matrixAllow struct {
	Op, Type, Name string
}

// matrixStep is one config change on one stack, and the plan it must have.
type matrixStep struct {
	Label string
	Stack infra.Color
	Set   []string // webapi key/value pairs, as enginetest.World.SetConfig takes them
	// Keys is the op of each key resource by column; a column not listed must be
	// unchanged (same, or absent before and after).
	Keys map[string]string
	// Others are every other change the step makes, exactly: each allowance matches at
	// least one change, and every change matches an allowance with its op.
	Others []matrixAllow
	// Maybe are changes the step may or may not make: how far a failed up before it got
	// (which resources it created before the failure stopped it) is a race between the
	// engine's parallel steps, so the way back may or may not have them to delete.
	Maybe []matrixAllow
	// Why says why anything is replaced or deleted; required when anything is.
	Why string
	// Fails: the up must fail with an error containing this. The row's later steps run
	// (to show the way back); the world ends with the row.
	Fails string
}

// matrixRow is one routine day-two change: its steps (the change, then the revert to
// the baseline) run in sequence on the same world.
type matrixRow struct {
	Name  string
	Steps []matrixStep
}

// matrixResult is what one step measured.
type matrixResult struct {
	Step matrixStep
	Plan matrixPlan
	// Outcome is how the up went: "ok" (and a second plan was empty) or the error.
	Outcome string
}

// keyOp is the measured op of a key resource.
func (p matrixPlan) keyOp(k matrixKey) string {
	if op, ok := p[k.Resource]; ok {
		return op.Op
	}
	return matrixAbsent
}

// isKey says whether a plan entry is a key resource's.
func matrixIsKey(resource string) bool {
	return slices.ContainsFunc(matrixKeys, func(k matrixKey) bool { return k.Resource == resource })
}

// changed lists the plan's non-key changes (anything but same), sorted by key.
func (p matrixPlan) changed() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if op := p[k].Op; op != "same" && op != "read" && !matrixIsKey(k) {
			out = append(out, k)
		}
	}
	return out
}

// matches says whether an allowance covers a resource key with op.
func (a matrixAllow) matches(resource, op string) bool {
	typ, name, _ := strings.Cut(resource, "::")
	ok, _ := path.Match(a.Name, name)
	return ok && typ == a.Type && op == a.Op
}

// matrixCheck compares a measured plan with a step's expectations and returns every
// difference, worded for a test failure. Empty: the plan is what the row says.
func matrixCheck(s matrixStep, p matrixPlan) []string {
	var problems []string
	replacedOrDeleted := false
	for _, k := range matrixKeys {
		got, want := p.keyOp(k), s.Keys[k.Column]
		replacedOrDeleted = replacedOrDeleted || got == "replace" || got == "delete"
		if want == "" && (got == "same" || got == matrixAbsent) {
			continue
		}
		if got != want {
			problems = append(problems, fmt.Sprintf("%s (%s): planned %s, the row expects %s", k.Column, k.Resource, got, cmp.Or(want, "no change")))
		}
	}
	used := make([]bool, len(s.Others))
	for _, r := range p.changed() {
		op := p[r].Op
		replacedOrDeleted = replacedOrDeleted || op == "replace" || op == "delete"
		i := slices.IndexFunc(s.Others, func(a matrixAllow) bool { return a.matches(r, op) })
		if i < 0 && slices.ContainsFunc(s.Maybe, func(a matrixAllow) bool { return a.matches(r, op) }) {
			continue
		}
		if i < 0 {
			problems = append(problems, fmt.Sprintf("%s: planned %s%s, which the row does not expect", r, op, matrixReplacesNote(p[r])))
			continue
		}
		for j, a := range s.Others {
			used[j] = used[j] || a.matches(r, op)
		}
	}
	for i, a := range s.Others {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("the row expects %s of %s::%s, and the plan has none", a.Op, a.Type, a.Name))
		}
	}
	if replacedOrDeleted && s.Why == "" {
		problems = append(problems, "the step replaces or deletes something and does not say why")
	}
	return problems
}

func matrixReplacesNote(op matrixOp) string {
	if len(op.Replaces) == 0 {
		return ""
	}
	return " (" + strings.Join(op.Replaces, ", ") + ")"
}

// matrixShortType is a type token's last segment: aws:ec2/subnet:Subnet → Subnet.
func matrixShortType(token string) string {
	return token[strings.LastIndex(token, ":")+1:]
}

// otherChanges summarises the non-key changes: per op and type, the names (or how many,
// past two), e.g. "replace ListenerRule edge-pin-blue, edge-pin-green".
func (p matrixPlan) otherChanges() string {
	type group struct {
		op, typ string
		names   []string
	}
	var groups []*group
	for _, r := range p.changed() {
		typ, name, _ := strings.Cut(r, "::")
		op := p[r].Op
		i := slices.IndexFunc(groups, func(g *group) bool { return g.op == op && g.typ == typ })
		if i < 0 {
			groups = append(groups, &group{op: op, typ: typ})
			i = len(groups) - 1
		}
		groups[i].names = append(groups[i].names, name+matrixReplacesNote(p[r]))
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(a.op, b.op) })
	var parts []string
	for _, g := range groups {
		what := strings.Join(g.names, ", ")
		if len(g.names) > 2 {
			what = fmt.Sprintf("×%d", len(g.names))
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", g.op, matrixShortType(g.typ), what))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// matrixCell renders a key resource's op, with what forces a replacement.
func matrixCell(p matrixPlan, k matrixKey) string {
	op := p.keyOp(k)
	if op == "replace" {
		return "**replace**" + matrixReplacesNote(p[k.Resource])
	}
	if op == "delete" || op == "create" {
		return "**" + op + "**"
	}
	return op
}

// matrixMarkdown is the measured table: one line per step, the key resources' planned
// ops, every other change, and how the up went; then why each replacement is right.
func matrixMarkdown(results []matrixResult) string {
	var b strings.Builder
	b.WriteString("| change | stack |")
	for _, k := range matrixKeys {
		fmt.Fprintf(&b, " %s |", k.Column)
	}
	b.WriteString(" other changes | up |\n|---|---|")
	b.WriteString(strings.Repeat("---|", len(matrixKeys)+2) + "\n")
	var why []string
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s |", r.Step.Label, r.Step.Stack)
		for _, k := range matrixKeys {
			fmt.Fprintf(&b, " %s |", matrixCell(r.Plan, k))
		}
		fmt.Fprintf(&b, " %s | %s |\n", matrixEscapePipes(r.Plan.otherChanges()), matrixEscapePipes(r.Outcome))
		if r.Step.Why != "" {
			why = append(why, fmt.Sprintf("- **%s**: %s", r.Step.Label, r.Step.Why))
		}
	}
	if len(why) > 0 {
		b.WriteString("\nWhy anything is replaced or deleted:\n\n" + strings.Join(why, "\n") + "\n")
	}
	return b.String()
}

func matrixEscapePipes(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
