//go:build linux

package rotate_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it when the test ends. It needs root: elsewhere the test is skipped, and
// under CI=true (which runs as root) it fails.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") == "true" {
		skip = t.Fatalf
	}
	if os.Geteuid() != 0 {
		skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		skip("mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file of n zero bytes at path.
func fill(t *testing.T, path string, n int) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, make([]byte, n), 0o600), "fill %s with %d bytes", path, n)
}

// A real full disk, as issue 27 found it: the disk fills in the middle of a
// batch, Close gives up, and a new process appends to the same file. Every
// line parses.
func TestFullDiskLeavesNoTornLine(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	path := logPath(dir)
	filler := filepath.Join(dir, "filler")
	fill(t, filler, 8<<20-64<<10) // 64 KiB left

	f, err := rotate.NewFile(rotate.Config{Filename: path})
	require.NoError(t, err, "NewFile")
	s, err := logsink.Open(f, logsink.WithCloseTimeout(500*time.Millisecond))
	require.NoError(t, err, "open")
	for i := range 2000 { // about 130 KiB
		_, err := s.Write(jsonEntry(1, i))
		require.NoError(t, err, "write %d", i)
	}
	require.ErrorContains(t, s.Close(), "no space left on device", "Close gives up on what does not fit")

	got := parseLines(t, path)
	for n, e := range got {
		require.Equal(t, entryLine{G: 1, I: n}, e, "entry %d", n)
	}
	st := s.Stats()
	assert.Equal(t, st.Bytes, uint64(len(read(t, path)))+st.LostBytes, "every accepted byte is in the file or in LostBytes")
	assert.NotZero(t, f.Stats().TornBytes, "the disk filled inside an entry, which Close cut")

	require.NoError(t, os.Remove(filler), "the operator makes room")
	s2, err := rotate.Open(rotate.Config{Filename: path})
	require.NoError(t, err, "the next process opens the file")
	for i := range 3 {
		_, err := s2.Write(jsonEntry(2, i))
		require.NoError(t, err, "write %d", i)
	}
	require.NoError(t, s2.Close(), "close")
	got = parseLines(t, path)
	assert.Equal(t, []entryLine{{2, 0}, {2, 1}, {2, 2}}, got[len(got)-3:], "the new entries, each on its own line")
}

