package dotnet

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metadataServer serves a releases-index.json and each channel's releases.json in
// Microsoft's shapes (field names as in dotnet/core release-notes), built from entries.
func metadataServer(t *testing.T, entries map[string]Channel, withoutHash string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var index []map[string]any
	for name, ch := range entries {
		index = append(index, map[string]any{
			"channel-version": name, "latest-release": ch.LatestVersion, "support-phase": ch.SupportPhase,
			"release-type": ch.ReleaseType, "eol-date": ch.EndOfSupport, "releases.json": srv.URL + "/" + name + "/releases.json",
		})
		bundleHash := ch.HostingBundle.SHA512
		if name == withoutHash {
			bundleHash = ""
		}
		releases := map[string]any{
			"channel-version": name, "latest-release": ch.LatestVersion, "support-phase": ch.SupportPhase,
			"releases": []any{
				map[string]any{
					"release-date": ch.ReleaseDate, "release-version": ch.LatestVersion,
					"sdk": map[string]any{"version": ch.SDK.Version, "files": []any{
						map[string]any{"name": "dotnet-sdk-linux-x64.tar.gz", "url": "https://builds.dotnet.microsoft.com/x.tar.gz", "hash": "00"},
						map[string]any{"name": "dotnet-sdk-win-x64.exe", "rid": "win-x64", "url": ch.SDK.URL, "hash": ch.SDK.SHA512},
					}},
					"aspnetcore-runtime": map[string]any{"version": ch.LatestVersion, "files": []any{
						map[string]any{"name": "dotnet-hosting-win.exe", "rid": "", "url": ch.HostingBundle.URL, "hash": bundleHash},
					}},
				},
				map[string]any{"release-date": "2020-01-01", "release-version": name + ".0"},
			},
		}
		mux.HandleFunc("/"+name+"/releases.json", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(releases) })
	}
	mux.HandleFunc("/releases-index.json", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"releases-index": index})
	})
	return srv
}

// Refreshing from metadata that says what the pinned file says gives the pinned file
// back (but for where it was read): the command and the file agree on every field.
func TestRefreshRebuildsThePinnedEntries(t *testing.T) {
	pinned, err := Pinned()
	require.NoError(t, err)
	entries := map[string]Channel{}
	for _, ch := range pinned.Channels {
		entries[ch.Channel] = ch
	}
	srv := metadataServer(t, entries, "")
	got, skipped, err := Refresh(context.Background(), srv.Client(), srv.URL, []string{"8.0", "10.0", "9.0"})
	require.NoError(t, err)
	assert.Empty(t, skipped)
	require.Len(t, got.Channels, 3)
	for i, ch := range got.Channels {
		want := pinned.Channels[i]
		assert.Equal(t, srv.URL+"/"+want.Channel+"/releases.json", ch.Source)
		ch.Source, want.Source = "", ""
		assert.Equal(t, want, ch)
	}
	b, err := MarshalCatalog(got)
	require.NoError(t, err)
	_, err = ParseCatalog(b)
	assert.NoError(t, err, "what the command writes, the bake reads")
}

// A channel without a published SHA-512 is left out (and named), never written with an
// invented or empty checksum; a channel the index does not list likewise.
func TestRefreshLeavesOutChannelsWithoutAChecksum(t *testing.T) {
	pinned, err := Pinned()
	require.NoError(t, err)
	ten, _ := pinned.Lookup("10.0")
	nine, _ := pinned.Lookup("9.0")
	srv := metadataServer(t, map[string]Channel{"10.0": ten, "9.0": nine}, "9.0")
	got, skipped, err := Refresh(context.Background(), srv.Client(), srv.URL, []string{"10.0", "9.0", "7.0"})
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0"}, got.Names())
	assert.Equal(t, []string{
		"9.0: release 9.0.20 lists no Hosting Bundle or x64 SDK installer with a SHA-512",
		"7.0: not in releases-index.json",
	}, skipped)

	_, _, err = Refresh(context.Background(), srv.Client(), srv.URL+"/missing", []string{"10.0"})
	assert.ErrorContains(t, err, "GET "+srv.URL+"/missing/releases-index.json: 404 Not Found")
}
