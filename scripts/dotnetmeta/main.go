// Command dotnetmeta refreshes the pinned .NET release metadata the image bakes install
// from (internal/dotnet/channels.json): for each channel, the latest release's Hosting
// Bundle and x64 SDK with the SHA-512 Microsoft publishes, its support phase and its
// end-of-support date, read from releases-index.json and <channel>/releases.json.
//
//	go run ./scripts/dotnetmeta                    refresh the channels the file has
//	go run ./scripts/dotnetmeta -channels 10.0,11.0
//
// A channel without a published SHA-512 is left out and named on stderr (the bake then
// refuses it). Review the diff and commit it: a new version re-bakes both image stages.
// Exit codes: 0 written, 1 the metadata could not be read or written, 2 bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/webapi-platform/infra/internal/dotnet"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stderr, http.DefaultClient))
}

func run(ctx context.Context, args []string, stderr io.Writer, client *http.Client) int {
	fs := flag.NewFlagSet("dotnetmeta", flag.ContinueOnError)
	fs.SetOutput(stderr)
	channels := fs.String("channels", "", "comma-separated channels, e.g. 10.0,9.0 (default: the channels the file has)")
	out := fs.String("out", dotnet.ChannelsFile, "file to write")
	base := fs.String("base", dotnet.MetadataBase, "release metadata base URL")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dotnetmeta: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	names, err := channelNames(*channels)
	if err != nil {
		fmt.Fprintf(stderr, "dotnetmeta: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	catalog, skipped, err := dotnet.Refresh(ctx, client, strings.TrimRight(*base, "/"), names)
	for _, s := range skipped {
		fmt.Fprintf(stderr, "dotnetmeta: left out %s\n", s)
	}
	if err == nil && len(catalog.Channels) == 0 {
		err = fmt.Errorf("no channel left to write")
	}
	var data []byte
	if err == nil {
		data, err = dotnet.MarshalCatalog(catalog)
	}
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dotnetmeta: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "dotnetmeta: wrote %s (%s)\n", *out, strings.Join(catalog.Names(), ", "))
	return 0
}

// channelNames is the -channels list, or the channels of the pinned file.
func channelNames(flagValue string) ([]string, error) {
	if flagValue == "" {
		pinned, err := dotnet.Pinned()
		if err != nil {
			return nil, err
		}
		return pinned.Names(), nil
	}
	var out []string
	for _, c := range strings.Split(flagValue, ",") {
		c = strings.TrimSpace(c)
		if _, ok := dotnet.ChannelOf("net" + c); !ok {
			return nil, fmt.Errorf("channel %q is not allowed: want major.minor such as 10.0", c)
		}
		out = append(out, c)
	}
	return out, nil
}
