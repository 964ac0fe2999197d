// Package dotnet knows which .NET the web API needs and where to get it: the pinned
// release metadata of each channel this repository can install (channels.json, refreshed
// by `go run ./scripts/dotnetmeta`), the app's target frameworks read from its project
// file and Directory.Build.props at a commit, the channel chosen from them, and whether
// that channel is past its end of support. It imports nothing of Pulumi.
package dotnet

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ChannelsFile is where the pinned metadata lives in the repository.
const ChannelsFile = "internal/dotnet/channels.json"

//go:embed channels.json
var channelsJSON []byte

// DateLayout is how release metadata writes dates.
const DateLayout = "2006-01-02"

// Download is one installer: where it is and the SHA-512 Microsoft publishes for it.
type Download struct {
	Version string `json:"version,omitempty"` // the SDK's own version (the Hosting Bundle's is the channel's latestVersion)
	URL     string `json:"url"`
	SHA512  string `json:"sha512"`
}

// Channel is one .NET channel (8.0, 9.0, 10.0, …) as Microsoft's release metadata
// describes its latest release.
type Channel struct {
	Channel       string   `json:"channel"`
	LatestVersion string   `json:"latestVersion"` // the runtime and Hosting Bundle version
	ReleaseDate   string   `json:"releaseDate"`
	ReleaseType   string   `json:"releaseType"`  // lts | sts
	SupportPhase  string   `json:"supportPhase"` // preview | go-live | active | maintenance | eol
	EndOfSupport  string   `json:"endOfSupport"` // YYYY-MM-DD
	HostingBundle Download `json:"hostingBundle"`
	SDK           Download `json:"sdk"`
	Source        string   `json:"source,omitempty"`
}

// Catalog is the content of channels.json.
type Catalog struct {
	Comment  string    `json:"comment,omitempty"`
	Channels []Channel `json:"channels"`
}

var (
	channelPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	sha512Pattern  = regexp.MustCompile(`^[0-9a-f]{128}$`)
)

// DownloadHost is the only host installers are taken from (the dotnet builds host; the
// older azureedge host is being retired).
const DownloadHost = "https://builds.dotnet.microsoft.com/"

// Pinned is the catalog shipped in the repository.
func Pinned() (Catalog, error) {
	c, err := ParseCatalog(channelsJSON)
	if err != nil {
		return Catalog{}, fmt.Errorf("%s: %w", ChannelsFile, err)
	}
	return c, nil
}

// ParseCatalog reads and checks a channels.json: every channel complete, its versions
// in the channel, installers on the dotnet builds host with a 128-hex SHA-512, dates as
// YYYY-MM-DD, each channel once.
func ParseCatalog(data []byte) (Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Catalog{}, fmt.Errorf("parsing the channel metadata: %w", err)
	}
	if len(c.Channels) == 0 {
		return Catalog{}, errors.New("the channel metadata lists no channel")
	}
	seen := map[string]bool{}
	var errs []error
	for _, ch := range c.Channels {
		if seen[ch.Channel] {
			errs = append(errs, fmt.Errorf("channel %s is listed twice", ch.Channel))
		}
		seen[ch.Channel] = true
		errs = append(errs, ch.Validate())
	}
	return c, errors.Join(errs...)
}

// Validate checks one channel's entry; every problem is named.
func (ch Channel) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("channel %s: "+format, append([]any{ch.Channel}, a...)...))
	}
	if !channelPattern.MatchString(ch.Channel) {
		bad("the channel must be major.minor such as 10.0")
	}
	for what, v := range map[string]string{"latestVersion": ch.LatestVersion, "sdk.version": ch.SDK.Version} {
		if !versionPattern.MatchString(v) || !strings.HasPrefix(v, ch.Channel+".") {
			bad("%s %q is not a %s.x version", what, v, ch.Channel)
		}
	}
	for what, v := range map[string]string{"releaseDate": ch.ReleaseDate, "endOfSupport": ch.EndOfSupport} {
		if _, err := time.Parse(DateLayout, v); err != nil {
			bad("%s %q is not a YYYY-MM-DD date", what, v)
		}
	}
	for what, d := range map[string]Download{"hostingBundle": ch.HostingBundle, "sdk": ch.SDK} {
		if !strings.HasPrefix(d.URL, DownloadHost) || !strings.HasSuffix(d.URL, ".exe") {
			bad("%s url %q is not an installer on %s", what, d.URL, DownloadHost)
		}
		if !sha512Pattern.MatchString(d.SHA512) {
			bad("%s sha512 must be 128 lowercase hex digits", what)
		}
	}
	if !strings.Contains(ch.HostingBundle.URL, "/dotnet-hosting-"+ch.LatestVersion+"-win.exe") {
		bad("hostingBundle url %q is not the Hosting Bundle %s", ch.HostingBundle.URL, ch.LatestVersion)
	}
	if !strings.Contains(ch.SDK.URL, "/dotnet-sdk-"+ch.SDK.Version+"-win-x64.exe") {
		bad("sdk url %q is not the x64 SDK %s", ch.SDK.URL, ch.SDK.Version)
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// Names lists the catalog's channels, newest first.
func (c Catalog) Names() []string {
	var out []string
	for _, ch := range c.Channels {
		out = append(out, ch.Channel)
	}
	slices.SortFunc(out, func(a, b string) int { return CompareChannels(b, a) })
	return out
}

// Lookup finds a channel. A channel this repository has no metadata for (never pinned,
// or left out because no SHA-512 was published for its installers) is an error naming
// the ones it has.
func (c Catalog) Lookup(name string) (Channel, error) {
	for _, ch := range c.Channels {
		if ch.Channel == name {
			return ch, nil
		}
	}
	return Channel{}, fmt.Errorf(".NET channel %s is not in %s (it has %s): refresh it with `go run ./scripts/dotnetmeta -channels %s`",
		name, ChannelsFile, strings.Join(c.Names(), ", "), strings.Join(append(c.Names(), name), ","))
}

// CompareChannels orders "major.minor" channels numerically (9.0 < 10.0).
func CompareChannels(a, b string) int {
	am, an := splitChannel(a)
	bm, bn := splitChannel(b)
	if am != bm {
		return am - bm
	}
	return an - bn
}

func splitChannel(s string) (int, int) {
	maj, min, _ := strings.Cut(s, ".")
	x, _ := strconv.Atoi(maj)
	y, _ := strconv.Atoi(min)
	return x, y
}

// EndOfSupportDate is the channel's end-of-support date (midnight UTC).
func (ch Channel) EndOfSupportDate() time.Time {
	t, _ := time.Parse(DateLayout, ch.EndOfSupport) // checked by Validate
	return t
}

// Unsupported says whether the channel is past its end of support on the day of now:
// Microsoft's last patch ships on the end-of-support date, so that day still counts.
func (ch Channel) Unsupported(now time.Time) bool {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return day.After(ch.EndOfSupportDate())
}

// SupportWarning is what the preview, the bake log and the PR comment say about a
// channel past its end of support; empty while it is supported.
func (ch Channel) SupportWarning(now time.Time) string {
	if !ch.Unsupported(now) {
		return ""
	}
	return fmt.Sprintf(".NET %s reached end of support on %s: images baked with it (runtime %s) get no more security fixes. "+
		"Move the app to a supported channel (see README, Images: moving the app to .NET 10); "+
		"set webapi:allowUnsupportedRuntime to false to refuse such bakes", ch.Channel, ch.EndOfSupport, ch.LatestVersion)
}
