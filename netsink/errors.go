package netsink

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

var (
	// ErrClosed is returned by Write after Close. errors.Is matches it
	// with logsink.ErrClosed, as every write-after-close error of this
	// module, and with fs.ErrClosed, so that a stream treats it as a
	// permanent failure. Test with errors.Is.
	ErrClosed error = closedError{}

	// ErrNotConnected is the cause of the error Write returns while the
	// connection is down and the next dial attempt is not yet due. Test with
	// errors.Is.
	ErrNotConnected = errors.New("netsink: not connected, waiting to reconnect")

	// ErrPeerClosed is the cause of the error Write returns when it finds
	// that the collector has closed the connection. Test with errors.Is.
	ErrPeerClosed = errors.New("netsink: connection closed by the peer")

	// ErrNotConfirmed is the cause of the error Close returns when the
	// collector did not close its end of the connection within the close
	// wait, so what was written to it is not known to have been read.
	// Test with errors.Is.
	ErrNotConfirmed = errors.New("netsink: delivery not confirmed")
)

// closedError is ErrClosed's type.
type closedError struct{}

func (closedError) Error() string { return "netsink: connection closed" }

// Is reports whether target is logsink.ErrClosed or fs.ErrClosed.
func (closedError) Is(target error) bool {
	return target == logsink.ErrClosed || target == fs.ErrClosed
}

// waitError is the cause of a wait after a failed dial: ErrNotConnected,
// with the error of the last dial, so that what Sync and Close report
// says why the stream is not connected.
type waitError struct{ last error }

func (e *waitError) Error() string {
	last := e.last
	if oe, ok := last.(*net.OpError); ok && oe.Err != nil {
		last = oe.Err // its network and address are the ConnError's
	}
	return ErrNotConnected.Error() + " (last dial: " + last.Error() + ")"
}

// Unwrap returns ErrNotConnected and the dial's error.
func (e *waitError) Unwrap() []error { return []error{ErrNotConnected, e.last} }

// A ConnError reports a failure to dial or to write: the stream in front of
// the Conn counts it, reports it through its OnError hook, keeps the entries
// not yet delivered and retries.
//
// ConnError does not unwrap to Err. A stream stops writing for good when
// its destination returns EPIPE, EBADF or a closed-file error, which is
// right for a pipe whose reader left but wrong for a socket, whose collector
// may come back. Read the cause with errors.As and the Err field; errors.Is
// matches ErrNotConnected, ErrPeerClosed and ErrNotConfirmed.
type ConnError struct {
	// Op is "dial", "write", "wait" (the connection is down and the next
	// dial attempt is not due yet), "check" (the once-per-flush-interval
	// check found the connection closed or reset while idle) or "close"
	// (Close could not confirm delivery).
	Op string
	// Network and Address are the Conn's.
	Network, Address string
	// Err is the cause.
	Err error
	// Retry is the time until the next dial attempt: zero when the next
	// Write dials at once, or when the connection is still up (a write that
	// timed out continues on the same connection).
	Retry time.Duration
	// LostEntries and LostBytes are the entries, and their bytes as the
	// stream gave them, that were written to a connection that then ended
	// (closed or reset by the collector, a failed write, or a Close that
	// could not confirm delivery) before the collector was shown to have
	// them: possibly lost, and counted in Stats().LostEntries and
	// LostBytes and in the stream's Stats().LostBytes.
	LostEntries, LostBytes int
}

// Error describes the failure, the address and when the next dial is due.
func (e *ConnError) Error() string {
	cause := e.Err
	if oe, ok := cause.(*net.OpError); ok && oe.Op == e.Op && oe.Err != nil {
		cause = oe.Err // its Op, network and address are ours
	}
	msg := fmt.Sprintf("netsink: %s %s %s: %v", e.Op, e.Network, e.Address, cause)
	if e.LostEntries > 0 {
		msg += fmt.Sprintf("; %d entries (%d bytes) written to it possibly lost", e.LostEntries, e.LostBytes)
	}
	if e.Retry > 0 {
		msg += fmt.Sprintf(" (next dial in %s)", e.Retry.Round(time.Millisecond))
	}
	return msg
}

// Is reports whether target is ErrNotConnected, ErrPeerClosed or
// ErrNotConfirmed and the cause is that error.
func (e *ConnError) Is(target error) bool {
	return (target == ErrNotConnected || target == ErrPeerClosed || target == ErrNotConfirmed) && errors.Is(e.Err, target)
}

// RetryAfter returns Retry: a stream in front of the Conn waits at least
// that long before it writes again, so it does not call Write while the
// Conn would only answer that it is waiting to redial.
func (e *ConnError) RetryAfter() time.Duration { return e.Retry }

// Timeout reports whether the cause is a timeout: a dial or write that did
// not finish in time.
func (e *ConnError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}
