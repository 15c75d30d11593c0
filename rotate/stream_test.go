package rotate_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// writeLines writes each line, with a newline, as one entry.
func writeLines(t *testing.T, w io.Writer, lines []string) {
	t.Helper()
	for _, l := range lines {
		_, err := w.Write([]byte(l + "\n"))
		require.NoError(t, err, "write %q", l)
	}
}

func TestConcurrentWritersEveryEntryOnceWholeInOrder(t *testing.T) {
	const (
		writers   = 4
		perWriter = 2000
		maxSize   = 4 << 10
	)
	dir := t.TempDir()
	s, err := rotate.Open(rotate.Config{Filename: logPath(dir), MaxSize: maxSize},
		logsink.WithHighWaterMark(1<<10), logsink.WithBufferSize(16<<10))
	require.NoError(t, err, "open")

	// Entries differ in length, so file ends fall in every position.
	entry := func(w, i int) []byte {
		return fmt.Appendf(nil, "w=%d seq=%04d %s\n", w, i, strings.Repeat("x", i%53))
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				_, err := s.Write(entry(w, i))
				assert.NoError(t, err, "writer %d entry %d", w, i)
			}
		})
	}
	wg.Wait()
	require.NoError(t, s.Close(), "close")

	names := logFiles(t, dir)
	require.Greater(t, len(names), 20, "expected many rotations at %d bytes, got files %v", maxSize, names)
	assert.Equal(t, "app.log", names[len(names)-1], "the current file sorts after its backups")
	assert.Equal(t, uint64(len(names)-1), s.Stats().Rotations, "one rotation per backup")

	lineRE := regexp.MustCompile(`^w=(\d) seq=(\d{4}) (x*)\n$`)
	next := make([]int, writers) // next seq expected from each writer
	for _, n := range names {
		data := read(t, filepath.Join(dir, n))
		assert.LessOrEqual(t, len(data), maxSize, "file %s is larger than max_size", n)
		require.True(t, strings.HasSuffix(data, "\n"), "file %s ends inside an entry", n)
		for _, line := range strings.SplitAfter(data, "\n") {
			if line == "" {
				continue
			}
			m := lineRE.FindStringSubmatch(line)
			require.NotNil(t, m, "torn or unknown entry %q in %s", line, n)
			w, _ := strconv.Atoi(m[1])
			seq, _ := strconv.Atoi(m[2])
			require.Less(t, w, writers, "writer in %q", line)
			assert.Equal(t, seq%53, len(m[3]), "entry %q is not whole", line)
			require.Equal(t, next[w], seq, "writer %d: entry out of order or repeated in %s", w, n)
			next[w]++
		}
	}
	for w, n := range next {
		assert.Equal(t, perWriter, n, "writer %d: entries found", w)
	}
}

func TestStreamRotateSplitsAtTheCall(t *testing.T) {
	dir := t.TempDir()
	var beforeCalls atomic.Int32
	backupc := make(chan string, 1)
	s, err := rotate.Open(rotate.Config{
		Filename:     logPath(dir),
		BeforeRotate: func() { beforeCalls.Add(1) },
		AfterRotate:  func(p string) { backupc <- p },
	})
	require.NoError(t, err, "open")

	before, after := numbered("before", 100), numbered("after", 50)
	writeLines(t, s, before)
	require.NoError(t, s.Rotate(), "rotate")
	backup := receive(t, backupc, "AfterRotate") // on the stream's hook goroutine
	writeLines(t, s, after)
	require.NoError(t, s.Close(), "close")

	assert.Equal(t, before, lines(t, backup), "entries written before Rotate are in the backup")
	assert.Equal(t, after, lines(t, logPath(dir)), "entries written after Rotate are in the new file")
	assert.Equal(t, dir, filepath.Dir(backup), "backup directory")
	assert.Regexp(t, backupRE, filepath.Base(backup), "backup named by lumberjack's rule")
	assert.Equal(t, int32(1), beforeCalls.Load(), "BeforeRotate calls")
	assert.Equal(t, uint64(1), s.Stats().Rotations, "Stats().Rotations")
	assert.Equal(t, []string{filepath.Base(backup), "app.log"}, logFiles(t, dir), "files")
}

