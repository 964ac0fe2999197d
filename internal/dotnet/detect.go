package dotnet

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Tree is the app's repository at one commit.
type Tree interface {
	// Read returns a file's content; ok is false when no such file exists at the commit.
	Read(file string) (content []byte, ok bool, err error)
	// List returns the names of the files directly inside dir ("" is the root).
	List(dir string) ([]string, error)
}

// Detection is what the app's project says about its target frameworks.
type Detection struct {
	Project    string   // the project file read
	Props      []string // the Directory.Build.props files applied, outermost first
	Frameworks []string // as the project evaluates them, in its order
}

// projectExtensions are the project files `dotnet publish <dir>` builds.
var projectExtensions = []string{".csproj", ".fsproj", ".vbproj"}

// PropsFile is the file MSBuild imports from the project's folder or the nearest folder
// above it (Microsoft.Common.props, ImportDirectoryBuildProps).
const PropsFile = "Directory.Build.props"

// Detect reads the target frameworks of appProject (webapi:appProject: a project file,
// or a folder holding exactly one, "" for the repository root) and of the
// Directory.Build.props files MSBuild would import for it.
func Detect(t Tree, appProject string) (Detection, error) {
	project, err := findProject(t, appProject)
	if err != nil {
		return Detection{}, err
	}
	content, ok, err := t.Read(project)
	if err != nil {
		return Detection{}, err
	}
	if !ok {
		return Detection{}, fmt.Errorf("webapi:appProject: %s does not exist at this commit", project)
	}
	props, err := ImportChain(t, path.Dir(project))
	if err != nil {
		return Detection{}, err
	}
	tfms, err := TargetFrameworks(ProjectFile{Path: project, Content: content}, props)
	if err != nil {
		return Detection{}, err
	}
	d := Detection{Project: project, Frameworks: tfms}
	for _, p := range props {
		d.Props = append(d.Props, p.Path)
	}
	return d, nil
}

// findProject is the project file appProject names: itself when it is one, else the one
// project file in that folder (dotnet publish refuses a folder with several).
func findProject(t Tree, appProject string) (string, error) {
	appProject = strings.Trim(appProject, "/")
	if slices.Contains(projectExtensions, strings.ToLower(path.Ext(appProject))) {
		return appProject, nil
	}
	names, err := t.List(appProject)
	if err != nil {
		return "", err
	}
	var found []string
	for _, n := range names {
		if slices.Contains(projectExtensions, strings.ToLower(path.Ext(n))) {
			found = append(found, path.Join(appProject, n))
		}
	}
	where := cmpOr(appProject, "the repository root")
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("webapi:appProject: %s holds no project file (%s); set webapi:appProject to the project to publish",
			where, strings.Join(projectExtensions, ", "))
	}
	slices.Sort(found)
	return "", fmt.Errorf("webapi:appProject: %s holds several project files (%s); set webapi:appProject to the one to publish",
		where, strings.Join(found, ", "))
}

func cmpOr(s, fallback string) string {
	if s == "" || s == "." {
		return fallback
	}
	return s
}

// ImportChain lists the Directory.Build.props files MSBuild imports for a project in
// dir, outermost first: the nearest one in dir or above, then, for as long as the file
// imports a Directory.Build.props itself (the documented
// $([MSBuild]::GetPathOfFileAbove('Directory.Build.props', ...)) pattern), the nearest
// one above it.
func ImportChain(t Tree, dir string) ([]ProjectFile, error) {
	var nearestFirst []ProjectFile
	for d, more := cleanDir(dir), true; more; {
		f, found, err := nearestProps(t, d)
		if err != nil || !found {
			if err != nil {
				return nil, err
			}
			break
		}
		nearestFirst = append(nearestFirst, f)
		imports, err := importsParentProps(f)
		if err != nil {
			return nil, err
		}
		fileDir := path.Dir(f.Path)
		if !imports || fileDir == "." {
			break
		}
		d, more = parentDir(fileDir)
	}
	slices.Reverse(nearestFirst)
	return nearestFirst, nil
}

// nearestProps finds Directory.Build.props in dir or the nearest folder above it.
func nearestProps(t Tree, dir string) (ProjectFile, bool, error) {
	for d, more := dir, true; more; d, more = parentDir(d) {
		p := path.Join(d, PropsFile)
		content, ok, err := t.Read(p)
		if err != nil {
			return ProjectFile{}, false, err
		}
		if ok {
			return ProjectFile{Path: p, Content: content}, true, nil
		}
	}
	return ProjectFile{}, false, nil
}

func cleanDir(dir string) string {
	dir = path.Clean(strings.Trim(dir, "/"))
	if dir == "" {
		return "."
	}
	return dir
}

// parentDir is dir's parent; more is false once dir is the root.
func parentDir(dir string) (parent string, more bool) {
	if dir == "." || dir == "" {
		return ".", false
	}
	return path.Dir(dir), true
}

// importsParentProps says whether a Directory.Build.props imports another one.
func importsParentProps(f ProjectFile) (bool, error) {
	dec := xml.NewDecoder(bytes.NewReader(f.Content))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s is not well-formed XML: %w", f.Path, err)
		}
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "Import" {
			for _, a := range e.Attr {
				if a.Name.Local == "Project" && strings.Contains(strings.ToLower(a.Value), strings.ToLower(PropsFile)) {
					return true, nil
				}
			}
		}
	}
}
