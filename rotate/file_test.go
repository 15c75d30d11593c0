package rotate_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func newFile(t *testing.T, cfg rotate.Config) *rotate.File {
	t.Helper()
	f, err := rotate.NewFile(cfg)
	require.NoError(t, err, "NewFile")
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestFileRotateCallsHooksAroundTheRename(t *testing.T) {
	dir := t.TempDir()
	var calls []string
	f := newFile(t, rotate.Config{
		Filename:     logPath(dir),
		BeforeRotate: func() { calls = append(calls, "before") },
		AfterRotate: func(backup string) {
			// The backup is complete and not yet compressed or removed.
			calls = append(calls, "after "+filepath.Base(backup)+": "+read(t, backup))
		},
	})
	_, err := f.Write([]byte("one\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Rotate(), "rotate")
	_, err = f.Write([]byte("two\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Close(), "close")

	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	assert.Equal(t, []string{"before", "after " + b[0] + ": one\n"}, calls, "hook calls")
	assert.Equal(t, "two\n", read(t, logPath(dir)), "the new file")
}

func TestFileRotationsInOneMillisecondKeepEveryBackup(t *testing.T) {
	const n = 300
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir)})
	start := time.Now()
	for i := range n {
		_, err := fmt.Fprintf(f, "generation %d\n", i)
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate %d", i)
	}
	elapsed := time.Since(start)
	require.NoError(t, f.Close(), "close")

	b := backups(t, dir)
	require.Equal(t, n, len(b), "one backup per rotation (%d rotations in %s)", n, elapsed)
	for i, name := range b {
		assert.Equal(t, fmt.Sprintf("generation %d\n", i), read(t, filepath.Join(dir, name)),
			"backup %s: names sort in rotation order and none was overwritten", name)
	}
	assert.Empty(t, read(t, logPath(dir)), "the current file")
}

func TestFileReopenAfterExternalRename(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir)})
	_, err := f.Write([]byte("before\n"))
	require.NoError(t, err, "write")
	require.NoError(t, os.Rename(logPath(dir), logPath(dir)+".1"), "external rename")
	_, err = f.Write([]byte("still the old file\n"))
	require.NoError(t, err, "write")
	size, _ := f.SizeLimit()
	assert.Equal(t, int64(len("before\nstill the old file\n")), size, "size before reopen")

	require.NoError(t, f.Reopen(), "reopen")
	size, _ = f.SizeLimit()
	assert.Zero(t, size, "size after reopen")
	_, err = f.Write([]byte("after\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Sync(), "sync")

	assert.Equal(t, "before\nstill the old file\n", read(t, logPath(dir)+".1"), "renamed file")
	assert.Equal(t, "after\n", read(t, logPath(dir)), "reopened file")
	assert.Empty(t, backups(t, dir), "Reopen renames nothing")
}

func TestFileRotateWhenTheFileVanished(t *testing.T) {
	dir := t.TempDir()
	afterCalls := 0
	f := newFile(t, rotate.Config{Filename: logPath(dir), AfterRotate: func(string) { afterCalls++ }})
	_, err := f.Write([]byte("lost with the file\n"))
	require.NoError(t, err, "write")
	require.NoError(t, os.Remove(logPath(dir)), "external remove")

	require.NoError(t, f.Rotate(), "rotate")
	_, err = f.Write([]byte("new\n"))
	require.NoError(t, err, "write")

	assert.Zero(t, afterCalls, "AfterRotate calls: there was no backup")
	assert.Equal(t, []string{"app.log"}, logFiles(t, dir), "files")
	assert.Equal(t, "new\n", read(t, logPath(dir)), "the new file")
}

func TestFileSizeLimit(t *testing.T) {
	tests := []struct {
		name      string
		existing  string
		maxSize   int64
		wantLimit int64
	}{
		{name: "default", wantLimit: rotate.DefaultMaxSize},
		{name: "configured", maxSize: 4 << 10, wantLimit: 4 << 10},
		{name: "appends to an existing file", existing: "12345\n", wantLimit: rotate.DefaultMaxSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.existing != "" {
				require.NoError(t, os.WriteFile(logPath(dir), []byte(tt.existing), 0o600), "existing file")
			}
			f := newFile(t, rotate.Config{Filename: logPath(dir), MaxSize: logsink.Size(tt.maxSize)})
			size, limit := f.SizeLimit()
			assert.Equal(t, int64(len(tt.existing)), size, "size at open")
			assert.Equal(t, tt.wantLimit, limit, "limit")

			_, err := f.Write([]byte("abc\n"))
			require.NoError(t, err, "write")
			size, _ = f.SizeLimit()
			assert.Equal(t, int64(len(tt.existing)+4), size, "size after a write")
			assert.Equal(t, tt.existing+"abc\n", read(t, logPath(dir)), "contents")
		})
	}
}

