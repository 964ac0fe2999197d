package dotnet

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pinned file is what every bake installs: well-formed, each installer a SHA-512
// from Microsoft's metadata (128 hex), dates that parse, versions inside their channel.
func TestPinnedCatalogIsWellFormed(t *testing.T) {
	c, err := Pinned()
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0", "9.0", "8.0"}, c.Names(), "the channels the issue asks for, newest first")
	for _, ch := range c.Channels {
		assert.Regexp(t, `^[0-9a-f]{128}$`, ch.HostingBundle.SHA512, ch.Channel)
		assert.Regexp(t, `^[0-9a-f]{128}$`, ch.SDK.SHA512, ch.Channel)
		assert.NotEqual(t, ch.HostingBundle.SHA512, ch.SDK.SHA512, ch.Channel)
		_, err := time.Parse(DateLayout, ch.EndOfSupport)
		assert.NoError(t, err, ch.Channel)
		assert.True(t, strings.HasPrefix(ch.LatestVersion, ch.Channel+"."), ch.Channel)
		assert.NotEmpty(t, ch.Source, "%s: where the values were read", ch.Channel)
	}
	// As the release metadata publishes them (releases-index.json eol-date).
	ten, err := c.Lookup("10.0")
	require.NoError(t, err)
	assert.Equal(t, "2028-11-14", ten.EndOfSupport)
	assert.Equal(t, "lts", ten.ReleaseType)
	eight, err := c.Lookup("8.0")
	require.NoError(t, err)
	assert.Equal(t, "2026-11-10", eight.EndOfSupport)
}

// The file in the repository is the one the package embeds.
func TestPinnedCatalogIsTheFileInTheRepository(t *testing.T) {
	b, err := os.ReadFile("channels.json")
	require.NoError(t, err)
	assert.Equal(t, string(channelsJSON), string(b))
}

func TestParseCatalogRefusesBadEntries(t *testing.T) {
	good := string(channelsJSON)
	for name, tc := range map[string]struct{ old, new, says string }{
		"short sha512":        {`"ccfb101f`, `"ccfb101`, "channel 10.0: hostingBundle sha512 must be 128 lowercase hex digits"},
		"upper-case sha512":   {`"ccfb101f`, `"CCFB101F`, "hostingBundle sha512 must be 128 lowercase hex digits"},
		"bad date":            {`"2028-11-14"`, `"14 Nov 2028"`, `channel 10.0: endOfSupport "14 Nov 2028" is not a YYYY-MM-DD date`},
		"version off channel": {`"latestVersion": "10.0.12"`, `"latestVersion": "9.0.12"`, `latestVersion "9.0.12" is not a 10.0.x version`},
		"other host":          {`https://builds.dotnet.microsoft.com/dotnet/aspnetcore/Runtime/10.0.12`, `https://example.com/dotnet/aspnetcore/Runtime/10.0.12`, "is not an installer on https://builds.dotnet.microsoft.com/"},
		"unknown field":       {`"releaseType": "lts",`, `"releaseType": "lts", "sha256": "x",`, `unknown field "sha256"`},
		"channel twice":       {`"channel": "9.0"`, `"channel": "10.0"`, "channel 10.0 is listed twice"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, good, tc.old, "the test's anchor is gone from channels.json")
			_, err := ParseCatalog([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
	_, err := ParseCatalog([]byte(`{"channels": []}`))
	assert.ErrorContains(t, err, "lists no channel")
}

func TestLookupNamesTheChannelsItHas(t *testing.T) {
	c, err := Pinned()
	require.NoError(t, err)
	_, err = c.Lookup("7.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), ".NET channel 7.0 is not in internal/dotnet/channels.json (it has 10.0, 9.0, 8.0)")
	assert.Contains(t, err.Error(), "go run ./scripts/dotnetmeta")
}

func TestCompareChannelsIsNumeric(t *testing.T) {
	assert.Positive(t, CompareChannels("10.0", "9.0"))
	assert.Negative(t, CompareChannels("8.0", "8.1"))
	assert.Zero(t, CompareChannels("10.0", "10.0"))
}

// The clock is an argument: the end-of-support day itself is still supported (its
// Patch Tuesday release is the last), the day after is not.
func TestUnsupportedAfterTheEndOfSupportDay(t *testing.T) {
	eight := Channel{Channel: "8.0", LatestVersion: "8.0.31", EndOfSupport: "2026-11-10"}
	day := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return d
	}
	for now, want := range map[string]bool{
		"2026-11-09T23:59:00Z": false,
		"2026-11-10T23:59:00Z": false,
		"2026-11-11T00:00:01Z": true,
		"2026-11-29T12:00:00Z": true, // the today
	} {
		assert.Equal(t, want, eight.Unsupported(day(now)), now)
	}
	assert.Empty(t, eight.SupportWarning(day("2026-11-01T00:00:00Z")))
	w := eight.SupportWarning(day("2026-11-29T00:00:00Z"))
	assert.Contains(t, w, ".NET 8.0 reached end of support on 2026-11-10")
	assert.Contains(t, w, "webapi:allowUnsupportedRuntime")
	assert.Contains(t, w, "moving the app to .NET 10")
}
