package logsink

import (
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink/internal/spill"
)

// Defaults used when an option is not given, or given a value <= 0.
const (
	DefaultHighWaterMark = 16 << 10
	DefaultBufferSize    = 1 << 20
	DefaultFlushInterval = time.Second
	DefaultCloseTimeout  = 5 * time.Second
	DefaultKeepTimeout   = time.Second
)

// Bounds that New clamps to and Config.Validate enforces: a larger buffer
// would be a configuration mistake rather than a log buffer, and a shorter
// flush interval a busy loop.
const (
	MaxBufferSize    = 1 << 30
	MinFlushInterval = time.Millisecond
)

// An Option configures a Stream. Nil options are ignored.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	highWaterMark int
	hwmSet        bool // the caller chose the high-water mark
	bufferSize    int
	policy        Policy
	blockTimeout  time.Duration
	flushInterval time.Duration
	closeTimeout  time.Duration
	keepTimeout   time.Duration
	clock         zapcore.Clock
	summary       SummaryFunc
	spillDir      string
	spillMax      int64
	spillFS       spill.FS // the spill's file system: the directory, or a test's simulated disk

	onDrain  func()
	onError  func(error)
	onFinish func()
	onClose  func()
	onDrop   func(entries, bytes int)
}

func newOptions(opts []Option) options {
	o := options{
		highWaterMark: DefaultHighWaterMark,
		bufferSize:    DefaultBufferSize,
		flushInterval: DefaultFlushInterval,
		closeTimeout:  DefaultCloseTimeout,
		keepTimeout:   DefaultKeepTimeout,
		clock:         zapcore.DefaultClock,
	}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	o.bufferSize = min(o.bufferSize, MaxBufferSize)
	o.highWaterMark = min(o.highWaterMark, o.bufferSize)
	o.flushInterval = max(o.flushInterval, MinFlushInterval)
	return o
}

// WithHighWaterMark sets the number of buffered bytes at which NeedDrain
// reports true and the flusher starts writing, like Node's highWaterMark. It
// is clamped to the buffer size. Defaults to 16 KiB if unspecified or n <= 0;
// then the flusher writes in larger batches, a quarter of the buffer (at
// most 1 MiB), for fewer system calls, or sooner when a producer waits for
// the drain (Drained, OnDrain).
func WithHighWaterMark(n int) Option {
	return optionFunc(func(o *options) {
		if n > 0 {
			o.highWaterMark, o.hwmSet = n, true
		}
	})
}

// WithBufferSize sets the hard cap on buffered bytes; past it the policy
// decides. It is clamped to MaxBufferSize (1 GiB). Defaults to 1 MiB if
// unspecified or n <= 0.
func WithBufferSize(n int) Option {
	return optionFunc(func(o *options) {
		if n > 0 {
			o.bufferSize = n
		}
	})
}

// WithPolicy sets what Write does when the buffer is full. Defaults to Block
// if unspecified.
func WithPolicy(p Policy) Option {
	return optionFunc(func(o *options) {
		if p == Block || p == Drop {
			o.policy = p
		}
	})
}

// WithBlockTimeout bounds how long a Write under the Block policy waits for
// room; after d the entry is dropped and counted. Defaults to 0 (wait as long
// as it takes) if unspecified or d <= 0. WriteKeep ignores it.
func WithBlockTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.blockTimeout = d
		}
	})
}

// WithFlushInterval sets how often the flusher writes whatever is buffered,
// however little. It is clamped to at least MinFlushInterval (1ms).
// Defaults to 1s if unspecified or d <= 0.
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.flushInterval = d
		}
	})
}

// WithCloseTimeout bounds End and Close in every case: a destination that
// keeps failing is retried until half of it, one whose call never returns
// is given up on (what it held is counted lost, or saved in the spill),
// and the hooks run to OnClose within it. It also bounds each Sync, Flush,
// Rotate and Reopen, which return an error matching os.ErrDeadlineExceeded
// past it. Defaults to 5s if unspecified or d <= 0.
func WithCloseTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.closeTimeout = d
		}
	})
}

// WithKeepTimeout bounds how long an entry written with WriteKeep (NewCore's
// warnings and errors) waits for room under the Drop policy; after d it is
// dropped and counted like any other drop, and the next drop summary
// includes it. Under Block, WriteKeep waits as long as it takes, like Write
// without a block timeout. Defaults to 1s if unspecified or d <= 0.
func WithKeepTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.keepTimeout = d
		}
	})
}

