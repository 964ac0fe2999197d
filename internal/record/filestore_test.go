package record

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func saveN(t *testing.T, s Store, n int) []Version {
	t.Helper()
	var out []Version
	for range n {
		_, v, err := Update(context.Background(), s, func(r Record) (Record, error) { return r, nil })
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFileStorePublishesOneFilePerGeneration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet", "there")
	s := NewFileStore(dir)
	rec, v, err := s.Load(context.Background())
	require.NoError(t, err, "a missing directory is an empty record")
	assert.Equal(t, NoVersion, v)
	assert.Equal(t, Record{}, rec)

	versions := saveN(t, s, 3)
	assert.Equal(t, []string{
		"g00000000000000000001.json", "g00000000000000000002.json", "g00000000000000000003.json",
	}, dirNames(t, dir), "no temporary file is left behind")
	rec, v, err = s.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, versions[2], v)
	assert.True(t, strings.HasPrefix(string(v), "3-"))
	assert.EqualValues(t, 3, rec.Revision)
}

func TestFileStorePrunesAllButTheNewestGenerations(t *testing.T) {
	s := &FileStore{Dir: t.TempDir(), Keep: 4, MinAge: 0, Now: time.Now}
	saveN(t, s, 20)
	names := dirNames(t, s.Dir)
	assert.Equal(t, []string{
		"g00000000000000000016.json", "g00000000000000000017.json", "g00000000000000000018.json",
		"g00000000000000000019.json", "g00000000000000000020.json", prunedMarker,
	}, names)
}

func TestFileStoreKeepsGenerationsYoungerThanMinAge(t *testing.T) {
	s := &FileStore{Dir: t.TempDir(), Keep: 4, MinAge: time.Hour, Now: time.Now}
	saveN(t, s, 12)
	assert.Len(t, dirNames(t, s.Dir), 12, "nothing is an hour old, so nothing is pruned (and no marker)")
}

// A writer stalled while its generation's successor was written and pruned re-creates
// the pruned name: the link succeeds, and the predecessor check refuses the save.
func TestFileStoreRefusesAPhantomGeneration(t *testing.T) {
	ctx := context.Background()
	s := &FileStore{Dir: t.TempDir(), Keep: 2, MinAge: 0, Now: time.Now}
	versions := saveN(t, s, 3)
	saveN(t, s, 10) // generations 1 to 10 are pruned
	want, wantVer, err := s.Load(ctx)
	require.NoError(t, err)

	_, err = s.Save(ctx, Record{StableColor: "green"}, versions[2]) // read generation 3
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)
	assert.Contains(t, conflict.Detail, "generation 3 that was read is gone")
	_, err = os.Stat(s.genPath(4))
	assert.NoError(t, err, "the link did succeed: this is the predecessor check, not EEXIST")

	_, err = s.Save(ctx, Record{StableColor: "green"}, NoVersion) // read "no record" long ago
	require.ErrorAs(t, err, &conflict)
	assert.Contains(t, conflict.Detail, "pruned")

	got, gotVer, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, wantVer, gotVer, "the phantoms are never the newest")
	assert.Equal(t, want, got)
	saveN(t, s, 4)
	assert.NotContains(t, dirNames(t, s.Dir), "g00000000000000000004.json", "a later prune removes the phantom")
}

func TestFileStoreRejectsAForeignVersion(t *testing.T) {
	s := NewFileStore(t.TempDir())
	_, err := s.Save(context.Background(), Record{}, Version(`"d41d8cd98f00b204e9800998ecf8427e"`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a file store version")
	assert.NotErrorIs(t, err, ErrConflict)
}

func TestFileStoreRefusesANewerSchema(t *testing.T) {
	s := NewFileStore(t.TempDir())
	require.NoError(t, os.WriteFile(s.genPath(1), []byte(`{"schema": 2, "writeId": "x"}`), 0o644))
	_, _, err := s.Load(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "schema 2")
	assert.Contains(t, err.Error(), s.genPath(1))
}

func TestFileStorePruneRemovesOnlyStaleTemporaryFiles(t *testing.T) {
	s := &FileStore{Dir: t.TempDir(), Keep: 2, MinAge: 0, Now: time.Now}
	stale, fresh := filepath.Join(s.Dir, tmpPrefix+"dead"), filepath.Join(s.Dir, tmpPrefix+"live")
	require.NoError(t, os.WriteFile(stale, nil, 0o644))
	require.NoError(t, os.WriteFile(fresh, nil, 0o644))
	require.NoError(t, os.Chtimes(stale, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)))
	saveN(t, s, 5)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "a writer between its write and its link keeps its file")
}
