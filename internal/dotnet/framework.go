package dotnet

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// ProjectFile is one MSBuild file read from the app's repository.
type ProjectFile struct {
	Path    string // relative to the repository root, '/'-separated
	Content []byte
}

// NoFrameworkError: neither the project nor any Directory.Build.props it imports sets
// TargetFramework or TargetFrameworks unconditionally.
type NoFrameworkError struct{ Files []string }

func (e *NoFrameworkError) Error() string {
	return fmt.Sprintf("no TargetFramework or TargetFrameworks is set (outside a Condition) in %s; "+
		"set one in the project file, or set webapi:dotnetChannel", strings.Join(e.Files, ", "))
}

// propertyRef is an MSBuild property reference, $(Name).
var propertyRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// TargetFrameworks evaluates the properties the SDK reads to pick the target frameworks.
// props are the Directory.Build.props files MSBuild imports before the project, outermost
// first (ImportChain). Later definitions win and $(Name) is expanded from earlier ones,
// as MSBuild's property evaluation does; properties or groups with a Condition are not
// evaluated (this is no MSBuild) and are skipped. TargetFramework wins over
// TargetFrameworks, as the SDK builds a single framework when TargetFramework is set.
func TargetFrameworks(project ProjectFile, props []ProjectFile) ([]string, error) {
	values := map[string]string{}
	var files []string
	for _, f := range append(slices.Clone(props), project) {
		files = append(files, f.Path)
		if err := evaluateProperties(f, values); err != nil {
			return nil, err
		}
	}
	if tf := strings.TrimSpace(values["targetframework"]); tf != "" {
		return []string{tf}, nil
	}
	var out []string
	for _, tf := range strings.Split(values["targetframeworks"], ";") {
		if tf = strings.TrimSpace(tf); tf != "" && !slices.Contains(out, tf) {
			out = append(out, tf)
		}
	}
	if len(out) == 0 {
		return nil, &NoFrameworkError{Files: files}
	}
	return out, nil
}

// evaluateProperties applies the unconditional <PropertyGroup> properties of one file to
// values (names are case-insensitive in MSBuild, so keys are lower case).
func evaluateProperties(f ProjectFile, values map[string]string) error {
	dec := xml.NewDecoder(bytes.NewReader(f.Content))
	var path []string // open elements
	skipDepth := 0    // >0: inside an element with a Condition
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s is not well-formed XML: %w", f.Path, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text.Reset()
			if skipDepth > 0 || hasCondition(t) {
				skipDepth++
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			isProperty := len(path) == 3 && path[0] == "Project" && path[1] == "PropertyGroup"
			if isProperty && skipDepth == 0 {
				values[strings.ToLower(t.Name.Local)] = expand(strings.TrimSpace(text.String()), values)
			}
			if skipDepth > 0 {
				skipDepth--
			}
			path = path[:len(path)-1]
		}
	}
}

func hasCondition(e xml.StartElement) bool {
	for _, a := range e.Attr {
		if strings.EqualFold(a.Name.Local, "Condition") && strings.TrimSpace(a.Value) != "" {
			return true
		}
	}
	return false
}

// expand replaces $(Name) with the value defined so far (empty when undefined, as in
// MSBuild).
func expand(s string, values map[string]string) string {
	return propertyRef.ReplaceAllStringFunc(s, func(ref string) string {
		return values[strings.ToLower(propertyRef.FindStringSubmatch(ref)[1])]
	})
}

// frameworkPattern: net5.0 and later (optionally with an OS suffix, net8.0-windows), and
// netcoreappX.Y. netstandard and .NET Framework monikers (net48: no dot) name no runtime
// channel.
var frameworkPattern = regexp.MustCompile(`^(?:net|netcoreapp)([0-9]+)\.([0-9]+)(?:-[A-Za-z0-9.]+)?$`)

// ChannelOf is the runtime channel a target framework moniker runs on (net10.0 → 10.0).
func ChannelOf(tfm string) (string, bool) {
	m := frameworkPattern.FindStringSubmatch(strings.ToLower(strings.TrimSpace(tfm)))
	if m == nil {
		return "", false
	}
	return m[1] + "." + m[2], true
}

// Choice is the runtime an image installs and the framework the app is published for.
type Choice struct {
	Channel   Channel
	Framework string // what `dotnet publish -f` builds
	// Frameworks are all the app targets (empty when webapi:dotnetChannel chose).
	Frameworks []string
}

// Choose picks the channel. With override (webapi:dotnetChannel) the channel is that
// one and the framework is net<channel> (no detection ran). Otherwise, of the frameworks
// the app targets, the one on the highest channel the catalog has.
func Choose(c Catalog, frameworks []string, override string) (Choice, error) {
	if override != "" {
		ch, err := c.Lookup(override)
		if err != nil {
			return Choice{}, err
		}
		return Choice{Channel: ch, Framework: "net" + ch.Channel}, nil
	}
	var best Choice
	for _, tf := range frameworks {
		name, ok := ChannelOf(tf)
		if !ok {
			continue
		}
		ch, err := c.Lookup(name)
		if err != nil {
			continue
		}
		if best.Framework == "" || CompareChannels(ch.Channel, best.Channel.Channel) > 0 {
			best = Choice{Channel: ch, Framework: tf}
		}
	}
	if best.Framework == "" {
		return Choice{}, fmt.Errorf("the app targets %s, and none of them runs on a channel %s pins (%s): "+
			"retarget the app, set webapi:dotnetChannel, or refresh the metadata with `go run ./scripts/dotnetmeta`",
			strings.Join(frameworks, ", "), ChannelsFile, strings.Join(c.Names(), ", "))
	}
	best.Frameworks = slices.Clone(frameworks)
	return best, nil
}
