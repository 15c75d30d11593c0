package rotate_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/rotate"
)

// copytruncate does what logrotate's copytruncate does: copy the file,
// then truncate it in place.
func copytruncate(t *testing.T, path, to string) {
	t.Helper()
	src, err := os.Open(path)
	require.NoError(t, err, "open for copy")
	defer src.Close()
	dst, err := os.Create(to)
	require.NoError(t, err, "create copy")
	_, err = io.Copy(dst, src)
	require.NoError(t, err, "copy")
	require.NoError(t, dst.Close(), "close copy")
	require.NoError(t, os.Truncate(path, 0), "truncate")
}

func TestStreamAfterCopytruncate(t *testing.T) {
	for name, follow := range map[string]rotate.Switch{"follow on": rotate.On, "follow off": rotate.Off} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := logPath(dir)
			s, clock := openWithClock(t, rotate.Config{Filename: path, MaxSize: 4 << 10, Follow: follow})

			pad := strings.Repeat("x", 400)
			first, second := numbered("first "+pad, 8), numbered("second "+pad, 8) // about 3300 bytes each
			writeLines(t, s, first)
			require.NoError(t, s.Flush(), "flush")
			copytruncate(t, path, path+".1")
			writeLines(t, s, second[:1])
			tick(t, s, clock) // the stream notices within a flush interval
			writeLines(t, s, second[1:])
			require.NoError(t, s.Close(), "close")

			data := read(t, path)
			assert.False(t, bytes.ContainsRune([]byte(data), 0), "no NUL bytes: entries start at the truncated file's new beginning")
			assert.Equal(t, second, lines(t, path), "the truncated file holds what came after")
			assert.Equal(t, first, lines(t, path+".1"), "the copy")
			// 3300 bytes before and 3300 after the truncation would pass
			// max_size 4KiB if the size count ignored the truncation.
			assert.Zero(t, s.Stats().Rotations, "no early size rotation")
			assert.Empty(t, backups(t, dir), "backups")
			assert.Zero(t, s.Stats().Reopens, "the same file: no reopen")
		})
	}
}

func TestFileSizeFollowsATruncation(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir)})
	_, err := f.Write([]byte("0123456789\n"))
	require.NoError(t, err, "write")
	require.NoError(t, os.Truncate(logPath(dir), 0), "truncate")
	reopened, err := f.Follow()
	require.NoError(t, err, "follow")
	assert.False(t, reopened, "the same file")
	size, _ := f.SizeLimit()
	assert.Zero(t, size, "size after another tool truncated the file, at the next Follow")
	_, err = f.Write([]byte("abc\n"))
	require.NoError(t, err, "write")
	size, _ = f.SizeLimit()
	assert.Equal(t, int64(4), size, "size after the next write")
	assert.Equal(t, "abc\n", read(t, logPath(dir)), "contents")
}
