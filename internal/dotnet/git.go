package dotnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// GitTree is a repository at one commit, fetched into a cache with the machine's own git
// and its credentials (credential helpers, SSH keys): read-only, nothing is checked out.
type GitTree struct {
	dir    string // a bare repository holding the commit
	commit string
}

// FetchCommit makes the commit of repo readable: a bare repository under cacheRoot, one
// per repository and commit, with a shallow fetch of that commit alone. A host that
// refuses to fetch a commit by its id (uploadpack.allowAnySHA1InWant off) gets a full
// fetch of its branches and tags instead, as the app stage's clone does. A commit
// fetched before is not fetched again: a commit id names the same tree forever.
func FetchCommit(ctx context.Context, cacheRoot, repo, commit string) (*GitTree, error) {
	if !commitPattern.MatchString(commit) {
		return nil, fmt.Errorf("%q is not a full commit id", commit)
	}
	key := sha256.Sum256([]byte(repo + "\x00" + commit))
	dir := filepath.Join(cacheRoot, hex.EncodeToString(key[:])[:24])
	t := &GitTree{dir: dir, commit: commit}
	if _, err := t.git(ctx, "cat-file", "-e", commit+"^{commit}"); err == nil {
		return t, nil
	}
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		return nil, fmt.Errorf("git cache: %w", err)
	}
	// Fetched into a folder of its own, then renamed into place: two evaluations of the
	// same commit at once (blue and green) never see a half-fetched repository.
	tmp, err := os.MkdirTemp(cacheRoot, "fetch-")
	if err != nil {
		return nil, fmt.Errorf("git cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	fetching := &GitTree{dir: tmp, commit: commit}
	if err := fetching.fetch(ctx, repo, commit); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, fmt.Errorf("git cache: %w", err)
		}
		// Another evaluation put the same commit there first.
	}
	return t, nil
}

func (t *GitTree) fetch(ctx context.Context, repo, commit string) error {
	if _, err := t.git(ctx, "init", "--quiet", "--bare"); err != nil {
		return err
	}
	// "--" ends options: neither the URL nor the commit can be taken for one.
	_, shallowErr := t.git(ctx, "fetch", "--quiet", "--no-tags", "--depth", "1", "--", repo, commit)
	if shallowErr == nil {
		return nil
	}
	if _, err := t.git(ctx, "fetch", "--quiet", "--", repo, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"); err != nil {
		return fmt.Errorf("fetching commit %s of %s: %w (by id: %v)", commit, repo, err, shallowErr)
	}
	if _, err := t.git(ctx, "cat-file", "-e", commit+"^{commit}"); err != nil {
		return fmt.Errorf("commit %s is on no branch or tag of %s", commit, repo)
	}
	return nil
}

// Read returns the file at the commit.
func (t *GitTree) Read(file string) ([]byte, bool, error) {
	spec := t.commit + ":" + strings.TrimPrefix(file, "./")
	if _, err := t.git(context.Background(), "cat-file", "-e", spec); err != nil {
		return nil, false, nil
	}
	out, err := t.git(context.Background(), "cat-file", "blob", spec)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// List returns the names of the files directly inside dir at the commit.
func (t *GitTree) List(dir string) ([]string, error) {
	spec := t.commit
	if d := strings.Trim(dir, "/"); d != "" && d != "." {
		spec += ":" + d
	}
	out, err := t.git(context.Background(), "ls-tree", "-z", "--name-only", spec)
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", cmpOr(dir, "the repository root"), t.commit, err)
	}
	var names []string
	for _, n := range strings.Split(string(out), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// git runs git in the tree's repository. Prompts are off: an evaluation must fail, not
// wait for a password.
func (t *GitTree) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir", t.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ee := new(exec.ExitError); !errors.As(err, &ee) || msg == "" {
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}