// writeConcurrently has writers Block-write n numbered entries each,
// padded to pad bytes, and fails the test if they have not all returned
// within the bound.
func writeConcurrently(t *testing.T, s *logsink.Stream, writers, n, pad int, bound time.Duration) {
	t.Helper()
	sinktest.Bounded(t, bound, "the writers", func() {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range n {
					_, err := fmt.Fprintf(s, "w=%d i=%06d %s\n", w, i, strings.Repeat("x", pad))
					if err != nil {
						t.Errorf("writer %d entry %d: %v", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// entriesIn returns, for each writer, the entry numbers found in the file
// and the backups in dir, in file order, leaving out the files in ignore.
func entriesIn(t *testing.T, dir string, ignore ...string) map[int][]int {
	t.Helper()
	out := make(map[int][]int)
	for _, name := range logFiles(t, dir) {
		if name != "app.log" && !backupRE.MatchString(name) || slices.Contains(ignore, name) {
			continue
		}
		for _, line := range lines(t, filepath.Join(dir, name)) {
			var w, i int
			_, err := fmt.Sscanf(line, "w=%d i=%d ", &w, &i)
			require.NoError(t, err, "a whole entry in %s: %q", name, line[:min(len(line), 60)])
			out[w] = append(out[w], i)
		}
	}
	return out
}

// requireSuffix checks that each writer's entries on disk are its last
// ones, in order, with none missing in between: only the oldest are gone.
func requireSuffix(t *testing.T, got map[int][]int, writers, n int) {
	t.Helper()
	for w := range writers {
		seq := got[w]
		require.NotEmpty(t, seq, "writer %d has entries on disk", w)
		first := n - len(seq)
		for k, i := range seq {
			require.Equal(t, first+k, i, "writer %d: its newest %d entries, in order, none missing", w, len(seq))
		}
	}
}

// The disk fills with the stream's own backups (no MaxBackups, no
// MaxTotalSize): with KeepFree, Block writers go on by themselves, and only
// the oldest backups are removed.
func TestKeepFreeMakesRoomFromTheOldestBackups(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	cfg := rotate.Config{Filename: logPath(dir), MaxSize: 1 << 20, KeepFree: 64 << 10}
	f, err := rotate.NewFile(cfg)
	require.NoError(t, err, "NewFile")
	var errs bytes.Buffer
	var mu sync.Mutex
	// Removals reach OnError at the next Follow, once per flush interval.
	s, err := logsink.Open(f, logsink.WithFlushInterval(10*time.Millisecond), logsink.OnError(func(err error) {
		mu.Lock()
		fmt.Fprintln(&errs, err)
		mu.Unlock()
	}))
	require.NoError(t, err, "open")

	const writers, n = 4, 40000 // 4 x 40000 x 106 bytes: about 16 MiB through 8 MiB
	writeConcurrently(t, s, writers, n, 80, 2*time.Minute)
	require.NoError(t, s.Close(), "close: everything written")

	st, fst := s.Stats(), f.Stats()
	assert.Zero(t, st.LostBytes, "nothing lost")
	assert.NotZero(t, fst.KeepFreeRemoved, "backups removed to keep 64KiB free")
	requireSuffix(t, entriesIn(t, dir), writers, n)
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, errs.String(), "keep_free=64KiB", "each removal is reported through OnError")
	t.Logf("stream %s, file %s", st, fst)
}

// The disk is full when a write comes (other backups of the service filled
// it since the last rotation): the write removes the oldest backups and
// goes on, and files that are not backups are left alone.
func TestKeepFreeWhenAWriteFindsTheDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	path := logPath(dir)
	f, err := rotate.NewFile(rotate.Config{Filename: path, KeepFree: 256 << 10})
	require.NoError(t, err, "NewFile")
	s, err := logsink.Open(f)
	require.NoError(t, err, "open")

	// Backups of an earlier run, and a file of another program, fill the
	// disk but for a few pages.
	start := time.Now().Add(-24 * time.Hour)
	var old []string
	for i := range 6 {
		old = append(old, makeBackup(t, dir, start.Add(time.Duration(i)*time.Minute), "", 1<<20))
	}
	other := filepath.Join(dir, "other-program.dat")
	fill(t, other, 1<<20)
	fill(t, filepath.Join(dir, "filler"), 1<<20-64<<10) // not a backup either
	var left [4096]byte
	for i := 0; ; i++ {
		// The last pages.
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("pad-%d", i)), left[:], 0o600); err != nil {
			break
		}
	}

	writeConcurrently(t, s, 2, 2000, 200, time.Minute) // about 400 KiB
	require.NoError(t, s.Close(), "close: everything written")

	assert.Zero(t, s.Stats().LostBytes, "nothing lost")
	removed := f.Stats().KeepFreeRemoved
	require.NotZero(t, removed, "backups removed")
	names := logFiles(t, dir)
	for i, b := range old {
		if i < int(removed) {
			assert.NotContains(t, names, b, "the oldest backups go first")
		} else {
			assert.Contains(t, names, b, "the newer ones stay")
		}
	}
	assert.FileExists(t, other, "another program's file stays")
	requireSuffix(t, entriesIn(t, dir, old...), 2, 2000)
}

// A compression that fills the disk removes its partial .gz and keeps the
// backup, to be compressed once there is room.
func TestCompressionOnAFullDiskKeepsTheBackup(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	data := make([]byte, 2<<20)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(data) // gzip cannot shrink it
	backup := filepath.Join(dir, "app-2024-05-01T10-20-30.123.log")
	require.NoError(t, os.WriteFile(backup, data, 0o640), "a backup")
	fill(t, filepath.Join(dir, "filler"), 8<<20-2<<20-512<<10) // 512 KiB left

	f := newFile(t, rotate.Config{Filename: logPath(dir), Compress: true})
	var err error
	require.Eventually(t, func() bool {
		_, err = f.Follow() // reports the background compression's errors
		return err != nil
	}, 20*time.Second, 5*time.Millisecond, "the compression's failure is reported")
	assert.ErrorContains(t, err, "no space left on device", "the compression ran out of room")
	require.NoError(t, f.Close(), "close")
	assert.NoFileExists(t, backup+".gz.tmp", "the partial compression is removed")
	assert.NoFileExists(t, backup+".gz", "no compressed backup")
	got, err := os.ReadFile(backup)
	require.NoError(t, err, "the backup is kept")
	assert.True(t, bytes.Equal(data, got), "whole")
}

// KeepFree at open: a partial compression a crash left goes first, and the
// backups stay while the floor is met without them.
func TestKeepFreeRemovesAPartialCompressionFirst(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	older := makeBackup(t, dir, time.Now().Add(-2*time.Hour), "", 1<<20)
	newer := makeBackup(t, dir, time.Now().Add(-time.Hour), "", 1<<20)
	fill(t, filepath.Join(dir, newer+".gz.tmp"), 1<<20)  // a crash in the middle of compressing it
	fill(t, filepath.Join(dir, "filler"), 5<<20-256<<10) // 256 KiB left

	f := newFile(t, rotate.Config{Filename: logPath(dir), KeepFree: 1 << 20})
	assert.NoFileExists(t, filepath.Join(dir, newer+".gz.tmp"), "the partial compression is removed first")
	assert.FileExists(t, filepath.Join(dir, newer), "its backup stays")
	assert.FileExists(t, filepath.Join(dir, older), "so does the oldest: 1.25 MiB is free without it")
	assert.Zero(t, f.Stats().KeepFreeRemoved, "no backup removed")
}
