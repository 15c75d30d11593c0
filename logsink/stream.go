package logsink

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// Retry backoff after a failed write: it starts at minBackoff, doubles after
// each failure, and stops growing at maxBackoff.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// A Stream is a buffered, backpressured writer in front of a destination,
// modelled on a Node.js Writable stream. It is a zapcore.WriteSyncer and an
// io.ReaderFrom, and it is safe for concurrent use.
//
// Create one with New; it starts a flusher goroutine that Close stops.
type Stream struct {
	dst      io.Writer
	syncer   interface{ Sync() error }
	sizer    SizeRotator
	entryW   EntryWriter
	track    bool // keep entry ends: the destination is a SizeRotator or an EntryWriter
	timeRot  TimeRotator
	follower Follower
	opts     options
	stats    counters

	mu          sync.Mutex
	active      []byte        // entries accepted and not yet taken by the flusher
	ends        []int         // end offset of each entry in active, kept only if track is set
	buffered    int           // bytes accepted and not yet written: active plus the flusher's rest
	kicked      bool          // a wake-up for the flusher is pending
	needDrain   bool          // buffered reached the high-water mark since the last drain
	drainCh     chan struct{} // closed at the next drain; made on demand by Drained
	waiters     []*waiter     // Block writers queued for room, first in line first
	reserved    int           // room granted to waiters that have not yet taken it
	freeWaiters []*waiter     // waiters to reuse
	ended       bool
	finished    bool
	failed      error // permanent destination failure; later entries are dropped
	lastErr     error // the latest destination error since the last Sync
	dropN       int   // entries dropped and not yet reported through OnDrop
	dropBytes   int
	summary     SummaryFunc // encodes drop summaries; nil for none
	sumBuf      []byte      // the last summary encoded, reused
	sumEntries  uint64      // dropped entries reported by summaries so far
	sumBytes    uint64

	// Owned by the flusher goroutine.
	pending  []byte // entries taken from active and not yet written
	pendEnds []int
	midEntry bool // pending starts inside an entry after a partial write
	backoff  time.Duration

	kick     chan struct{}
	reqs     chan request
	done     chan struct{}
	endOnce  sync.Once
	endErr   error
	closedCh chan struct{} // closed, returned by Drained when no drain is due
}

var _ zapcore.WriteSyncer = (*Stream)(nil)
var _ io.ReaderFrom = (*Stream)(nil)

type requestKind int

const (
	reqFlush requestKind = iota
	reqSync
	reqRotate
	reqReopen
	reqEnd
)

type request struct {
	kind  requestKind
	reply chan error
}

// New returns a Stream that writes to dst and starts its flusher. The stream
// owns dst: Close flushes, syncs and then closes it if it is an io.Closer.
// A nil dst gives a stream whose every entry is dropped and counted, and
// whose Sync and Close report the nil destination.
func New(dst io.Writer, opts ...Option) *Stream {
	s := &Stream{
		dst:      dst,
		opts:     newOptions(opts),
		kick:     make(chan struct{}, 1),
		reqs:     make(chan request),
		done:     make(chan struct{}),
		closedCh: make(chan struct{}),
	}
	close(s.closedCh)
	// Both buffers at full size up front: growing one inside Write would
	// stall the writer for a copy of up to the whole buffer.
	s.active = make([]byte, 0, s.opts.bufferSize)
	s.pending = make([]byte, 0, s.opts.bufferSize)
	if dst == nil {
		s.failed = errNilDestination
	}
	s.syncer, _ = dst.(interface{ Sync() error })
	s.sizer, _ = dst.(SizeRotator)
	s.entryW, _ = dst.(EntryWriter)
	s.track = s.sizer != nil || s.entryW != nil
	s.timeRot, _ = dst.(TimeRotator)
	s.follower, _ = dst.(Follower)
	s.summary = s.opts.summary
	if b, ok := dst.(Binder); ok {
		b.Bind(Binding{
			Clock:        s.opts.clock,
			Hook:         func(f func()) { f() },
			Lost:         func(n int) { s.stats.lostBytes.Add(uint64(n)) },
			CloseTimeout: s.opts.closeTimeout,
		})
	}
	go s.run()
	return s
}