// A SummaryFunc appends to b one encoded entry, with its line ending, that
// reports entries dropped since the previous summary: how many and how many
// bytes, at time at. The stream writes it where the gap is. It is called
// with the stream's lock held, so it must only encode: it must not call the
// stream.
type SummaryFunc func(b []byte, at time.Time, entries, bytes uint64) []byte

// WithDropSummary sets how the stream marks a gap in the log: after entries
// were dropped, the next entry accepted is preceded by the summary f
// encodes, both or neither; Sync, Flush, Close and the next flush interval
// write a summary still pending. NewCore and NewSlogHandler set one in their
// own encoding when the stream has none. Defaults to none (drops are only
// counted) if unspecified or nil.
func WithDropSummary(f SummaryFunc) Option {
	return optionFunc(func(o *options) {
		if f != nil {
			o.summary = f
		}
	})
}

// DefaultSpillMaxSize is the most a spill holds on disk when WithSpill is
// given no size.
const DefaultSpillMaxSize = 1 << 30

// WithSpill puts a spill on disk between the buffer and the destination:
// when the destination cannot keep up (it fails, backs off, or the buffer
// stays half full), the stream appends what it buffers to segment files in
// dir instead of waiting, and feeds the destination from the oldest
// segment once it takes data again. Writers still only copy into memory.
// Bytes reach the destination in the order their Writes returned. The
// policy applies only once maxBytes (records included) are on disk.
// Defaults to no spill if unspecified or dir is empty; maxBytes <= 0 means
// DefaultSpillMaxSize (1 GiB).
//
// dir must exist and be writable, and only one stream may use it at a
// time. A stream started on a directory that holds segments (a crash, or a
// Close that ran out of time) sends them first. Open returns the error
// when the spill cannot be opened; New reports it through OnError and runs
// without a spill.
func WithSpill(dir string, maxBytes int64) Option {
	return optionFunc(func(o *options) {
		o.spillDir, o.spillMax = dir, maxBytes
		if maxBytes <= 0 {
			o.spillMax = DefaultSpillMaxSize
		}
	})
}

// withSpillFS puts the spill on fsys instead of the directory's own file
// system: the seam through which crash tests give a stream a simulated
// disk that loses what was not synced at a power cut. WithSpill still
// names the directory (for messages) and the size.
func withSpillFS(fsys spill.FS) Option {
	return optionFunc(func(o *options) { o.spillFS = fsys })
}

// WithClock sets the source of time for the flush interval, retry backoff,
// block timeouts and time-triggered rotation. Defaults to
// zapcore.DefaultClock if unspecified or nil.
func WithClock(c zapcore.Clock) Option {
	return optionFunc(func(o *options) {
		if c != nil {
			o.clock = c
		}
	})
}

// Hooks run on the stream's hook goroutine, one at a time, in the order
// the events happened, never with the stream's lock held; they may write
// to and log through their own stream (see the package documentation).

// OnDrain sets a hook called when the buffer has emptied after NeedDrain
// reported true, like Node's 'drain' event.
func OnDrain(f func()) Option {
	return optionFunc(func(o *options) { o.onDrain = f })
}

// OnError sets a hook called for every destination failure: write, sync,
// rotate, reopen, close and spill errors, like Node's 'error' event. If more
// than 64 errors wait for a slow hook, the rest are only counted in
// Stats().Errors.
func OnError(f func(error)) Option {
	return optionFunc(func(o *options) { o.onError = f })
}

// OnFinish sets a hook called once, after End when everything buffered has
// been written and the destination synced, like Node's 'finish' event. It is
// not called when the final flush fails.
func OnFinish(f func()) Option {
	return optionFunc(func(o *options) { o.onFinish = f })
}

// OnClose sets a hook called once, after the destination has been closed
// (or after Close gave up on a destination call that did not return), like
// Node's 'close' event. Close returns after it has run.
func OnClose(f func()) Option {
	return optionFunc(func(o *options) { o.onClose = f })
}

// OnDrop sets a hook that reports refused entries. Drops that happen while
// the hook runs are gathered, so one call may cover several entries:
// entries and bytes count those refused since the previous call.
func OnDrop(f func(entries, bytes int)) Option {
	return optionFunc(func(o *options) { o.onDrop = f })
}
