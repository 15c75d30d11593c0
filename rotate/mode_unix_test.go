//go:build unix

package rotate_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err, "stat %s", path)
	return info.Mode().Perm()
}

func TestFileMode(t *testing.T) {
	tests := []struct {
		name  string
		give  os.FileMode
		umask int
		want  os.FileMode
	}{
		{name: "default", umask: 0o022, want: 0o640},
		{name: "configured", give: 0o600, umask: 0o022, want: 0o600},
		{name: "exactly, whatever the umask", give: 0o664, umask: 0o077, want: 0o664},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)

			dir := t.TempDir()
			f := newFile(t, rotate.Config{Filename: logPath(dir), Mode: logsink.FileMode(tt.give)})
			assert.Equal(t, tt.want, mode(t, logPath(dir)), "new file")

			require.NoError(t, f.Rotate(), "rotate")
			assert.Equal(t, tt.want, mode(t, logPath(dir)), "file after a rotation")
			b := backups(t, dir)
			require.Len(t, b, 1, "backups")
			assert.Equal(t, tt.want, mode(t, dir+"/"+b[0]), "backup keeps its mode")

			require.NoError(t, os.Remove(logPath(dir)), "external remove")
			require.NoError(t, f.Reopen(), "reopen")
			assert.Equal(t, tt.want, mode(t, logPath(dir)), "file made by Reopen")
		})
	}
}

func TestFileModeKeepsAnExistingFilesMode(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(logPath(dir), []byte("existing\n"), 0o600), "existing file")
	require.NoError(t, os.Chmod(logPath(dir), 0o604), "chmod existing file")

	f := newFile(t, rotate.Config{Filename: logPath(dir), Mode: 0o640})
	assert.Equal(t, os.FileMode(0o604), mode(t, logPath(dir)), "the existing file keeps its mode")
	require.NoError(t, f.Rotate(), "rotate")
	assert.Equal(t, os.FileMode(0o604), mode(t, logPath(dir)), "the file rotate makes takes its predecessor's mode, not Mode")
}

// The mode lumberjack gives a first file, and the mode an operator gave
// the file, which the next file keeps.
func TestFromLumberjackModes(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, rotate.FromLumberjack(&lumberjack.Logger{Filename: logPath(dir)}))
	assert.Equal(t, os.FileMode(0o600), mode(t, logPath(dir)), "a first file has lumberjack's 0600")
	require.NoError(t, os.Chmod(logPath(dir), 0o644), "chmod for a log shipper")
	require.NoError(t, f.Rotate(), "rotate")
	assert.Equal(t, os.FileMode(0o644), mode(t, logPath(dir)), "the new file keeps the operator's mode")
}

// An operator's chmod survives every way rotate makes a new file: a
// rotation, a Follow after the file was deleted, a Reopen after it was
// renamed. The new file takes the mode of the file it replaces.
func TestNewFileKeepsItsPredecessorsMode(t *testing.T) {
	tests := []struct {
		name string
		swap func(t *testing.T, f *rotate.File, path string)
	}{
		{name: "rotation", swap: func(t *testing.T, f *rotate.File, _ string) {
			require.NoError(t, f.Rotate(), "rotate")
		}},
		{name: "follow after a delete", swap: func(t *testing.T, f *rotate.File, path string) {
			require.NoError(t, os.Remove(path), "rm")
			reopened, _ := f.Follow() // the error reports the bytes lost with the file
			require.True(t, reopened, "follow switched")
		}},
		{name: "reopen after a rename", swap: func(t *testing.T, f *rotate.File, path string) {
			require.NoError(t, os.Rename(path, path+".1"), "mv")
			require.NoError(t, f.Reopen(), "reopen")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := logPath(dir)
			f := newFile(t, rotate.Config{Filename: path})
			_, err := f.Write([]byte("entry\n"))
			require.NoError(t, err, "write")
			require.NoError(t, os.Chmod(path, 0o644), "chmod, so that a shipper running as another user can read")
			tt.swap(t, f, path)
			assert.Equal(t, os.FileMode(0o644), mode(t, path), "the new file has the old file's mode, not Mode's 0640")
		})
	}
}

// Through a stream, as issue 24 reports it: size rotations keep the mode.
func TestStreamRotationKeepsAChmod(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	s, err := rotate.Open(rotate.Config{Filename: path, MaxSize: 4 << 10})
	require.NoError(t, err, "open")
	require.Equal(t, os.FileMode(0o640), mode(t, path), "the first file has Mode")
	require.NoError(t, os.Chmod(path, 0o644), "chmod")
	writeLines(t, s, numbered(strings.Repeat("x", 100), 200)) // about 20 KiB: several rotations
	require.NoError(t, s.Close(), "close")
	require.NotZero(t, s.Stats().Rotations, "rotations")
	assert.Equal(t, os.FileMode(0o644), mode(t, path), "the file after the rotations")
	for _, b := range backups(t, dir) {
		assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, b)), "backup %s", b)
	}
}