func TestFileNextRotation(t *testing.T) {
	tests := []struct {
		name  string
		every time.Duration
		give  time.Time
		want  time.Time
	}{
		{
			name: "no time rotation",
			give: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		},
		{
			name:  "daily: next midnight",
			every: 24 * time.Hour,
			give:  time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC),
			want:  time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		},
		{
			name:  "daily: at midnight, the next one",
			every: 24 * time.Hour,
			give:  time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
			want:  time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC),
		},
		{
			name:  "hourly: on the hour",
			every: time.Hour,
			give:  time.Date(2024, 5, 1, 10, 59, 59, 999, time.UTC),
			want:  time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC),
		},
		{
			name:  "UTC whatever zone now is in",
			every: time.Hour,
			give:  time.Date(2024, 5, 1, 10, 45, 0, 0, time.FixedZone("X", 30*60)), // 10:15 UTC
			want:  time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFile(t, rotate.Config{Filename: logPath(t.TempDir()), Every: tt.every})
			got := f.NextRotation(tt.give)
			assert.True(t, tt.want.Equal(got), "NextRotation(%s) = %s, want %s", tt.give, got, tt.want)
		})
	}
}

func TestFileAfterClose(t *testing.T) {
	f := newFile(t, rotate.Config{Filename: logPath(t.TempDir())})
	require.NoError(t, f.Close(), "close")
	assert.NoError(t, f.Close(), "close twice")

	_, err := f.Write([]byte("x\n"))
	assert.ErrorIs(t, err, fs.ErrClosed, "write after close")
	assert.ErrorIs(t, f.Sync(), fs.ErrClosed, "sync after close")
	assert.ErrorIs(t, f.Rotate(), fs.ErrClosed, "rotate after close")
	assert.ErrorIs(t, f.Reopen(), fs.ErrClosed, "reopen after close")
}

func TestFileOnePerPath(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir)})

	// The same file by a relative name is the same path.
	t.Chdir(dir)
	_, err := rotate.NewFile(rotate.Config{Filename: "app.log"})
	assert.ErrorIs(t, err, rotate.ErrInUse, "second File on an open path")
	assert.ErrorContains(t, err, logPath(dir), "the error names the path")

	require.NoError(t, f.Close(), "close")
	g, err := rotate.NewFile(rotate.Config{Filename: "app.log"})
	require.NoError(t, err, "NewFile once the first is closed")
	assert.Equal(t, logPath(dir), g.Name(), "Name is the absolute path")
	assert.NoError(t, g.Close(), "close")
}

func TestFileRetentionMaxBackups(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxBackups: 2})
	for i := range 6 {
		_, err := fmt.Fprintf(f, "generation %d\n", i)
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate")
	}
	waitMill(t, dir, func(names []string) bool { return len(names) == 3 }, "removed all but 2 backups")

	b := backups(t, dir)
	require.Len(t, b, 2, "backups")
	assert.Equal(t, "generation 4\n", read(t, filepath.Join(dir, b[0])), "the older backup kept")
	assert.Equal(t, "generation 5\n", read(t, filepath.Join(dir, b[1])), "the newest backup kept")
}

func TestFileRetentionMaxAge(t *testing.T) {
	dir := t.TempDir()
	stale := "app-2001-02-03T04-05-06.000.log"
	recent := "app-" + time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15-04-05.000") + ".log"
	for _, n := range []string{stale, recent} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(n+"\n"), 0o640), "old backup %s", n)
	}

	// Opening starts the retention; the recent backup is 1h old, well within 36h.
	f := newFile(t, rotate.Config{Filename: logPath(dir), MaxAge: 36 * time.Hour})
	_, err := f.Write([]byte("current\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Rotate(), "rotate")

	waitMill(t, dir, func(names []string) bool { return !slices.Contains(names, stale) }, "removed the stale backup")
	b := backups(t, dir)
	require.Len(t, b, 2, "backups left: %v", b)
	assert.Equal(t, recent, b[0], "a backup younger than max_age is kept")
	assert.Equal(t, "current\n", read(t, filepath.Join(dir, b[1])), "the new backup is kept")
}

func TestFileCompress(t *testing.T) {
	dir := t.TempDir()
	var plain string
	f := newFile(t, rotate.Config{Filename: logPath(dir), Compress: true, AfterRotate: func(p string) { plain = p }})
	content := strings.Repeat("compress me\n", 100)
	_, err := f.Write([]byte(content))
	require.NoError(t, err, "write")
	require.NoError(t, f.Rotate(), "rotate")
	require.NotEmpty(t, plain, "AfterRotate was called")

	waitMill(t, dir, func(names []string) bool { return len(names) == 2 && allCompressed(names) }, "compressed the backup")
	b := backups(t, dir)
	require.Len(t, b, 1, "backups")
	assert.Equal(t, filepath.Base(plain)+".gz", b[0], "the backup AfterRotate named, gzipped")
	assert.Equal(t, content, read(t, filepath.Join(dir, b[0])), "gunzipped backup")
}

func TestNewFileErrorsNameTheField(t *testing.T) {
	_, err := rotate.NewFile(rotate.Config{Filename: logPath(t.TempDir()), MaxSize: -1})
	assert.ErrorContains(t, err, "max_size=-1", "NewFile validates")
	assert.False(t, errors.Is(err, rotate.ErrInUse), "not an in-use error")
}
