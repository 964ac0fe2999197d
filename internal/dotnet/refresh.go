package dotnet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// MetadataBase is where Microsoft publishes the release metadata (releases-index.json,
// then <channel>/releases.json).
const MetadataBase = "https://builds.dotnet.microsoft.com/dotnet/release-metadata"

// The parts of releases-index.json and releases.json that the catalog is made from.
type releasesIndex struct {
	Index []indexEntry `json:"releases-index"`
}

type indexEntry struct {
	Channel      string `json:"channel-version"`
	SupportPhase string `json:"support-phase"`
	ReleaseType  string `json:"release-type"`
	EOLDate      string `json:"eol-date"`
	ReleasesJSON string `json:"releases.json"`
}

type releaseFile struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	Hash string `json:"hash"`
}

type channelReleases struct {
	Channel       string `json:"channel-version"`
	LatestRelease string `json:"latest-release"`
	SupportPhase  string `json:"support-phase"`
	EOLDate       string `json:"eol-date"`
	Releases      []struct {
		ReleaseDate    string `json:"release-date"`
		ReleaseVersion string `json:"release-version"`
		SDK            struct {
			Version string        `json:"version"`
			Files   []releaseFile `json:"files"`
		} `json:"sdk"`
		AspNetCore struct {
			Files []releaseFile `json:"files"`
		} `json:"aspnetcore-runtime"`
	} `json:"releases"`
}

// Refresh builds a catalog of channels from the release metadata under base (MetadataBase,
// or a test server). A channel whose installers carry no SHA-512, or that the index does
// not list, is left out and named in skipped: the bake refuses a channel it has no
// checksum for.
func Refresh(ctx context.Context, client *http.Client, base string, channels []string) (c Catalog, skipped []string, err error) {
	var index releasesIndex
	if err := getJSON(ctx, client, base+"/releases-index.json", &index); err != nil {
		return Catalog{}, nil, err
	}
	for _, name := range channels {
		i := slices.IndexFunc(index.Index, func(e indexEntry) bool { return e.Channel == name })
		if i < 0 {
			skipped = append(skipped, fmt.Sprintf("%s: not in releases-index.json", name))
			continue
		}
		entry := index.Index[i]
		var rel channelReleases
		if err := getJSON(ctx, client, cmp.Or(entry.ReleasesJSON, base+"/"+name+"/releases.json"), &rel); err != nil {
			return Catalog{}, nil, err
		}
		ch, why := channelFrom(rel, entry.ReleaseType, cmp.Or(entry.SupportPhase, rel.SupportPhase), cmp.Or(entry.EOLDate, rel.EOLDate))
		if why != "" {
			skipped = append(skipped, name+": "+why)
			continue
		}
		ch.Source = cmp.Or(entry.ReleasesJSON, base+"/"+name+"/releases.json")
		c.Channels = append(c.Channels, ch)
	}
	slices.SortFunc(c.Channels, func(a, b Channel) int { return CompareChannels(b.Channel, a.Channel) })
	c.Comment = catalogComment
	return c, skipped, nil
}

const catalogComment = "Pinned .NET release metadata, one entry per channel this repository can install. Written by `go run ./scripts/dotnetmeta` from Microsoft's release metadata (https://builds.dotnet.microsoft.com/dotnet/release-metadata/releases-index.json and <channel>/releases.json); edit only through that command."

// channelFrom picks the channel's latest release, its Hosting Bundle and x64 SDK
// installer; why says what is missing.
func channelFrom(rel channelReleases, releaseType, phase, eol string) (Channel, string) {
	for _, r := range rel.Releases {
		if r.ReleaseVersion != rel.LatestRelease {
			continue
		}
		bundle, okBundle := fileNamed(r.AspNetCore.Files, "dotnet-hosting-win.exe")
		sdk, okSDK := fileNamed(r.SDK.Files, "dotnet-sdk-win-x64.exe")
		if !okBundle || !okSDK || bundle.Hash == "" || sdk.Hash == "" {
			return Channel{}, fmt.Sprintf("release %s lists no Hosting Bundle or x64 SDK installer with a SHA-512", r.ReleaseVersion)
		}
		ch := Channel{
			Channel: rel.Channel, LatestVersion: r.ReleaseVersion, ReleaseDate: r.ReleaseDate,
			ReleaseType: releaseType, SupportPhase: phase, EndOfSupport: eol,
			HostingBundle: Download{URL: bundle.URL, SHA512: strings.ToLower(bundle.Hash)},
			SDK:           Download{Version: r.SDK.Version, URL: sdk.URL, SHA512: strings.ToLower(sdk.Hash)},
		}
		if err := ch.Validate(); err != nil {
			return Channel{}, err.Error()
		}
		return ch, ""
	}
	return Channel{}, fmt.Sprintf("latest-release %q is not among its releases", rel.LatestRelease)
}

func fileNamed(files []releaseFile, name string) (releaseFile, bool) {
	i := slices.IndexFunc(files, func(f releaseFile) bool { return f.Name == name })
	if i < 0 {
		return releaseFile{}, false
	}
	return files[i], true
}

// MarshalCatalog is channels.json's content: indented, ending in a newline.
func MarshalCatalog(c Catalog) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the channel metadata: %w", err)
	}
	return append(b, '\n'), nil
}

func getJSON(ctx context.Context, client *http.Client, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
