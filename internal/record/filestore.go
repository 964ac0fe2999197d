package record

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FileStore keeps the record in a directory as numbered generations, one file each:
// g00000000000000000001.json, g…2.json, … The highest generation is the record.
//
// Compare-and-swap. Save(expected generation N) writes the new record to a temporary
// file in the same directory, fsyncs it, and hard-links it to generation N+1. link(2)
// fails with EEXIST when the name exists, atomically, on every local POSIX file system,
// NTFS and NFS (the classic NFS-safe lock primitive), so of all the processes that read
// generation N, exactly one creates N+1: the others get ErrConflict. A generation appears
// complete or not at all (the link publishes a fully written file), so readers never see
// a torn write and need no lock.
//
// Pruning. Old generations are deleted, which could let a very stale writer re-create a
// deleted name (a "phantom" N+1 built on a long-gone N). Three rules rule that out:
//  1. a generation is deleted only when it is more than Keep behind the newest and
//     older than MinAge, and deleters go in ascending order, so when generation N+1 is
//     deleted, generation N is already gone for good;
//  2. every generation carries a unique write id, and after its link a writer checks
//     that generation N still exists with the write id it read: if so, N+1 had never
//     been deleted when the link ran, so the link created the first and only N+1;
//     otherwise the save reports ErrConflict (the phantom is never the newest, so no
//     reader sees it, and a later prune removes it);
//  3. the first prune ever creates the marker file "pruned" first, so a writer that
//     created generation 1 from an empty directory checks the marker instead.
//
// At most one Save per expected version succeeds, whatever the timing. The only cost of
// a stall is on the stalled writer: one paused between its link and its check for
// longer than Keep saves and MinAge reports ErrConflict for a write that did land (and
// was already superseded); lease and history callers re-read and see it.
type FileStore struct {
	Dir    string
	Keep   int           // generations kept behind the newest (default 32)
	MinAge time.Duration // generations younger than this are never deleted (default 10m)
	Now    func() time.Time
}

const (
	genPrefix    = "g"
	genSuffix    = ".json"
	genDigits    = 20
	prunedMarker = "pruned"
	tmpPrefix    = ".tmp-"
)

// NewFileStore returns a store in dir (created on the first save) with the defaults.
func NewFileStore(dir string) *FileStore {
	return &FileStore{Dir: dir, Keep: 32, MinAge: 10 * time.Minute, Now: time.Now}
}

func (s *FileStore) Where() string { return s.Dir }

func (s *FileStore) genPath(n uint64) string {
	return filepath.Join(s.Dir, fmt.Sprintf("%s%0*d%s", genPrefix, genDigits, n, genSuffix))
}

// generations lists the generation numbers in the directory, ascending.
func (s *FileStore) generations() ([]uint64, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing release record generations in %s: %w", s.Dir, err)
	}
	var gens []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, genPrefix) || !strings.HasSuffix(name, genSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, genPrefix), genSuffix), 10, 64)
		if err == nil && n > 0 {
			gens = append(gens, n)
		}
	}
	slices.Sort(gens)
	return gens, nil
}

// Load reads the newest generation. The newest is never deleted, but a listing can be
// overtaken by more than Keep saves and a prune before the read; then it lists again.
func (s *FileStore) Load(ctx context.Context) (Record, Version, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Record{}, NoVersion, err
		}
		gens, err := s.generations()
		if err != nil || len(gens) == 0 {
			return Record{}, NoVersion, err
		}
		n := gens[len(gens)-1]
		rec, id, err := s.readGen(n)
		if errors.Is(err, fs.ErrNotExist) && attempt < 8 {
			continue
		}
		if err != nil {
			return Record{}, NoVersion, err
		}
		return rec, fileVersion(n, id), nil
	}
}

func (s *FileStore) readGen(n uint64) (Record, string, error) {
	b, err := os.ReadFile(s.genPath(n))
	if err != nil {
		return Record{}, "", fmt.Errorf("reading release record: %w", err)
	}
	rec, id, err := decode(b)
	if err != nil {
		return Record{}, "", fmt.Errorf("%s: %w", s.genPath(n), err)
	}
	return rec, id, nil
}

func fileVersion(n uint64, writeID string) Version {
	return Version(fmt.Sprintf("%d-%s", n, writeID))
}

