package logsink

import (
	"errors"
	"io"
	"io/fs"
	"syscall"
)

var (
	// ErrClosed is returned by Write, WriteKeep, End and the other requests
	// once End or Close has been called, like Node's
	// ERR_STREAM_WRITE_AFTER_END. Test with errors.Is.
	ErrClosed = errors.New("logsink: stream is closed")

	// ErrNotRotatable is returned by Rotate when the destination has no
	// Rotate method. Test with errors.Is.
	ErrNotRotatable = errors.New("logsink: destination cannot rotate")

	// ErrNotReopenable is returned by Reopen when the destination has no
	// Reopen method. Test with errors.Is.
	ErrNotReopenable = errors.New("logsink: destination cannot reopen")

	// ErrLeftInSpill is returned by Close when the destination did not
	// take everything within the close timeout and the rest is kept in the
	// spill directory, for the next stream on it: not lost. Test with
	// errors.Is.
	ErrLeftInSpill = errors.New("logsink: entries left in the spill")

	errNilDestination = errors.New("logsink: nil destination")
)

// isPermanent reports whether a destination error cannot heal by retrying:
// the reader went away, the descriptor is bad, or the file was closed.
func isPermanent(err error) bool {
	return errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EBADF) ||
		errors.Is(err, fs.ErrClosed) ||
		errors.Is(err, io.ErrClosedPipe) ||
		errors.Is(err, errNilDestination)
}

// isIgnorableSync reports whether an error from a destination's Sync only
// says that the descriptor cannot be synced (a pipe, a terminal, /dev/null,
// a socket, a Windows console), which is not a failure to deliver data.
func isIgnorableSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) ||
		errors.Is(err, syscall.ENOTTY) ||
		isIgnorableSyncOS(err)
}
