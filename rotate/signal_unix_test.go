//go:build unix

package rotate_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/streamsink/streamsink/rotate"
)

// reopenFunc is a logsink.Reopener.
type reopenFunc func() error

func (f reopenFunc) Reopen() error { return f() }

func TestReopenOnSignal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	// Not following, so that only the signal can switch files.
	s, err := rotate.Open(rotate.Config{Filename: logPath(dir), Follow: rotate.Off})
	require.NoError(t, err, "open")

	reopened := make(chan error, 1)
	stop := rotate.ReopenOnSignal(reopenFunc(func() error {
		err := s.Reopen()
		reopened <- err
		return err
	}))

	before, after := numbered("before", 10), numbered("after", 10)
	writeLines(t, s, before)
	moved := logPath(dir) + ".1"
	require.NoError(t, os.Rename(logPath(dir), moved), "logrotate's rename")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP), "send SIGHUP")
	assert.NoError(t, receive(t, reopened, "the reopen on SIGHUP"), "reopen")
	writeLines(t, s, after)

	stop()
	stop() // idempotent
	require.NoError(t, s.Close(), "close")
	assert.Equal(t, before, lines(t, moved), "entries before the signal are in the renamed file")
	assert.Equal(t, after, lines(t, logPath(dir)), "entries after it are in the reopened file")
	assert.Equal(t, uint64(1), s.Stats().Reopens, "Stats().Reopens confirms the SIGHUP worked")
}
