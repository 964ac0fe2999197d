package bake

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ResolveCommit asks the repository which commit ref names (git ls-remote), so the app
// stage bakes, and tags its AMI with, exactly one commit. A full commit id is taken as is
// without asking.
func ResolveCommit(ctx context.Context, repo, ref string) (string, error) {
	if commitPattern.MatchString(ref) {
		return ref, nil
	}
	// "--" ends options: neither value can be taken for a git option.
	out, err := exec.CommandContext(ctx, "git", "ls-remote", "--", repo, ref, ref+"^{}").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-remote %s %s: %w", repo, ref, err)
	}
	return ResolveRef(string(out), ref)
}

// ResolveRef picks the commit a ref names from `git ls-remote <repo> <ref>` output. A full
// commit id resolves to itself; an annotated tag resolves to the commit it points at.
func ResolveRef(lsRemote, ref string) (string, error) {
	if commitPattern.MatchString(ref) {
		return ref, nil
	}
	candidates := []string{ref, "refs/tags/" + ref, "refs/heads/" + ref}
	found := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(lsRemote))
	for sc.Scan() {
		sha, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		if !ok || !commitPattern.MatchString(sha) {
			continue
		}
		found[name] = sha
	}
	for _, c := range candidates {
		if sha, ok := found[c+"^{}"]; ok { // peeled annotated tag
			return sha, nil
		}
		if sha, ok := found[c]; ok {
			return sha, nil
		}
	}
	return "", fmt.Errorf("ref %q is not a branch, tag or commit of the repository", ref)
}