// Write buffers p as one entry and returns without waiting for the
// destination, unless the buffer is full and the policy is Block. p is copied,
// never kept.
//
// Under Drop, an entry that does not fit is dropped whole, counted and
// reported through OnDrop, and Write still returns len(p), nil: zap prints
// every Write error to its error output. Entries are also dropped and
// counted when a Block timeout expires or the destination has failed for
// good. After End, Write returns ErrClosed and changes nothing; a Write
// still waiting for room when End is called returns ErrClosed too, and its
// entry is counted as dropped.
func (s *Stream) Write(p []byte) (int, error) {
	if _, err := s.put(p, s.opts.policy == Block, s.opts.blockTimeout); err != nil {
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
	if _, err := s.put(p, true, s.keepTimeout()); err != nil {
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

// put buffers p as one entry, waiting for room if block is set. A drop
// summary that is due goes in first, as an entry of its own, so that it
// sits right before the entry that found room. put reports whether p was
// accepted; a refused p is counted as dropped.
func (s *Stream) put(p []byte, block bool, timeout time.Duration) (bool, error) {
	n := len(p)
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false, ErrClosed
	}
	if len(s.waiters) > 0 || !s.fitsLocked(n) {
		// Writers waiting for room go first, in order: a Drop write does
		// not take the room they wait for, and a Block write queues.
		if !block || !s.waitRoomLocked(n, timeout) {
			ended := s.ended
			s.dropLocked(len(p))
			s.mu.Unlock()
			if ended {
				return false, ErrClosed
			}
			return false, nil
		}
	}
	s.summaryLocked()
	s.appendLocked(p)
	if s.buffered >= s.opts.highWaterMark {
		s.needDrain = true
		s.wakeLocked()
	} else if len(s.waiters) > 0 {
		s.wakeLocked() // writers still wait for room: flush what is here
	}
	s.mu.Unlock()
	return true, nil
}

// setSummaryIfNone makes f the stream's drop summary unless it has one.
func (s *Stream) setSummaryIfNone(f SummaryFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.summary == nil {
		s.summary = f
	}
}

// summaryLocked appends a summary of the drops not yet reported, if there
// are any and the stream has a summary. A summary may take the buffer past
// its size by its own length: it is small, and the gap must be marked.
func (s *Stream) summaryLocked() {
	if s.summary == nil || s.failed != nil {
		return
	}
	n := s.stats.dropped.Load() - s.sumEntries
	if n == 0 {
		return
	}
	nb := s.stats.droppedBytes.Load() - s.sumBytes
	s.sumBuf = s.summary(s.sumBuf[:0], s.opts.clock.Now(), n, nb)
	s.sumEntries += n
	s.sumBytes += nb
	if len(s.sumBuf) > 0 {
		s.appendLocked(s.sumBuf)
	}
}

// appendLocked adds p to the active buffer as one entry.
func (s *Stream) appendLocked(p []byte) {
	s.active = append(s.active, p...)
	if s.track {
		s.ends = append(s.ends, len(s.active))
	}
	s.buffered += len(p)
	s.stats.entries.Add(1)
	s.stats.bytes.Add(uint64(len(p)))
}

// fitsLocked reports whether an entry of n bytes can be buffered now. An
// entry larger than the whole buffer fits only into an empty one.
func (s *Stream) fitsLocked(n int) bool {
	if s.failed != nil {
		return false
	}
	used := s.buffered + s.reserved
	return used+n <= s.opts.bufferSize || (used == 0 && n > s.opts.bufferSize)
}

// waitRoomLocked queues for room: it waits until the flusher grants this
// writer room for n bytes, the timeout (if > 0) passes, the stream ends or
// the destination fails for good. It reports whether the room was granted.
// Waiters are granted room in the order they came, as many at once as the
// freed room holds, so a writer cannot lose the race for room again and
// again.
func (s *Stream) waitRoomLocked(n int, timeout time.Duration) bool {
	w := s.newWaiterLocked(n)
	defer s.freeWaiterLocked(w)
	s.waiters = append(s.waiters, w)
	s.grantLocked()
	var deadline <-chan time.Time
	for {
		if s.ended || s.failed != nil {
			if w.granted {
				s.reserved -= n
			}
			s.removeLocked(w)
			return false
		}
		if w.granted {
			s.reserved -= n
			s.removeLocked(w)
			return true
		}
		if timeout > 0 && deadline == nil {
			t := s.opts.clock.NewTicker(timeout)
			defer t.Stop()
			deadline = t.C
		}
		s.wakeLocked()
		s.mu.Unlock()
		timedOut := false
		select {
		case <-w.ready:
		case <-deadline:
			timedOut = true
		}
		s.mu.Lock()
		if timedOut && !w.granted {
			s.removeLocked(w)
			s.grantLocked() // the next in line may fit where this one did not
			return false
		}
	}
}

// A waiter is a Block writer queued for room. Waiters are reused, so that
// waiting for room allocates nothing once the stream has run a while.
type waiter struct {
	n       int
	ready   chan struct{} // capacity 1: a token wakes it
	granted bool          // room for n bytes is reserved for it
}

func (w *waiter) wakeLocked() {
	select {
	case w.ready <- struct{}{}:
	default: // already woken
	}
}

func (s *Stream) newWaiterLocked(n int) *waiter {
	var w *waiter
	if k := len(s.freeWaiters); k > 0 {
		w, s.freeWaiters = s.freeWaiters[k-1], s.freeWaiters[:k-1]
	} else {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	w.n, w.granted = n, false
	return w
}

// freeWaiterLocked keeps w for reuse, without a stale wake-up token.
func (s *Stream) freeWaiterLocked(w *waiter) {
	select {
	case <-w.ready:
	default:
	}
	s.freeWaiters = append(s.freeWaiters, w)
}

// wakeAllLocked wakes every waiter, to find the stream ended or failed.
func (s *Stream) wakeAllLocked() {
	for _, w := range s.waiters {
		w.wakeLocked()
	}
}

func (s *Stream) removeLocked(w *waiter) {
	for i, x := range s.waiters {
		if x == w {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return
		}
	}
}

// grantLocked reserves room for the waiters at the head of the queue, in
// order, as many as fit, and wakes them.
func (s *Stream) grantLocked() {
	for _, w := range s.waiters {
		if w.granted {
			continue
		}
		if !s.fitsLocked(w.n) {
			return
		}
		w.granted = true
		s.reserved += w.n
		w.wakeLocked()
	}
}

func (s *Stream) dropLocked(n int) {
	s.stats.dropped.Add(1)
	s.stats.droppedBytes.Add(uint64(n))
	if s.opts.onDrop != nil {
		s.dropN++
		s.dropBytes += n
		s.wakeLocked()
	}
}

// wakeLocked asks the flusher to run, once until it next takes the buffer.
func (s *Stream) wakeLocked() {
	if s.kicked {
		return
	}
	s.kicked = true
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Sync writes everything buffered, then syncs the destination if it has a
// Sync method. EINVAL, ENOTSUP and ENOTTY from the destination's Sync (pipes,
// terminals, /dev/null) are not errors. Sync returns the latest destination
// error since the previous Sync, even one that a retry has since healed, so
// that a caller learns of it; after a permanent failure it returns that
// failure every time.
func (s *Stream) Sync() error { return s.request(reqSync) }

// Flush writes everything buffered to the destination, without syncing it.
func (s *Stream) Flush() error { return s.request(reqFlush) }

// Rotate writes everything buffered, syncs the destination and then calls
// its Rotate method: entries whose Write returned before Rotate was called
// are in the old file, entries written after Rotate returned in the new one.
// It returns ErrNotRotatable if the destination has no Rotate method.
func (s *Stream) Rotate() error {
	if _, ok := s.dst.(Rotator); !ok {
		return ErrNotRotatable
	}
	return s.request(reqRotate)
}

// Reopen writes everything buffered, syncs the destination and then calls
// its Reopen method, for files renamed under the stream by an external tool
// such as logrotate. It returns ErrNotReopenable if the destination has no
// Reopen method.
func (s *Stream) Reopen() error {
	if _, ok := s.dst.(Reopener); !ok {
		return ErrNotReopenable
	}
	err := s.request(reqReopen)
	if err == nil {
		s.stats.reopens.Add(1)
	}
	return err
}

func (s *Stream) request(kind requestKind) error {
	r := request{kind: kind, reply: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-s.done:
		return ErrClosed
	}
	return <-r.reply
}

// End writes p as a last entry (with Block semantics) if it is not empty,
// marks the stream ended, and waits while the flusher writes everything
// buffered, syncs the destination (OnFinish) and closes it (OnClose). If the
// destination keeps failing, End retries until the close timeout and then
// returns an error that says how many bytes were not written.
//
// Calling End again with an empty p waits for the first call to finish and
// returns nil; with a non-empty p it returns ErrClosed.
func (s *Stream) End(p []byte) error {
	if len(p) > 0 {
		if _, err := s.WriteKeep(p); err != nil {
			return err
		}
	}
	first := false
	s.endOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.ended = true
		s.wakeAllLocked() // blocked writers now fail with ErrClosed
		s.mu.Unlock()
		r := request{kind: reqEnd, reply: make(chan error, 1)}
		s.reqs <- r
		s.endErr = <-r.reply
	})
	if !first {
		<-s.done
		return nil
	}
	return s.endErr
}

// Close is End(nil). It is idempotent: later calls wait for the first to
// finish and return nil.
func (s *Stream) Close() error { return s.End(nil) }

// ReadFrom reads r until EOF and writes each line, with its newline, as one
// entry, so that the Drop policy never tears a line; a final line without a
// newline is an entry too. It returns the number of bytes read, like Node's
// readable.pipe(writable) with backpressure: under Block it reads no faster
// than the destination takes.
func (s *Stream) ReadFrom(r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var total int64
	var long []byte // a line longer than br's buffer, gathered in pieces
	for {
		chunk, err := br.ReadSlice('\n')
		total += int64(len(chunk))
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		if len(long) > 0 {
			long = append(long, chunk...)
			chunk = long
		}
		if len(chunk) > 0 {
			if _, werr := s.Write(chunk); werr != nil {
				return total, werr
			}
		}
		long = long[:0]
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
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
func (s *Stream) Drained() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.needDrain {
		return s.closedCh
	}
	if s.drainCh == nil {
		s.drainCh = make(chan struct{})
	}
	return s.drainCh
}

// Buffered returns the number of bytes accepted and not yet taken by the
// destination, including a chunk being written right now: Node's
// writableLength.
func (s *Stream) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buffered
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

// Stats returns the stream's counters. It takes no lock and is cheap enough
// to call on every scrape.
func (s *Stream) Stats() Stats { return s.stats.snapshot() }

// String describes the stream for debugging.
func (s *Stream) String() string {
	return fmt.Sprintf("logsink.Stream(%T, policy=%s)", s.dst, s.opts.policy)
}
