package logsink

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// maxFlushAt caps the batch that wakes the flusher, so that a huge buffer
// still reaches the destination in pieces of a sensible size.
const maxFlushAt = 1 << 20

// A Stream is a buffered, backpressured writer in front of a destination,
// modelled on a Node.js Writable stream. It is a zapcore.WriteSyncer and an
// io.ReaderFrom, and it is safe for concurrent use.
//
// Create one with New; it starts a flusher goroutine (and, if hooks are
// set, a hook goroutine) that Close stops.
type Stream struct {
	// Every Write takes mu and reads or writes the fields after it, up to
	// buf's data: they are kept together, so that a Write moves few cache
	// lines between CPUs.
	mu         sync.Mutex
	ended      bool
	needDrain  bool
	flushPhase flushPhase
	seqIn      uint64    // bytes stored since New: Stats().Bytes
	entries    uint64    // entries stored since New: Stats().Entries
	failed     error     // permanent destination failure; later entries are dropped
	flushAt    int       // pending bytes that wake the flusher
	buf        ring      // entries accepted and not yet written
	waiters    waitQueue // Block writers queued for room
	sum        summary

	seqOut    uint64        // bytes released since New: written, or lost
	drainCh   chan struct{} // closed at the next drain; made on demand by Drained
	finished  bool
	abandoned bool // End gave up waiting for a destination call

	opts  options
	out   *output
	hooks *hooks // nil without hooks
	stats counters

	spill *spilling // with WithSpill: the store, its spiller and the flight; nil without

	kick     chan struct{} // capacity 1: wakes an idle flusher
	reqs     chan request
	ending   chan struct{} // closed by End
	endBy    time.Time     // when the flusher stops retrying; set before ending is closed
	done     chan struct{} // closed when the flusher has returned
	flushErr error         // the final flush's result; read after done
	endOnce  sync.Once
	endErr   error
	closedCh chan struct{} // closed; returned by Drained when no drain is due
}

// flushPhase tells writers whether they must wake the flusher.
type flushPhase uint8

const (
	flushIdle    flushPhase = iota // waiting for a wake-up, a tick or a request
	flushWoken                     // woken, not yet running
	flushWriting                   // writing
	flushBackoff                   // waiting to retry a failed write
)

var _ zapcore.WriteSyncer = (*Stream)(nil)
var _ io.ReaderFrom = (*Stream)(nil)

// New returns a Stream that writes to dst and starts its flusher. The stream
// owns dst: Close flushes, syncs and then closes it if it is an io.Closer.
// A nil dst gives a stream whose every entry is dropped and counted, and
// whose Sync and Close report the nil destination.
//
// The buffer is allocated once, at the buffer size, so that Write never
// allocates. A spill (WithSpill) that cannot be opened is reported through
// OnError, and the stream runs without it; Open returns that error instead.
func New(dst io.Writer, opts ...Option) *Stream {
	s := newStream(dst, opts)
	var err error
	if s.opts.spillDir != "" {
		err = s.openSpill(s.opts.spillDir, s.opts.spillMax)
	}
	s.start()
	if err != nil {
		s.fail(err)
	}
	return s
}

// Open is New for options that can fail when the stream opens: it returns
// the error of a spill directory that is missing, not writable or in use
// (ErrSpillInUse), naming it, and then starts nothing; the caller still
// owns dst.
func Open(dst io.Writer, opts ...Option) (*Stream, error) {
	s := newStream(dst, opts)
	if s.opts.spillDir != "" {
		if err := s.openSpill(s.opts.spillDir, s.opts.spillMax); err != nil {
			return nil, err
		}
	}
	s.start()
	return s, nil
}

// newStream makes the stream, without starting anything.
func newStream(dst io.Writer, opts []Option) *Stream {
	s := &Stream{
		opts:     newOptions(opts),
		out:      newOutput(dst),
		kick:     make(chan struct{}, 1),
		reqs:     make(chan request),
		ending:   make(chan struct{}),
		done:     make(chan struct{}),
		closedCh: make(chan struct{}),
	}
	close(s.closedCh)
	// The flusher writes in batches of a quarter of the buffer, for few,
	// large writes; at the high-water mark if the caller set one or waits
	// for drains with OnDrain, so that the drain comes as soon as the
	// destination has taken the bytes.
	s.flushAt = min(max(s.opts.highWaterMark, min(s.opts.bufferSize/4, maxFlushAt)), s.opts.bufferSize/2)
	if s.opts.hwmSet || s.opts.onDrain != nil {
		s.flushAt = s.opts.highWaterMark
	}
	s.sum.encode = s.opts.summary
	if dst == nil {
		s.failed = errNilDestination
	}
	return s
}

