package release

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// SummaryOptions choose the part of the release history a summary covers: the entries
// at or after Since, or those of the release with id Release (the record's last one).
type SummaryOptions struct {
	Since   time.Time
	Release string
}

// Summary is what a job summary shows: the history entries of the job (each with the
// time since the one before it), the release they belong to, each colour's version and
// the live weights at the end.
type Summary struct {
	Since   time.Time
	Release *record.Release // the record's release when it began in the window, else nil
	Entries []record.Entry
	Colors  []ColorVersion
	// Live are the weights the listener serves (LiveFrom says where they were read);
	// LiveErr says why there are none.
	Live     *infra.Weights
	LiveFrom string
	LiveErr  string
	// Self names this run (its URL, else its id): entries written by anyone else are
	// marked with who wrote them.
	Self string
}

// ColorVersion is what a colour runs, from its stack outputs.
type ColorVersion struct {
	Color  infra.Color
	AppRef string
	AmiID  string
}

// Summary gathers the job summary from the release record, the colours' outputs and the
// live listener. Only the record is required: what else cannot be read is said in the
// summary, which a workflow writes whatever happened before it.
func (r *Release) Summary(ctx context.Context, opts SummaryOptions) (Summary, error) {
	if err := r.requireStore(); err != nil {
		return Summary{}, err
	}
	rec, _, err := r.Store.Load(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("reading the release record: %w", err)
	}
	// Self as Owner.String names the run in an entry's Who: by its URL, else its id.
	s := Summary{Since: opts.Since, Self: cmp.Or(r.Owner.RunURL, r.Owner.RunID)}
	if opts.Release != "" {
		rel := rec.Release
		if rel == nil || rel.ID != opts.Release {
			return Summary{}, fmt.Errorf("--release %s: the release record keeps only its last release (%s): use --since", opts.Release, lastReleaseID(rec))
		}
		s.Since = rel.Started
	}
	if rel := rec.Release; rel != nil && !rel.Started.Before(s.Since) {
		s.Release = rel
	}
	s.Entries = slices.DeleteFunc(slices.Clone(rec.History), func(e record.Entry) bool { return e.At.Before(s.Since) })
	if s.Release != nil && opts.Release != "" && s.Release.Phase == record.PhaseDone {
		end := s.Release.Updated
		s.Entries = slices.DeleteFunc(s.Entries, func(e record.Entry) bool { return e.At.After(end) })
	}
	s.Colors, s.Live, s.LiveFrom, s.LiveErr = r.summaryState(ctx)
	return s, nil
}

func lastReleaseID(rec record.Record) string {
	if rec.Release == nil {
		return "none"
	}
	return "release " + rec.Release.ID
}

// summaryState reads each colour's version and the live weights; errors become text.
func (r *Release) summaryState(ctx context.Context) ([]ColorVersion, *infra.Weights, string, string) {
	var colors []ColorVersion
	for _, c := range infra.Colors {
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			continue
		}
		colors = append(colors, ColorVersion{Color: c, AppRef: outputText(outs[infra.OutAppRef]), AmiID: outputText(outs[infra.OutAmiID])})
	}
	st, err := r.lookDeployed(ctx)
	if err != nil {
		return colors, nil, "", err.Error()
	}
	live := st.live
	from := "the listener"
	if !st.liveFromALB {
		from = "the edge stack's outputs (AWS not reachable)"
	}
	return colors, &live, from, ""
}

func outputText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// RenderSummary writes a summary as Markdown for $GITHUB_STEP_SUMMARY: the version,
// colour, smoke result, outcome and live weights first, then each colour's version, then
// the timeline (each phase with the time it took and its figures).
func RenderSummary(s Summary) string {
	var b strings.Builder
	b.WriteString("## Release summary\n\n| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, mdCell(orDash(v))) }
	version, color, smoke, outcome := summaryHeadline(s)
	row("Version", version)
	row("Colour", color)
	row("Smoke test", smoke)
	row("Outcome", outcome)
	if s.Live != nil {
		row("Live weights", fmt.Sprintf("%s (from %s)", s.Live, s.LiveFrom))
	} else {
		row("Live weights", "unknown: "+s.LiveErr)
	}
	if len(s.Colors) > 0 {
		b.WriteString("\n| Colour | App ref | AMI |\n|---|---|---|\n")
		for _, c := range s.Colors {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Color, mdCell(orDash(c.AppRef)), mdCell(orDash(c.AmiID)))
		}
	}
	b.WriteString("\n### Timeline\n\n")
	if len(s.Entries) == 0 {
		fmt.Fprintf(&b, "Nothing was written to the release history since %s.\n", s.Since.UTC().Format(time.RFC3339))
		return b.String()
	}
	b.WriteString("| At (UTC) | Phase | Took | Details |\n|---|---|---|---|\n")
	prev := s.Since
	for _, e := range s.Entries {
		took := "-"
		if !prev.IsZero() {
			took = e.At.Sub(prev).Round(time.Second).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.At.UTC().Format(time.TimeOnly), mdCell(e.Action), took, mdCell(entryDetails(e, s.Self)))
		prev = e.At
	}
	return b.String()
}

// summaryHeadline picks the version, colour, smoke result and outcome from the release
// and the entries of the window: the last of each kind wins.
func summaryHeadline(s Summary) (version, color, smoke, outcome string) {
	if rel := s.Release; rel != nil {
		version, color = rel.AppRef, string(rel.Target)
		outcome = string(rel.Phase)
		if rel.Phase == record.PhaseDone {
			outcome = string(rel.Outcome)
		}
		if rel.Message != "" {
			outcome += ": " + rel.Message
		}
	}
	for _, e := range s.Entries {
		if e.Version != "" {
			version = e.Version
		}
		if e.Action == "smoke" {
			smoke = strings.TrimSpace(smokeWord(e.Outcome) + " " + e.Message)
		}
	}
	if s.Release == nil {
		outcome = "no release (nothing shifted)"
	}
	return version, color, smoke, outcome
}

func smokeWord(o record.Outcome) string {
	switch o {
	case record.OutcomeSucceeded:
		return "passed:"
	case "":
		return ""
	}
	return string(o) + ":"
}

// entryDetails is one history entry as text: version, weights, steps, outcome, message,
// and who wrote it when that is not this run.
func entryDetails(e record.Entry, self string) string {
	var parts []string
	if e.Version != "" {
		parts = append(parts, "version "+e.Version)
	}
	switch {
	case e.From != nil && e.To != nil:
		parts = append(parts, fmt.Sprintf("%s -> %s", e.From, e.To))
	case e.From != nil:
		parts = append(parts, fmt.Sprintf("from %s", e.From))
	case e.To != nil:
		parts = append(parts, fmt.Sprintf("-> %s", e.To))
	}
	if len(e.Steps) > 0 {
		parts = append(parts, fmt.Sprintf("steps %v", e.Steps))
	}
	if e.Outcome != "" {
		parts = append(parts, string(e.Outcome))
	}
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if self == "" || !strings.Contains(e.Who, "run "+self+")") {
		parts = append(parts, "by "+e.Who)
	}
	return strings.Join(parts, "; ")
}

// mdCell keeps text inside one Markdown table cell: no line breaks, pipes escaped.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
