package bake

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake/baketest"
)

func TestSupportWarning(t *testing.T) {
	env := func(channel, eol string) func(string) string {
		return func(k string) string {
			return map[string]string{EnvDotnetChannel: channel, EnvDotnetEndOfSupport: eol}[k]
		}
	}
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		require.NoError(t, err)
		return d.Add(13 * time.Hour)
	}
	assert.Empty(t, SupportWarning(env("8.0", "2026-11-10"), day("2026-11-10")), "the last day is still supported")
	assert.Equal(t, "WARNING: .NET 8.0 reached end of support on 2026-11-10; this image installs a runtime that gets no more security fixes (move the app to a supported channel: README, Images)",
		SupportWarning(env("8.0", "2026-11-10"), day("2026-11-29")))
	assert.Empty(t, SupportWarning(env("10.0", "2028-11-14"), day("2026-11-29")))
	assert.Empty(t, SupportWarning(env("", ""), day("2026-11-29")), "the app stage installs no .NET")
	assert.Contains(t, SupportWarning(env("8.0", "soon"), day("2026-11-29")), `"soon" is not a date`)
}

// The bake log says so: in the update's output and at the top of the stage's log file.
func TestBuildLogsAnUnsupportedChannel(t *testing.T) {
	opts, log := buildOptions(t, baketest.FakePacker(t, baketest.GoodBuild), map[string]string{
		EnvDotnetChannel: "8.0", EnvDotnetEndOfSupport: "2026-11-10",
	})
	opts.Now = func() time.Time { return time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC) }
	_, err := Build(context.Background(), opts)
	require.NoError(t, err, log.String())
	assert.Contains(t, log.String(), "bake prerequisites: WARNING: .NET 8.0 reached end of support on 2026-11-10")
	logs, err := filepath.Glob(filepath.Join(opts.WorkDir, ".bake", "logs", "blue-prerequisites-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	b, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), "WARNING: .NET 8.0 reached end of support")

	opts, log = buildOptions(t, baketest.FakePacker(t, baketest.GoodBuild), map[string]string{
		EnvDotnetChannel: "8.0", EnvDotnetEndOfSupport: "2026-11-10",
	})
	opts.Now = func() time.Time { return time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC) }
	_, err = Build(context.Background(), opts)
	require.NoError(t, err)
	assert.NotContains(t, log.String(), "WARNING")
}