// start allocates the buffer, binds the destination and starts the
// goroutines: the flusher, and the hook goroutine and the spiller if the
// stream has hooks or a spill.
func (s *Stream) start() {
	// A spill stores entries one by one, so it needs their ends too.
	s.buf = newRing(s.opts.bufferSize, s.out.needsEnds() || s.spill != nil)
	binder, isBinder := s.out.dst.(Binder)
	s.hooks = newHooks(&s.opts, isBinder)
	if isBinder {
		binder.Bind(Binding{
			Clock:        s.opts.clock,
			Hook:         s.hooks.call,
			Lost:         func(n int) { s.stats.lostBytes.Add(uint64(n)) },
			CloseTimeout: part(s.opts.closeTimeout, closeWaitPart),
		})
	}
	if s.spill != nil {
		s.spill.at = max(s.opts.bufferSize/2, s.flushAt)
		s.startSpill()
	}
	f := newFlusher(s)
	go f.run()
}

// Write buffers p as one entry and returns without waiting for the
// destination, unless the buffer is full and the policy is Block. p is copied,
// never kept. Write makes no system call and allocates nothing (but, once,
// to note the ends of more entries than a full buffer of 128-byte entries
// holds).
//
// Under Drop, an entry that does not fit, or is larger than the whole
// buffer, is dropped whole, counted and reported through OnDrop, and Write
// still returns len(p), nil: zap prints every Write error to its error
// output. Entries are also dropped and counted when a Block timeout expires
// or the destination has failed for good. After End, Write returns
// ErrClosed and changes nothing; a Write still waiting for room when End is
// called returns ErrClosed too. A Write of zero bytes before End stores and
// counts nothing and returns 0, nil. Stats count every non-empty Write that
// returns nil, as accepted or as dropped, and none that returns an error.
func (s *Stream) Write(p []byte) (int, error) {
	if err := s.put(p, s.opts.policy == Block, s.opts.blockTimeout); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteKeep writes p as an entry that waits for room whatever the policy:
// under Block as long as it takes (the block timeout does not apply), under
// Drop at most the keep timeout (WithKeepTimeout), after which it is dropped
// and counted like any other drop. NewCore and NewSlogHandler use it for
// warnings and errors.
func (s *Stream) WriteKeep(p []byte) (int, error) {
	if err := s.put(p, true, s.keepTimeout()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// keepTimeout is how long a kept entry waits for room: no bound under
// Block, the keep timeout under Drop.
func (s *Stream) keepTimeout() time.Duration {
	if s.opts.policy == Block {
		return 0
	}
	return s.opts.keepTimeout
}

// put buffers p as one entry, waiting for room at most timeout (0: as long
// as it takes) if wait is set; an entry that is refused is counted as
// dropped. A drop summary that is due goes in first, so that it sits right
// before the entry that found room.
func (s *Stream) put(p []byte, wait bool, timeout time.Duration) error {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(p) == 0 {
		// Nothing to store: an empty entry would be a record of nothing
		// at a collector, and an end equal to the one before it.
		s.mu.Unlock()
		return nil
	}
	if s.waiters.len() == 0 && s.storableLocked(len(p)) {
		s.storeLocked(p)
		yield := s.wakeFlusherLocked() || s.pressedLocked()
		if s.spill != nil { // a test, not a call, on every Write without a spill
			s.wakeSpillerLocked()
		}
		s.mu.Unlock()
		if yield {
			yieldToFlusher()
		}
		return nil
	}
	if !wait {
		return s.dropOrYieldUnlocking(p)
	}
	return s.waitUnlocking(p, timeout)
}

// storableLocked reports whether an entry of n bytes, and the drop summary
// that would go before it, can be stored now.
func (s *Stream) storableLocked(n int) bool {
	if s.failed != nil || n > len(s.buf.buf) || !s.buf.fits(n) {
		return false
	}
	if m := s.summaryBeforeLocked(n); m > 0 {
		return s.buf.fits(n + m)
	}
	return true
}

// storeLocked stores p as one entry, after the drop summary if one is due.
func (s *Stream) storeLocked(p []byte) {
	// An entry larger than the buffer is written before anything stored
	// with it, so its summary waits for the next entry.
	if len(p) <= len(s.buf.buf) && s.summaryBeforeLocked(len(p)) > 0 {
		s.storeEntryLocked(s.sum.take(&s.stats, s.opts.clock))
	}
	s.storeEntryLocked(p)
}

func (s *Stream) storeEntryLocked(p []byte) {
	if len(p) > len(s.buf.buf) {
		s.buf.putBig(p)
	} else {
		s.buf.put(p)
	}
	s.seqIn += uint64(len(p))
	s.entries++ // a plain counter: an atomic add here would wait for the copy's stores
	if s.buf.used >= s.opts.highWaterMark {
		s.needDrain = true
	}
}

// wakeFlusherLocked wakes the flusher if it is idle and a batch is
// waiting, and reports whether it did.
func (s *Stream) wakeFlusherLocked() bool {
	if s.buf.pending() < s.flushAt && s.waiters.len() == 0 {
		return false
	}
	return s.kickLocked()
}

// kickLocked wakes the flusher if it is idle, and reports whether it did.
func (s *Stream) kickLocked() bool {
	if s.flushPhase != flushIdle {
		return false
	}
	s.flushPhase = flushWoken
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return true
}

// wakeLocked wakes the flusher if it is idle, and the spiller if the ring
// is under pressure: the buffer is full.
func (s *Stream) wakeLocked() {
	s.kickLocked()
	s.wakeSpillerLocked()
}

// pressedLocked reports whether the buffer is more than half full while the
// flusher is writing. Then the flusher's write has returned, or is about to,
// and the flusher may be waiting for a CPU: with fewer CPUs than logging
// goroutines, Go's scheduler hands the flusher's CPU to the writers during
// its system call and does not give it back until a writer's time slice
// ends (up to 10ms), by when the buffer is full. A writer that yields lets
// it run; it costs the writer about a microsecond, only under pressure.
func (s *Stream) pressedLocked() bool {
	return s.flushPhase == flushWriting && s.buf.used > len(s.buf.buf)/2
}

// yieldToFlusher lets the flusher just woken run. Without the yield, on a
// busy machine with fewer CPUs than logging goroutines the flusher waits
// for a writer's time slice to end (up to 10ms) while the writers fill the
// buffer, and under Drop they then drop what the destination could have
// taken. The yield costs about a microsecond once per batch.
func yieldToFlusher() { runtime.Gosched() }

// dropOrYieldUnlocking refuses p under Drop. If the flusher has been woken but
// has not run yet, the writer first yields to it once and tries again, so
// that an entry is dropped only when the destination is really behind.
func (s *Stream) dropOrYieldUnlocking(p []byte) error {
	if s.flushPhase == flushWoken && s.failed == nil && len(p) <= len(s.buf.buf) {
		s.mu.Unlock()
		yieldToFlusher()
		s.mu.Lock()
		if s.ended {
			s.mu.Unlock()
			return ErrClosed
		}
		if s.waiters.len() == 0 && s.storableLocked(len(p)) {
			s.storeLocked(p)
			s.wakeFlusherLocked()
			if s.spill != nil { // a test, not a call, on every Write without a spill
				s.wakeSpillerLocked()
			}
			s.mu.Unlock()
			return nil
		}
	}
	s.dropLocked(len(p))
	s.wakeLocked() // the buffer is full: whatever the threshold, there is work
	s.mu.Unlock()
	return nil
}

// waitUnlocking queues p for room and waits until it is stored, the timeout
// (if > 0) passes, the stream ends or the destination fails for good.
// Under Drop, an entry larger than the whole buffer is dropped at once.
// It unlocks the stream.
func (s *Stream) waitUnlocking(p []byte, timeout time.Duration) error {
	if s.failed != nil || (len(p) > len(s.buf.buf) && s.opts.policy == Drop) {
		s.dropLocked(len(p))
		s.mu.Unlock()
		return nil
	}
	w := s.waiters.add(p)
	s.admitLocked()
	var deadline *time.Ticker
	timedOut := false
	for !w.stored {
		if s.ended || s.failed != nil || timedOut {
			s.waiters.remove(w)
			s.admitLocked() // the next in line may fit where this one did not
			if !s.ended {
				s.dropLocked(len(p)) // an ErrClosed is not counted, as after End
			}
			break
		}
		if timeout > 0 && deadline == nil {
			deadline = s.opts.clock.NewTicker(timeout)
		}
		s.wakeLocked()
		s.mu.Unlock()
		select {
		case <-w.ready:
		case <-tickerC(deadline):
			timedOut = true
		}
		s.mu.Lock()
	}
	closed := s.ended && !w.stored
	s.waiters.recycle(w)
	s.mu.Unlock()
	if deadline != nil {
		deadline.Stop()
	}
	if closed {
		return ErrClosed
	}
	return nil
}

// tickerC returns t's channel, or nil (never ready) for no ticker.
func tickerC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// admitLocked stores the entries of waiting writers, first in line first,
// as long as they fit, and wakes their writers. An entry larger than the
// whole buffer is stored once the buffer is empty.
func (s *Stream) admitLocked() {
	for w := s.waiters.front(); w != nil; w = s.waiters.front() {
		if s.failed != nil {
			return
		}
		big := len(w.p) > len(s.buf.buf)
		if big && s.buf.used > 0 || !big && !s.storableLocked(len(w.p)) {
			return
		}
		s.storeLocked(w.p)
		s.waiters.popFront()
	}
}

// dropLocked counts a refused entry and reports it through OnDrop.
func (s *Stream) dropLocked(n int) {
	s.stats.dropped.Add(1)
	s.stats.droppedBytes.Add(uint64(n))
	s.hooks.drop(n)
}

// NeedDrain reports whether the buffer has reached the high-water mark since
// the last drain: Node's write() returning false. A well-behaved producer
// then waits for Drained.
func (s *Stream) NeedDrain() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needDrain
}

// Drained returns a channel that is closed when the buffer has emptied after
// reaching the high-water mark, Node's 'drain' event. When no drain is due it
// returns a closed channel.
//
// A producer waiting for it starts the flusher at once. It is closed, and
// NeedDrain is false, once the destination has failed for good (what was
// buffered is lost and counted) and once Close or End has returned,
// whatever they met: a loop waiting for drains never outlives the stream.
func (s *Stream) Drained() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.needDrain {
		return s.closedCh
	}
	if s.drainCh == nil {
		s.drainCh = make(chan struct{})
	}
	// A producer waits for the drain: write now rather than at the next
	// batch or tick.
	s.kickLocked()
	return s.drainCh
}

// drainedLocked ends a due drain once the buffer is empty and reports
// whether it did, so that the caller fires OnDrain.
func (s *Stream) drainedLocked() bool {
	if !s.needDrain || s.buf.used > 0 {
		return false
	}
	s.endDrainLocked()
	return true
}

// endDrainLocked ends a due drain: NeedDrain turns false and a producer
// waiting on Drained goes on.
func (s *Stream) endDrainLocked() {
	s.needDrain = false
	if s.drainCh != nil {
		close(s.drainCh)
		s.drainCh = nil
	}
}

// Buffered returns the number of bytes accepted and not yet taken by the
// destination, including a chunk being written right now: Node's
// writableLength.
func (s *Stream) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.used
}

// HighWaterMark returns the high-water mark in bytes.
func (s *Stream) HighWaterMark() int { return s.opts.highWaterMark }

// Ended reports whether End or Close has been called.
func (s *Stream) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Finished reports whether End has written and synced everything: Node's
// writableFinished.
func (s *Stream) Finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}

// Stats returns the stream's counters. It holds the stream's lock for a
// moment, and is cheap enough to call on every scrape.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	st := s.stats.snapshot()
	st.Entries, st.Bytes = s.entries, s.seqIn
	s.mu.Unlock()
	s.spill.addStats(&st)
	return st
}

// String describes the stream for debugging.
func (s *Stream) String() string {
	return fmt.Sprintf("logsink.Stream(%T, policy=%s)", s.out.dst, s.opts.policy)
}