func parseFileVersion(v Version) (uint64, string, error) {
	if v == NoVersion {
		return 0, "", nil
	}
	num, id, ok := strings.Cut(string(v), "-")
	n, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil || n == 0 || id == "" {
		return 0, "", fmt.Errorf("version %q is not a file store version (<generation>-<write id>)", v)
	}
	return n, id, nil
}

// Save creates generation N+1 for expected generation N; see FileStore for why exactly
// one writer of a generation wins.
func (s *FileStore) Save(ctx context.Context, rec Record, expected Version) (Version, error) {
	if err := ctx.Err(); err != nil {
		return NoVersion, err
	}
	n, readID, err := parseFileVersion(expected)
	if err != nil {
		return NoVersion, fmt.Errorf("saving %s: %w", s.Dir, err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return NoVersion, fmt.Errorf("creating the release record directory: %w", err)
	}
	writeID := newID()
	b, err := encode(rec, writeID)
	if err != nil {
		return NoVersion, err
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return NoVersion, err
	}
	defer os.Remove(tmp)
	target := s.genPath(n + 1)
	err = os.Link(tmp, target)
	if errors.Is(err, fs.ErrExist) {
		return NoVersion, s.conflict(expected, fmt.Sprintf("generation %d already exists", n+1))
	}
	if err != nil {
		return NoVersion, fmt.Errorf("publishing release record generation %s: %w", target, err)
	}
	syncDir(s.Dir)
	if detail := s.phantom(n, readID); detail != "" {
		return NoVersion, s.conflict(expected, detail)
	}
	s.prune(n + 1)
	return fileVersion(n+1, writeID), nil
}

func (s *FileStore) conflict(expected Version, detail string) error {
	return &ConflictError{Where: s.Dir, Expected: expected, Detail: detail}
}

// phantom says why the generation just linked after n might not be the first of its
// number (rules 2 and 3 of FileStore), or "" when it is.
func (s *FileStore) phantom(n uint64, readID string) string {
	if n == 0 {
		if _, err := os.Lstat(filepath.Join(s.Dir, prunedMarker)); !errors.Is(err, fs.ErrNotExist) {
			return "the record existed before (old generations were pruned) although it was read as missing"
		}
		return ""
	}
	_, id, err := s.readGen(n)
	if err != nil {
		return fmt.Sprintf("generation %d that was read is gone (%v)", n, err)
	}
	if id != readID {
		return fmt.Sprintf("generation %d was rewritten since it was read", n)
	}
	return ""
}

// writeTemp writes b to a new temporary file in the record's directory (so it can be
// hard-linked into place) and flushes it to disk.
func (s *FileStore) writeTemp(b []byte) (string, error) {
	f, err := os.CreateTemp(s.Dir, tmpPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("writing release record in %s: %w", s.Dir, err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing release record %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// syncDir makes the new directory entry durable where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported for directories everywhere (Windows); best effort
		d.Close()
	}
}

// prune deletes generations more than Keep behind newest and older than MinAge, in
// ascending order, stopping at the first it may not or cannot delete (rule 1), after
// creating the pruned marker (rule 3). It is best effort: a failed prune leaves files.
func (s *FileStore) prune(newest uint64) {
	keep := uint64(max(s.Keep, 1))
	if newest <= keep+1 {
		return
	}
	gens, err := s.generations()
	if err != nil || len(gens) == 0 || gens[0]+keep >= newest {
		return
	}
	if !s.markPruned() {
		return
	}
	now := s.now()
	for _, g := range gens {
		if g+keep >= newest {
			return
		}
		info, err := os.Lstat(s.genPath(g))
		if errors.Is(err, fs.ErrNotExist) {
			continue // another pruner was first
		}
		if err != nil || now.Sub(info.ModTime()) < s.MinAge {
			return
		}
		if err := os.Remove(s.genPath(g)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
}

func (s *FileStore) markPruned() bool {
	f, err := os.OpenFile(filepath.Join(s.Dir, prunedMarker), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return true
	}
	if err != nil {
		return false
	}
	_, _ = f.WriteString("generations of this release record have been pruned; see internal/record.FileStore\n")
	return f.Close() == nil
}

func (s *FileStore) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
