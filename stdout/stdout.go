package stdout

import (
	"os"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// DefaultFlushInterval is the flush interval of the streams this package
// makes, unless an option says otherwise: a line logged at a trickle shows
// up in `kubectl logs -f` or `docker logs -f` within 100ms, and a process
// killed without warning (OOM killer, SIGKILL after the grace period) loses
// at most about that much quiet-time logging. logsink's own default is 1s.
const DefaultFlushInterval = 100 * time.Millisecond

// defaults are applied before the caller's options, so the caller's win.
func defaults() []logsink.Option {
	return []logsink.Option{logsink.WithFlushInterval(DefaultFlushInterval)}
}

// New returns a stream that writes to the process's standard output, as
// os.Stdout is at the time of the call, with this package's defaults
// (DefaultFlushInterval) followed by opts. Closing the stream flushes it
// but leaves standard output open.
func New(opts ...logsink.Option) *logsink.Stream {
	return NewFileStream(os.Stdout, opts...)
}

// NewStderr returns a stream that writes to the process's standard error, as
// os.Stderr is at the time of the call, with this package's defaults
// followed by opts. Closing the stream flushes it but leaves standard error
// open.
func NewStderr(opts ...logsink.Option) *logsink.Stream {
	return NewFileStream(os.Stderr, opts...)
}

// NewFileStream returns a stream that writes to f the way New writes to
// standard output: with this package's defaults followed by opts, a Sync
// that treats "cannot sync this kind of file" as success, and a Close that
// never closes f. The caller keeps f and closes it, if it wants to, after
// closing the stream. A nil f gives a stream whose every entry is dropped
// and counted and whose Sync and Close report the nil destination.
//
// (It was NewFile, a name that rotate.NewFile uses for a destination
// rather than a stream.)
func NewFileStream(f *os.File, opts ...logsink.Option) *logsink.Stream {
	all := append(defaults(), opts...)
	if f == nil {
		return logsink.New(nil, all...)
	}
	return logsink.New(file{f: f}, all...)
}

// file is the destination of the streams this package makes. It has no
// Close method, so Stream.Close leaves the descriptor open.
type file struct {
	f *os.File
}

// Write writes p to the file.
func (d file) Write(p []byte) (int, error) { return d.f.Write(p) }

// Sync syncs the file. A pipe, terminal, socket, /dev/null or Windows
// console cannot be synced: the error that says so (EINVAL, ENOTSUP,
// ENOTTY, ERROR_INVALID_HANDLE) the stream's own Sync takes as success.
func (d file) Sync() error { return d.f.Sync() }
