package logsink

import "time"

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
