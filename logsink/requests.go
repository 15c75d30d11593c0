package logsink

import (
	"fmt"
	"os"
)

type requestKind int

const (
	reqFlush requestKind = iota
	reqSync
	reqRotate
	reqReopen
)

var requestNames = [...]string{reqFlush: "flush", reqSync: "sync", reqRotate: "rotate", reqReopen: "reopen"}

type request struct {
	kind  requestKind
	reply chan error
}

// Sync writes everything buffered, then syncs the destination if it has a
// Sync method. With a spill (WithSpill), it returns once everything
// accepted is in the destination or in the spill, synced; it does not wait
// for a destination that is slow or down. EINVAL, ENOTSUP and ENOTTY from the destination's Sync (pipes,
// terminals, /dev/null) are not errors.
//
// Sync returns an error only for what it could not do now: a write or sync
// that fails, or the permanent failure of the destination. A failure that a
// retry has since healed is not returned; OnError and Stats().Errors report
// every failure. Close follows the same rule. Sync waits at most the close
// timeout (WithCloseTimeout) for the flusher; past it, it returns an error
// matching os.ErrDeadlineExceeded and the flush goes on.
func (s *Stream) Sync() error { return s.request(reqSync) }

// Flush writes everything buffered to the destination, without syncing it.
// It waits at most the close timeout, like Sync. With a spill, what the
// destination cannot take now goes to the spill instead, as for Sync.
func (s *Stream) Flush() error { return s.request(reqFlush) }

// Rotate writes everything buffered, syncs the destination and then calls
// its Rotate method: entries whose Write returned before Rotate was called
// are in the old file, entries written after Rotate returned in the new one.
// It returns ErrNotRotatable if the destination has no Rotate method.
func (s *Stream) Rotate() error {
	if s.out.rotator == nil {
		return ErrNotRotatable
	}
	return s.request(reqRotate)
}

// Reopen writes everything buffered, syncs the destination and then calls
// its Reopen method, for files renamed under the stream by an external tool
// such as logrotate; Stats().Reopens counts it. It returns ErrNotReopenable
// if the destination has no Reopen method.
func (s *Stream) Reopen() error {
	if s.out.reopener == nil {
		return ErrNotReopenable
	}
	return s.request(reqReopen)
}

// request has the flusher run a request, in order with the data, and waits
// at most the close timeout for it.
func (s *Stream) request(kind requestKind) error {
	if s.Ended() {
		return ErrClosed
	}
	r := request{kind: kind, reply: make(chan error, 1)}
	deadline := s.opts.clock.NewTicker(s.opts.closeTimeout)
	defer deadline.Stop()
	if s.spill != nil && (kind == reqSync || kind == reqFlush) {
		select {
		case s.reqs <- r:
		default:
			// The flusher is writing, perhaps to a destination that
			// does not take data: make everything durable in the spill
			// without it.
			return s.syncToSpill(deadline.C, kind)
		}
	} else {
		select {
		case s.reqs <- r:
		case <-s.done:
			return ErrClosed
		case <-deadline.C:
			return s.timedOut(kind)
		}
	}
	select {
	case err := <-r.reply:
		return err
	case <-deadline.C:
		return s.timedOut(kind)
	}
}

func (s *Stream) timedOut(kind requestKind) error {
	return fmt.Errorf("logsink: %s: the destination did not finish within the close timeout (%s): %w",
		requestNames[kind], s.opts.closeTimeout, os.ErrDeadlineExceeded)
}
