package engine

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrNoProject says that no folder from the start up to the root holds a Pulumi.yaml.
var ErrNoProject = errors.New("no Pulumi.yaml here or above")

// FindProject walks up from dir to the first folder with a Pulumi.yaml: the work dir
// New wants, wherever in the repository the tool was started.
func FindProject(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoProject
		}
		dir = parent
	}
}
