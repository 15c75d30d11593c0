//go:build unix

package rotate_test

// lumberjack v2.2.1's linux_test.go, ported like lumberjack_port_test.go.
// lumberjack's owner tests fake chown; these change the owner for real, so
// they need root (CI runs as root; elsewhere they are skipped).

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/natefinch/lumberjack.v2"
)

// needRoot skips a test that changes owners unless it runs as root, and
// fails it under CI=true.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("changing a file's owner needs root")
	}
	t.Skip("changing a file's owner needs root")
}

func owner(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err, "stat %s", path)
	st := info.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// waitGone waits for the background compression to remove path.
func waitGone(t *testing.T, path string) {
	t.Helper()
	require.Eventually(t, func() bool { _, err := os.Stat(path); return os.IsNotExist(err) }, 20*time.Second, time.Millisecond,
		"%s is compressed and removed", path)
}

// lumberjack creates the file 0600 first, its own mode too; 0644 here
// shows that the mode comes from the file, not from a default.
func TestLumberjackMaintainMode(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	require.NoError(t, os.WriteFile(ljLogFile(dir), nil, 0o600), "the file")
	require.NoError(t, os.Chmod(ljLogFile(dir), 0o644), "chmod")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxBackups: 1, MaxSize: 100}, clock)
	ljWrite(t, s, []byte("boo!"))
	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	assert.Equal(t, os.FileMode(0o644), mode(t, ljLogFile(dir)), "the new file")
	assert.Equal(t, os.FileMode(0o644), mode(t, ljBackupFile(dir, clock)), "the backup")
}

func TestLumberjackMaintainOwner(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	clock := ljClock()
	require.NoError(t, os.WriteFile(ljLogFile(dir), nil, 0o644), "the file")
	require.NoError(t, os.Chown(ljLogFile(dir), 555, 666), "chown")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxBackups: 1, MaxSize: 100}, clock)
	ljWrite(t, s, []byte("boo!"))
	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	uid, gid := owner(t, ljLogFile(dir))
	assert.Equal(t, [2]uint32{555, 666}, [2]uint32{uid, gid}, "the new file's owner and group")
}

func TestLumberjackCompressMaintainMode(t *testing.T) {
	dir := t.TempDir()
	clock := ljClock()
	require.NoError(t, os.WriteFile(ljLogFile(dir), nil, 0o600), "the file")
	require.NoError(t, os.Chmod(ljLogFile(dir), 0o644), "chmod")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxBackups: 1, MaxSize: 100, Compress: true}, clock)
	ljWrite(t, s, []byte("boo!"))
	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	backup := ljBackupFile(dir, clock)
	waitGone(t, backup)
	assert.Equal(t, os.FileMode(0o644), mode(t, ljLogFile(dir)), "the new file")
	assert.Equal(t, os.FileMode(0o644), mode(t, backup+".gz"), "the compressed backup")
}

func TestLumberjackCompressMaintainOwner(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	clock := ljClock()
	require.NoError(t, os.WriteFile(ljLogFile(dir), nil, 0o644), "the file")
	require.NoError(t, os.Chown(ljLogFile(dir), 555, 666), "chown")
	s := ljOpen(t, &lumberjack.Logger{Filename: ljLogFile(dir), MaxBackups: 1, MaxSize: 100, Compress: true}, clock)
	ljWrite(t, s, []byte("boo!"))
	twoDaysLater(clock)
	require.NoError(t, s.Rotate(), "rotate")
	backup := ljBackupFile(dir, clock)
	waitGone(t, backup)
	uid, gid := owner(t, backup+".gz")
	assert.Equal(t, [2]uint32{555, 666}, [2]uint32{uid, gid}, "the compressed backup's owner and group")
}
