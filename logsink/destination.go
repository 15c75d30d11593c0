package logsink

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/entryends"
)

// A Rotator is a destination that can switch to a new file. The stream
// flushes and syncs everything buffered before it calls Rotate.
type Rotator interface {
	Rotate() error
}

// A Reopener is a destination that can close and reopen its file at the
// same path, after an external tool such as logrotate renamed it.
type Reopener interface {
	Reopen() error
}

// A SizeRotator is a destination that rotates when it reaches a size. The
// flusher asks it before each write and rotates between entries, so no entry
// is split across two files and a file exceeds its limit only by a single
// entry larger than the limit on its own.
type SizeRotator interface {
	Rotator
	// SizeLimit returns the current file's size and the size at which it
	// rotates; a limit <= 0 means no size limit.
	SizeLimit() (size, limit int64)
}

// A TimeRotator is a destination that rotates on the clock. The flusher
// rotates it at the times it names, in order with the data.
type TimeRotator interface {
	Rotator
	// NextRotation returns the first rotation time after now, or the zero
	// time for none.
	NextRotation(now time.Time) time.Time
}

// An EntryWriter is a destination that frames each entry on its own, such as
// a network connection sending one syslog message per entry. The flusher
// calls WriteEntries instead of Write, with the end offset in p of each
// entry, so entries are known exactly rather than guessed from newlines.
// WriteEntries returns the bytes of p it took; the stream keeps the rest,
// with its entry ends, for the next call. A destination that is also a
// SizeRotator gets Write instead.
type EntryWriter interface {
	WriteEntries(p []byte, ends []int) (n int, err error)
}

// A Follower is a destination that can check it still writes where it
// should, such as a file whose path another tool may have renamed or
// deleted. The flusher calls Follow once per flush interval, in order with
// the data; Follow reports whether it switched to a new file, which the
// stream counts in Stats().Reopens.
type Follower interface {
	Follow() (reopened bool, err error)
}

// A Binder is a destination that uses services of the stream it is given
// to. New calls Bind once, before the flusher starts.
type Binder interface {
	Bind(Binding)
}

// Binding is what a stream offers the destination it owns.
type Binding struct {
	// Clock is the stream's clock (WithClock), for the times the
	// destination records, such as backup names.
	Clock zapcore.Clock
	// Hook runs f on the goroutine that runs the stream's own hooks, in
	// order with its events and never concurrently with them, so that f
	// may log through the stream (rotate's AfterRotate uses it). It never
	// waits for f.
	Hook func(f func())
	// Lost counts n bytes that the destination accepted and then lost
	// (a connection that ended before its peer read them) in
	// Stats().LostBytes.
	Lost func(n int)
	// CloseTimeout is how long the destination's Close may wait, for a
	// peer to confirm what it received, say: the part of the stream's
	// close timeout (WithCloseTimeout) left for it, which bounds Close as a
	// whole. A Close that takes longer makes the stream's Close give up on
	// it.
	CloseTimeout time.Duration
}

// ErrBadEnds is the error CheckEnds returns for entry ends that do not fit
// their bytes: a bug in the stream, never in the caller's data. A stream
// whose EntryWriter returns it (with n == 0) counts the batch as lost in
// Stats().LostBytes, reports it once through OnError and does not retry it.
// Test with errors.Is.
var ErrBadEnds = errors.New("logsink: entry ends do not fit the batch (a bug)")

// CheckEnds reports, for an EntryWriter about to slice p at ends, whether
// the ends are what the stream promises: at least one, strictly increasing,
// the first above 0 and the last exactly len(p), so that no entry is empty
// and none is cut or merged. A nil ends with an empty p is valid. The error
// wraps ErrBadEnds and says which end is wrong.
func CheckEnds(p []byte, ends []int) error {
	if err := entryends.Check(p, ends, 0); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEnds, err)
	}
	return nil
}
