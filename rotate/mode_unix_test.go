//go:build unix

package rotate_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
