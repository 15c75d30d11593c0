//go:build unix

package stdout

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unsyncable opens one file of each kind whose fsync fails, by kind, and
// closes them when the test ends. A kind the system lacks is left out.
func unsyncable(t *testing.T) map[string]*os.File {
	t.Helper()
	files := map[string]*os.File{}

	r, w, err := os.Pipe()
	require.NoError(t, err, "os.Pipe")
	t.Cleanup(func() { r.Close(); w.Close() })
	files["pipe"] = w

	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err, "open %s", os.DevNull)
	t.Cleanup(func() { null.Close() })
	files["dev null"] = null

	// A pseudo-terminal master is a terminal device, where one exists.
	if tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0); err == nil {
		t.Cleanup(func() { tty.Close() })
		files["terminal"] = tty
	} else {
		t.Logf("no terminal device: %v", err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err, "socketpair")
	sock, peer := os.NewFile(uintptr(fds[0]), "socket"), os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { sock.Close(); peer.Close() })
	files["socket"] = sock
	return files
}

// The stream's Sync takes "cannot sync this kind of file" as success; the
// destination passes the error on, so the errno list lives in one place,
// logsink's.
func TestStreamSyncCannotSync(t *testing.T) {
	for name, f := range unsyncable(t) {
		t.Run(name, func(t *testing.T) {
			require.Error(t, f.Sync(), "precondition: os.File.Sync on a %s fails", name)
			assert.Error(t, file{f: f}.Sync(), "the destination passes the error on")
			s := NewFileStream(f)
			assert.NoError(t, s.Sync(), "Sync on a %s is success", name)
			assert.Zero(t, s.Stats().Errors, "and not counted as an error")
			assert.NoError(t, s.Close(), "Close")
		})
	}
}
