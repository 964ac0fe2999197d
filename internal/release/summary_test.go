package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// A release job: the history entries the job wrote (deploy, smoke, each step with its
// gate figures) become the timeline with the time each took; the headline names the
// version, colour, smoke result, outcome and live weights.
func TestSummaryOfAReleaseJob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	jobStart := f.clock.now
	require.NoError(t, record.AppendHistory(ctx, f.store, record.Entry{At: jobStart.Add(-time.Hour), Who: "alice@laptop-7 (pid 1, run alice@laptop-7)", Action: "deploy", Version: "old"}))
	f.clock.now = jobStart.Add(7 * time.Minute)
	f.r.note(ctx, record.Entry{Action: "deploy", Version: "v2", Message: "changed: true; waited 6m40s for 2 instances on the new version"})
	f.clock.now = f.clock.now.Add(30 * time.Second)
	f.r.note(ctx, record.Entry{Action: "smoke", Outcome: record.OutcomeSucceeded, Message: "40/40 2xx on /health, /api/version"})
	require.NoError(t, f.r.Shift(ctx, shiftToGreen(10, 100)))

	s, err := f.r.Summary(ctx, SummaryOptions{Since: jobStart})
	require.NoError(t, err)
	var actions []string
	for _, e := range s.Entries {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"deploy", "smoke", "release-start", "step-passed", "step-passed", "release-complete"}, actions, "the entries since the job began, and none before")
	md := RenderSummary(s)
	for _, want := range []string{
		"| Version | v2 |",
		"| Colour | green |",
		"| Smoke test | passed: 40/40 2xx on /health, /api/version |",
		"| Outcome | succeeded |",
		"| Live weights | blue 0% / green 100% (from the listener) |",
		"| green | v2 | ami-2 |",
		"| 12:07:00 | deploy | 7m0s | version v2; changed: true; waited 6m40s for 2 instances on the new version |",
		"| 12:07:30 | smoke | 30s | succeeded; 40/40",
		"| step-passed | 8m30s | version v2; -> blue 90% / green 10%; succeeded; step 1/2 green 10%: 6000 requests, 5xx 0.10%, worst p99 200ms, 6 minutes judged |",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "by runner@", "this run's own entries are not marked")
	assert.NotContains(t, md, "old", "entries before the job are left out")
}

// A push job deploys without a release: the summary says nothing shifted and shows what
// each colour runs; an entry by someone else is marked with who wrote it.
func TestSummaryOfAPushJob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	since := f.clock.now
	f.clock.now = since.Add(3 * time.Minute)
	f.r.note(ctx, record.Entry{Action: "deploy", Version: "v1", Message: "blue: changed: true; fleet deferred to the next release"})
	_, laptop := f.operator()
	require.NoError(t, laptop.Unlock(ctx, "stuck"))
	require.NoError(t, laptop.LeaseTake(ctx, time.Hour))
	require.NoError(t, laptop.Unlock(ctx, "stuck"))

	s, err := f.r.Summary(ctx, SummaryOptions{Since: since})
	require.NoError(t, err)
	md := RenderSummary(s)
	assert.Contains(t, md, "| Outcome | no release (nothing shifted) |")
	assert.Contains(t, md, "| Colour | - |")
	assert.Contains(t, md, "fleet deferred to the next release")
	assert.Contains(t, md, "by alice@laptop-7")
	assert.Contains(t, md, "| blue | v1 | ami-1 |")
}

func TestSummaryOfARelease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	f.r.note(ctx, record.Entry{Action: "deploy", Version: "v2"})
	f.clock.now = f.clock.now.Add(time.Minute)
	require.NoError(t, f.r.Shift(ctx, shiftToGreen(100)))
	id := f.store.load().Release.ID
	f.clock.now = f.clock.now.Add(time.Hour)
	f.r.note(ctx, record.Entry{Action: "deploy", Version: "v3"})

	s, err := f.r.Summary(ctx, SummaryOptions{Release: id})
	require.NoError(t, err)
	var actions []string
	for _, e := range s.Entries {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"release-start", "step-passed", "release-complete"}, actions, "the release's own entries, from its start to its end")

	_, err = f.r.Summary(ctx, SummaryOptions{Release: "r-nope"})
	assert.ErrorContains(t, err, "--release r-nope: the release record keeps only its last release (release "+id+")")
}

// What cannot be read is said, not fatal: the summary step runs whatever happened.
func TestSummaryWithoutAWSOrHistory(t *testing.T) {
	f := newFixture(0, infra.Blue)
	r := f.rerun()
	r.Health = nil
	s, err := r.Summary(context.Background(), SummaryOptions{Since: f.clock.now})
	require.NoError(t, err)
	md := RenderSummary(s)
	assert.Contains(t, md, "| Live weights | blue 100% / green 0% (from the edge stack's outputs (AWS not reachable)) |")
	assert.Contains(t, md, "Nothing was written to the release history since 2026-11-29T12:00:00Z.")

	r.Store = nil
	_, err = r.Summary(context.Background(), SummaryOptions{})
	assert.ErrorContains(t, err, "no release record store")
}

func TestMdCellKeepsOneCell(t *testing.T) {
	assert.Equal(t, `a \| b c`, mdCell("a | b\n  c"))
}
