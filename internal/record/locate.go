package record

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// StoreEnv names the environment variable that says where the release record lives,
// overriding the location derived from the Pulumi backend.
const StoreEnv = "WEBAPI_RELEASE_STORE"

// recordDir is where, under a file or S3 backend's root, the record lives: beside
// Pulumi's own .pulumi directory, in a directory of our own.
const recordDir = ".webapi/release/webapi"

// Location is where the release record lives: a directory of generations (Dir) or one S3
// object (Bucket, Key, Region).
type Location struct {
	Dir    string
	Bucket string
	Key    string
	Region string
	// Profile is the shared-config profile an s3:// URL names (?profile=…), as Pulumi's
	// backend URLs may.
	Profile string
	// From says how it was chosen, for messages ("WEBAPI_RELEASE_STORE" or "backend").
	From string
}

func (l Location) String() string {
	if l.Dir != "" {
		return "file://" + filepath.ToSlash(l.Dir)
	}
	s := "s3://" + l.Bucket + "/" + l.Key
	if l.Region != "" {
		s += "?region=" + url.QueryEscape(l.Region)
	}
	return s
}

// Locate says where the release record lives. WEBAPI_RELEASE_STORE (releaseStore: an
// s3://bucket/key?region=… object or a file://dir directory) wins; otherwise it sits
// under the Pulumi backend's root, as Pulumi's DIY backend reads the URL
// (pkg/backend/diy: file:// paths may start with ~ and are made absolute; an s3:// path
// is a key prefix inside the bucket): <root>/.webapi/release/webapi. A Pulumi Cloud
// backend (https://…, or empty for the default) has no place for it: set the variable.
func Locate(backendURL, releaseStore string) (Location, error) {
	if releaseStore != "" {
		loc, err := parseStoreURL(releaseStore, false)
		if err != nil {
			return Location{}, fmt.Errorf("%s=%q: %w", StoreEnv, releaseStore, err)
		}
		loc.From = StoreEnv
		return loc, nil
	}
	switch {
	case backendURL == "" || strings.HasPrefix(backendURL, "https://") || strings.HasPrefix(backendURL, "http://"):
		name := backendURL
		if name == "" {
			name = "the default Pulumi Cloud"
		}
		return Location{}, fmt.Errorf("the Pulumi backend is %s, which has no place for the release record: set %s to s3://bucket/key?region=… or file:///dir", name, StoreEnv)
	}
	loc, err := parseStoreURL(backendURL, true)
	if err != nil {
		return Location{}, fmt.Errorf("Pulumi backend %q: %w (or set %s)", backendURL, err, StoreEnv)
	}
	loc.From = "backend"
	return loc, nil
}

// parseStoreURL reads a file:// or s3:// URL; under a backend root the record goes to
// recordDir inside it, otherwise the URL names the record itself.
func parseStoreURL(raw string, backendRoot bool) (Location, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Location{}, fmt.Errorf("not a URL: want s3://bucket/key?region=… or file:///dir")
	}
	switch scheme {
	case "file":
		dir, err := filePath(rest)
		if err != nil {
			return Location{}, err
		}
		if backendRoot {
			dir = filepath.Join(dir, filepath.FromSlash(recordDir))
		}
		return Location{Dir: dir}, nil
	case "s3":
		return parseS3(raw, backendRoot)
	}
	return Location{}, fmt.Errorf("scheme %q is not supported: want s3:// or file://", scheme)
}

// filePath turns the part after file:// into an absolute directory the way Pulumi's DIY
// backend does: ~ is the home directory, a query (?no_tmp_dir=…) is not part of the path.
func filePath(rest string) (string, error) {
	p, _, _ := strings.Cut(rest, "?")
	if p == "" {
		return "", fmt.Errorf("no directory after file://")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("resolving ~: %w", err)
		}
		p = filepath.Join(home, strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/"))
	}
	// file:///C:/dir leaves /C:/dir on Windows.
	if os.PathSeparator != '/' && strings.HasPrefix(p, "/") && filepath.VolumeName(p[1:]) != "" {
		p = p[1:]
	}
	abs, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", p, err)
	}
	return abs, nil
}

func parseS3(raw string, backendRoot bool) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, err
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("no bucket: want s3://bucket/key?region=…")
	}
	key := strings.Trim(u.Path, "/")
	if backendRoot {
		key = path.Join(key, recordDir+".json")
	} else if key == "" || strings.HasSuffix(u.Path, "/") {
		key = path.Join(key, "webapi.json")
	}
	for k := range u.Query() {
		if k != "region" && k != "awssdk" && k != "profile" {
			return Location{}, fmt.Errorf("query parameter %q is not supported (region, profile)", k)
		}
	}
	q := u.Query()
	return Location{Bucket: u.Host, Key: key, Region: q.Get("region"), Profile: q.Get("profile")}, nil
}

// Open returns the store at loc: a FileStore, or an S3Store with the default AWS
// credential chain in loc's region (or the environment's).
func Open(ctx context.Context, loc Location) (Store, error) {
	if loc.Dir != "" {
		return NewFileStore(loc.Dir), nil
	}
	var opts []func(*config.LoadOptions) error
	if loc.Region != "" {
		opts = append(opts, config.WithRegion(loc.Region))
	}
	if loc.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(loc.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for the release record %s: %w", loc, err)
	}
	return &S3Store{Client: s3.NewFromConfig(cfg), Bucket: loc.Bucket, Key: loc.Key}, nil
}
