package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// scriptedImages serves base images by Windows version.
type scriptedImages map[string][]release.BaseImage

func (s scriptedImages) WindowsBaseImages(_ context.Context, v string) ([]release.BaseImage, error) {
	return s[v], nil
}

// noEngine fails every call: the commands under test must not need one.
type noEngine struct{ release.Engine }

func baseAmiDeps(t *testing.T, out io.Writer, images release.Images, region *string) deps {
	return deps{out: out, clock: release.RealClock{},
		newEngine: func(string, io.Writer) (release.Engine, error) { return noEngine{}, nil },
		newHealth: func(context.Context, string) (release.Health, error) { return nil, errors.New("no AWS here") },
		newStore:  func(context.Context, release.Engine) (record.Store, error) { return nil, errors.New("no store here") },
		newImages: func(_ context.Context, r string) (release.Images, error) {
			*region = r
			return images, nil
		},
	}
}

// base-ami prints the newest image's id alone on stdout (for the scheduled refresh to
// pass to deploy --base-ami); none is a refusal.
func TestBaseAmiCommandPrintsTheNewestID(t *testing.T) {
	images := scriptedImages{"2025": {
		{ID: "ami-02025000000000001", Name: "Windows_Server-2025-English-Full-Base-2026.11.12", Created: time.Date(2026, 11, 12, 6, 0, 0, 0, time.UTC)},
		{ID: "ami-02025000000000002", Name: "Windows_Server-2025-English-Full-Base-2026.11.26", Created: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)},
	}}
	t.Chdir(t.TempDir()) // the tool changes to --workdir; this puts the test's back after
	var out, errOut bytes.Buffer
	var region string
	root := newRootCommand(baseAmiDeps(t, &out, images, &region))
	root.SetErr(&errOut)
	require.NoError(t, execute(context.Background(), root, []string{"base-ami", "--windows-version", "2025", "--region", "eu-west-1", "--workdir", projectWorkdir(t)}))
	assert.Equal(t, "ami-02025000000000002\n", out.String())
	assert.Contains(t, errOut.String(), "Windows_Server-2025-English-Full-Base-2026.11.26")
	assert.Equal(t, "eu-west-1", region)

	out.Reset()
	err := execute(context.Background(), newRootCommand(baseAmiDeps(t, &out, images, &region)), []string{"base-ami", "--windows-version", "2022", "--region", "eu-west-1", "--workdir", projectWorkdir(t)})
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "Windows_Server-2022-English-Full-Base-*")
	assert.Empty(t, out.String())
}

// Bad values exit 2 naming the flag, before anything is built.
func TestBaseAmiFlagsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"deploy", "green", "--base-ami", "ami-nope"}, `--base-ami "ami-nope"`},
		{[]string{"deploy", "green", "--base-ami", "i-0123456789abcdef0"}, `--base-ami "i-0123456789abcdef0"`},
		{[]string{"base-ami", "--windows-version", "2019"}, `--windows-version "2019": want 2022 or 2025`},
	} {
		t.Run(tc.args[0]+" "+tc.says, func(t *testing.T) {
			err := requireUsageError(t, tc.args)
			assert.ErrorContains(t, err, tc.says)
		})
	}
}

// driftHealth is a listener that serves green 100% while the edge stack's state says
// blue 100% (as after `rollback --direct`, until the next shift reconciles it).
type driftHealth struct{ release.Health }

func (driftHealth) ListenerWeights(context.Context, string) (map[string]int, error) {
	return map[string]int{"arn:tg/blue": 0, "arn:tg/green": 100}, nil
}

// M8: what the tool notes on the way (here look's drift line) goes to stderr, so
// `ami=$(bluegreen base-ami)` and `bluegreen summary > file` get the result alone.
func TestBaseAmiAndSummaryKeepNotesOffStdout(t *testing.T) {
	t.Chdir(testutil.RepoRoot())
	images := scriptedImages{"2022": {{ID: "ami-02022000000000001", Name: "Windows_Server-2022-English-Full-Base-2026.11.12", Created: time.Date(2026, 11, 12, 6, 0, 0, 0, time.UTC)}}}
	for _, tc := range []struct {
		args []string
		want func(t *testing.T, stdout string)
	}{
		{[]string{"base-ami", "--region", "eu-west-1"}, func(t *testing.T, stdout string) { assert.Equal(t, "ami-02022000000000001\n", stdout) }},
		{[]string{"summary", "--since", "2026-11-29T12:00:00Z"}, func(t *testing.T, stdout string) { assert.Contains(t, stdout, "#") }},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			progress := io.Writer(&bytes.Buffer{})
			d := statusDeps(t, &stdout, &progress)
			d.newHealth = func(context.Context, string) (release.Health, error) { return driftHealth{}, nil }
			d.newImages = func(context.Context, string) (release.Images, error) { return images, nil }
			root := newRootCommand(d)
			root.SetErr(&stderr)
			require.NoError(t, execute(context.Background(), root, tc.args))
			assert.Contains(t, stderr.String(), "drift: ", "the note is there, on stderr")
			assert.NotContains(t, stdout.String(), "drift: ")
			tc.want(t, stdout.String())
		})
	}
}
