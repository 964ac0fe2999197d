package bake

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake/baketest"
)

func TestResolveRef(t *testing.T) {
	const out = "1111111111111111111111111111111111111111\trefs/heads/main\n" +
		"2222222222222222222222222222222222222222\trefs/tags/v1.0.0\n" +
		"3333333333333333333333333333333333333333\trefs/tags/v1.0.0^{}\n" +
		"4444444444444444444444444444444444444444\trefs/tags/v0.9\n"
	for ref, want := range map[string]string{
		"main":             "1111111111111111111111111111111111111111",
		"v1.0.0":           "3333333333333333333333333333333333333333", // annotated: the commit, not the tag object
		"refs/tags/v1.0.0": "3333333333333333333333333333333333333333",
		"v0.9":             "4444444444444444444444444444444444444444",
		"abcdefabcdefabcdefabcdefabcdefabcdefabcd": "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
	} {
		got, err := ResolveRef(out, ref)
		require.NoError(t, err, ref)
		assert.Equal(t, want, got, ref)
	}
	_, err := ResolveRef(out, "v2")
	assert.ErrorContains(t, err, `ref "v2" is not a branch, tag or commit`)
}

func TestResolveCommitAsksTheRepository(t *testing.T) {
	repo, commit := baketest.GitRepo(t)
	got, err := ResolveCommit(context.Background(), repo, "v1.0.0")
	require.NoError(t, err)
	assert.Equal(t, commit, got, "an annotated tag resolves to its commit")

	_, err = ResolveCommit(context.Background(), repo, "no-such-branch")
	assert.ErrorContains(t, err, `ref "no-such-branch" is not a branch, tag or commit`)

	_, err = ResolveCommit(context.Background(), t.TempDir(), "main")
	assert.ErrorContains(t, err, "git ls-remote")

	full := strings.Repeat("ab", 20)
	got, err = ResolveCommit(context.Background(), "/no/such/repository", full)
	require.NoError(t, err, "a full commit id needs no ls-remote")
	assert.Equal(t, full, got)
}