func TestStreamRotatesOnTheWallClock(t *testing.T) {
	tests := []struct {
		name     string
		every    time.Duration
		start    time.Time
		boundary time.Time
	}{
		{
			name:     "daily at midnight",
			every:    24 * time.Hour,
			start:    time.Date(2024, 5, 1, 23, 59, 30, 0, time.UTC),
			boundary: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		},
		{
			name:     "hourly on the hour",
			every:    time.Hour,
			start:    time.Date(2024, 5, 1, 10, 17, 0, 0, time.UTC),
			boundary: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := sinktest.NewMockClock(tt.start)
			backupc := make(chan string, 2)
			s, err := rotate.Open(rotate.Config{
				Filename:    logPath(dir),
				Every:       tt.every,
				AfterRotate: func(p string) { backupc <- p },
			}, logsink.WithClock(clock))
			require.NoError(t, err, "open")
			clock.WaitTickers(2) // the flush ticker and the rotation timer

			first, second, last := numbered("first", 20), numbered("second", 30), numbered("last", 10)
			writeLines(t, s, first)
			clock.Set(tt.boundary)
			backup1 := receive(t, backupc, "the rotation at "+tt.boundary.String())

			writeLines(t, s, second)
			clock.WaitTickers(3) // the next rotation is scheduled
			clock.Add(tt.every)
			backup2 := receive(t, backupc, "the rotation one period later")

			writeLines(t, s, last)
			require.NoError(t, s.Close(), "close")
			assert.Equal(t, first, lines(t, backup1), "first backup")
			assert.Equal(t, second, lines(t, backup2), "second backup")
			assert.Equal(t, last, lines(t, logPath(dir)), "current file")
			assert.Equal(t, uint64(2), s.Stats().Rotations, "Stats().Rotations")
		})
	}
}

func TestStreamRotatesAFullExistingFileFirst(t *testing.T) {
	dir := t.TempDir()
	old := strings.Repeat("old entry\n", 500) // 5000 bytes
	require.NoError(t, os.WriteFile(logPath(dir), []byte(old), 0o640), "write existing file")

	s, err := rotate.Open(rotate.Config{Filename: logPath(dir), MaxSize: 4 << 10})
	require.NoError(t, err, "open")
	writeLines(t, s, []string{"new entry"})
	require.NoError(t, s.Close(), "close")

	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	assert.Equal(t, old, read(t, filepath.Join(dir, b[0])), "the existing file became the backup")
	assert.Equal(t, "new entry\n", read(t, logPath(dir)), "the new entry starts a new file")
}

func TestStreamEntryLargerThanMaxSizeGetsItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	s, err := rotate.Open(rotate.Config{Filename: logPath(dir), MaxSize: 4 << 10})
	require.NoError(t, err, "open")
	small, big := strings.Repeat("s", 1999), strings.Repeat("B", 4999)
	writeLines(t, s, []string{small, big, small})
	require.NoError(t, s.Close(), "close")

	var got []string
	for _, n := range logFiles(t, dir) {
		got = append(got, read(t, filepath.Join(dir, n)))
	}
	assert.Equal(t, []string{small + "\n", big + "\n", small + "\n"}, got,
		"files in order: a file exceeds max_size only by one entry on its own")
}

func TestStreamReopenAfterExternalRename(t *testing.T) {
	dir := t.TempDir()
	// Not following, so that only Reopen can switch files.
	s, err := rotate.Open(rotate.Config{Filename: logPath(dir), Follow: rotate.Off})
	require.NoError(t, err, "open")

	before, after := numbered("before", 40), numbered("after", 40)
	writeLines(t, s, before) // still buffered: Reopen flushes it to the renamed file
	moved := logPath(dir) + ".1"
	require.NoError(t, os.Rename(logPath(dir), moved), "external rename")
	require.NoError(t, s.Reopen(), "reopen")
	writeLines(t, s, after)
	require.NoError(t, s.Close(), "close")

	assert.Equal(t, before, lines(t, moved), "entries before Reopen are in the renamed file")
	assert.Equal(t, after, lines(t, logPath(dir)), "entries after Reopen are in a new file at the path")
	assert.Equal(t, []string{"app.log", "app.log.1"}, logFiles(t, dir), "no other file was made")
	assert.Zero(t, s.Stats().Rotations, "a reopen is not a rotation")
	assert.Equal(t, uint64(1), s.Stats().Reopens, "Stats().Reopens")
}

func TestOpenOptionsOverrideConfig(t *testing.T) {
	tests := []struct {
		name string
		give []logsink.Option
		want int
	}{
		{name: "config alone", want: 1 << 10},
		{name: "option wins", give: []logsink.Option{logsink.WithHighWaterMark(2 << 10)}, want: 2 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := rotate.Config{Filename: logPath(t.TempDir())}
			cfg.HighWaterMark = 1 << 10
			s, err := rotate.Open(cfg, tt.give...)
			require.NoError(t, err, "open")
			defer func() { assert.NoError(t, s.Close(), "close") }()
			assert.Equal(t, tt.want, s.HighWaterMark(), "high-water mark")
		})
	}
}
