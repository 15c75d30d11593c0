package logsink

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// errAbandoned ends a flusher whose destination call outlived Close.
var errAbandoned = errors.New("logsink: close gave up on the destination")

// flusher is the goroutine that owns the destination: it writes what the
// writers buffered, and runs the requests (flush, sync, rotate, reopen,
// end), time rotation and path following, one at a time and in order with
// the data. It never waits for a hook or holds the stream's lock during a
// destination call.
type flusher struct {
	s         *Stream
	out       *output
	ends      []int // scratch: entry ends of the region being written
	cur       batch // the batch being written
	retry     timer // pending retry after a failed write
	backoff   backoff
	rot       timer // next time rotation
	rotateDue bool
	badEnds   bool // a batch was refused with ErrBadEnds: reported once

	// With a spill: the rest of a copied or spilled batch that a failed
	// write left, written before anything else; the buffers batches are
	// copied and read into; the largest batch.
	rest     batch
	copyBuf  []byte
	readBuf  []byte
	batchMax int
}

func newFlusher(s *Stream) *flusher {
	f := &flusher{s: s, out: s.out, batchMax: min(s.opts.bufferSize/4, maxFlushAt)}
	f.out.rotate = f.rotate
	return f
}

// run is the flusher goroutine. One reading shows its whole life: it waits
// for a wake-up from a writer, the flush interval, a retry, a rotation time
// or a request, and ends with End.
func (f *flusher) run() {
	s := f.s
	defer close(s.done)
	tick := s.opts.clock.NewTicker(s.opts.flushInterval)
	defer tick.Stop()
	defer f.retry.stop()
	defer f.rot.stop()
	f.scheduleRotation()

	for {
		select {
		case <-s.kick:
			if !f.retry.active() {
				f.background(0)
			}
		case <-tick.C:
			f.tick()
		case <-f.retry.c:
			f.retry.stop()
			f.background(f.accepted())
		case <-f.rot.c:
			f.rot.stop()
			f.rotateDue = true
			f.background(f.accepted())
		case r := <-s.reqs:
			r.reply <- f.serve(r.kind)
		case <-s.ending:
			s.flushErr = f.end()
			return
		}
	}
}

// accepted returns the position, in bytes stored since New, of the last
// entry accepted so far: a flush up to it writes everything accepted now.
func (f *flusher) accepted() uint64 {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.s.seqIn
}

// tick runs once per flush interval: the destination checks its path, a
// pending drop summary is stored, and whatever is buffered is written.
func (f *flusher) tick() {
	f.follow()
	f.storeSummary()
	if !f.retry.active() {
		f.background(f.accepted())
	}
	f.storeSummary() // if it did not fit before the flush, it fits now
	f.syncSpill()
}

// background writes everything up to upTo, and then more while a batch
// (the flush threshold) is waiting or writers wait for room. A failure
// starts the backoff, during which only retries and requests write.
func (f *flusher) background(upTo uint64) {
	err := f.writeUpTo(upTo, thenWhileBatched)
	if err != nil {
		f.failed(err)
		return
	}
	f.recovered()
	if f.rotateDue {
		f.rotateDue = false
		f.rotateOnTime()
		f.scheduleRotation()
	}
}

// until says when writeUpTo is done.
type until uint8

const (
	// atUpTo: once everything stored before upTo is written (a request).
	atUpTo until = iota
	// thenWhileBatched: then also while a batch (the flush threshold)
	// waits or writers wait for room (the background).
	thenWhileBatched
)

// writeUpTo writes the buffer, a batch at a time, until everything stored
// before position upTo is written and, as stop says, while batches wait;
// then the flusher is idle again. It returns the first failure.
func (f *flusher) writeUpTo(upTo uint64, stop until) error {
	for {
		b, err := f.next(upTo, stop)
		if err != nil || b == nil {
			return err
		}
		n, err := f.out.write(b.p, b.ends)
		if n == 0 && errors.Is(err, ErrBadEnds) {
			f.discard(b, err)
			continue
		}
		if err == nil && n < len(b.p) {
			err = io.ErrShortWrite
		}
		if abandoned := f.wrote(b, n); abandoned {
			return errAbandoned
		}
		if err != nil {
			return fmt.Errorf("logsink: write: %w", err)
		}
		f.s.stats.flushes.Add(1)
	}
}

// A batch is what the flusher writes in one call: a region of the ring,
// written in place, or, with a spill, a copy of one (the flight) or
// entries read back from the spill's store.
type batch struct {
	p    []byte
	ends []int // entry ends in p
	src  batchSource
}

type batchSource int

const (
	fromRing  batchSource = iota // a region of the ring, released as written
	fromCopy                     // copied out of the ring, already released
	fromSpill                    // read from the store, acknowledged once written
)

// next returns the next batch to write, or nil when writeUpTo is done.
func (f *flusher) next(upTo uint64, stop until) (*batch, error) {
	s := f.s
	if f.rest.p != nil {
		return &f.rest, nil // the rest of a batch a write left
	}
	for {
		s.mu.Lock()
		if s.abandoned {
			s.mu.Unlock()
			return nil, errAbandoned
		}
		if s.failed != nil {
			// A destination that failed for good is not called again;
			// what the spill holds stays there for the next stream.
			s.flushPhase = flushIdle
			s.mu.Unlock()
			return nil, nil
		}
		if s.spill != nil && !s.spill.store.Empty() {
			// Only the flusher takes from the store: it stays non-empty.
			s.flushPhase = flushWriting
			s.mu.Unlock()
			if b, err := f.readSpill(); b != nil || err != nil {
				return b, err
			}
			// Nothing readable (a torn tail the read skipped): the ring.
			s.mu.Lock()
		}
		if f.caughtUpLocked(upTo, stop) {
			s.flushPhase = flushIdle
			s.mu.Unlock()
			return nil, nil
		}
		p, ends := s.buf.take(f.ends, f.batchMax)
		f.ends = ends
		if len(p) > 0 {
			s.flushPhase = flushWriting
			s.mu.Unlock()
			if s.spill != nil {
				return f.copyOut(p, ends), nil
			}
			f.cur = batch{p: p, ends: ends, src: fromRing}
			return &f.cur, nil
		}
		// A mover is putting the ring's head into the spill. In the
		// background it wakes the flusher when done; a request waits
		// for it, since what it moves comes before upTo.
		s.mu.Unlock()
		if stop == thenWhileBatched || s.spill == nil {
			s.mu.Lock()
			s.flushPhase = flushIdle
			s.mu.Unlock()
			return nil, nil
		}
		s.spill.waitForMover()
	}
}

// wrote accounts for a write of b that took n bytes, and reports whether
// Close gave up on the flusher meanwhile; then nothing is touched.
func (f *flusher) wrote(b *batch, n int) (abandoned bool) {
	s := f.s
	s.mu.Lock()
	if s.abandoned {
		lost := b.src == fromRing || b.src == fromCopy && s.spill.flightLost
		s.mu.Unlock()
		if lost {
			// Close counted these bytes as lost when it gave up (unless
			// it saved them in the spill).
			s.stats.lostBytes.Add(-uint64(n))
		}
		return true
	}
	atEnd := true
	if b.src == fromRing {
		atEnd = s.buf.release(n)
		s.seqOut += uint64(n)
	} else {
		s.mu.Unlock()
		atEnd = f.keepRest(b, n)
		s.mu.Lock()
	}
	s.admitLocked()
	drained := s.drainedLocked()
	s.mu.Unlock()
	f.out.midEntry = !atEnd
	if drained {
		s.hooks.drain()
	}
	return false
}

// discard gives up a batch the destination refused for its entry ends
// (ErrBadEnds): a bug, which retrying cannot heal. Its bytes count as
// lost, and the first such batch is reported through OnError.
func (f *flusher) discard(b *batch, err error) {
	s := f.s
	s.stats.lostBytes.Add(uint64(len(b.p)))
	if !f.badEnds {
		f.badEnds = true
		s.fail(fmt.Errorf("logsink: write: %w", err))
	}
	switch b.src {
	case fromRing:
		s.mu.Lock()
		s.buf.release(len(b.p))
		s.seqOut += uint64(len(b.p))
		s.admitLocked()
		drained := s.drainedLocked()
		s.mu.Unlock()
		if drained {
			s.hooks.drain()
		}
	case fromCopy:
		f.landFlight(nil)
	case fromSpill:
		s.spill.ack(s)
	}
	f.rest = batch{}
	f.out.midEntry = false
}

// caughtUpLocked reports whether writeUpTo is done: everything before upTo
// is written and, with thenWhileBatched, no batch and no writer waits.
func (f *flusher) caughtUpLocked(upTo uint64, stop until) bool {
	s := f.s
	switch {
	case s.buf.used == 0:
		return true
	case s.seqOut < upTo:
		// Something before upTo is still in the ring, or being moved
		// from it to the spill.
		return false
	case s.buf.pending() == 0:
		return true
	case stop == atUpTo:
		return true
	}
	// A producer waiting for Drained wants the whole buffer written now.
	return s.buf.pending() < s.flushAt && s.waiters.len() == 0 && s.drainCh == nil
}

// failed handles a failed background write: a permanent failure stops the
// stream's writing, any other starts or continues the backoff.
func (f *flusher) failed(err error) {
	switch {
	case errors.Is(err, errAbandoned):
	case isPermanent(err):
		f.failPermanently(err)
	default:
		f.s.fail(err)
		f.spillRest()
		f.retry.start(f.s.opts.clock, f.backoff.next(err))
		f.s.mu.Lock()
		f.s.flushPhase = flushBackoff
		f.s.mu.Unlock()
	}
}

// recovered ends the backoff after a write succeeded.
func (f *flusher) recovered() {
	f.backoff.reset()
	if f.retry.active() {
		f.retry.stop()
		f.s.mu.Lock()
		if f.s.flushPhase == flushBackoff {
			f.s.flushPhase = flushIdle
		}
		f.s.mu.Unlock()
	}
}

// failPermanently reports err once and stops writing: what is buffered is
// lost and counted (or, with a spill, kept there for the next stream), and
// later entries are dropped and counted.
func (f *flusher) failPermanently(err error) {
	s := f.s
	if s.spill != nil {
		// Everything in memory goes to the store for the next stream;
		// the rest of a spilled batch is still there.
		s.spill.moveMu.Lock()
		unsaved, _ := s.saveToSpillLocked(f.restInMemory())
		s.stats.lostBytes.Add(uint64(unsaved))
		f.rest = batch{}
		f.landFlight(nil)
		s.spill.moveMu.Unlock()
	}
	s.mu.Lock()
	s.failed = err
	lost := s.buf.reset()
	s.seqOut += uint64(lost)
	s.flushPhase = flushIdle
	s.waiters.wakeAll()
	s.endDrainLocked() // nothing is buffered, nor will be
	s.mu.Unlock()
	s.stats.lostBytes.Add(uint64(lost))
	s.fail(err)
}

// fail counts and reports a destination error.
func (s *Stream) fail(err error) {
	s.stats.errors.Add(1)
	s.hooks.error(err)
}

// flushAll writes everything accepted so far, with the drop summary that is
// due, for a request. It returns the permanent failure if there is one.
// With a spill, what the destination cannot take now goes to the spill and
// is synced there: flushAll does not wait for a destination that is down.
func (f *flusher) flushAll() error {
	if f.s.spill != nil {
		return f.flushRequest(toDestinationOrSpill)
	}
	return f.flushRequest(toDestination)
}

// deliverAll writes everything accepted so far to the destination, the
// spill included, for a request that must follow the data (Rotate,
// Reopen).
func (f *flusher) deliverAll() error {
	return f.flushRequest(toDestination)
}

// flushTarget says where a request's flush may put what it flushes.
type flushTarget uint8

const (
	toDestination        flushTarget = iota // the destination, the spill's content too
	toDestinationOrSpill                    // the spill, when the destination is behind or fails
)

// flushRequest writes everything accepted so far to target, with the drop
// summary that is due.
func (f *flusher) flushRequest(target flushTarget) error {
	toSpill := target == toDestinationOrSpill
	s := f.s
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	for range 2 { // a summary that does not fit before the flush fits after
		due := f.storeSummary()
		upTo := f.accepted()
		var err error
		if toSpill && (!s.spill.store.Empty() || f.retry.active()) {
			_, err = s.moveToSpill(upTo) // the destination is behind
		} else if err = f.writeUpTo(upTo, atUpTo); err != nil {
			f.failed(err)
			if !toSpill || errors.Is(err, errAbandoned) {
				return err
			}
			_, err = s.moveToSpill(upTo)
		} else {
			f.recovered()
		}
		if err != nil {
			return err
		}
		if !due {
			break
		}
	}
	if !toSpill {
		return nil
	}
	if p, _ := f.restInMemory(); len(p) > 0 {
		s.mu.Lock()
		why := s.spill.flightStuck
		s.mu.Unlock()
		return errInMemory("flush", len(p), why)
	}
	return f.syncSpill()
}

// storeSummary stores a due drop summary if it fits and reports whether
// one is still due.
func (f *flusher) storeSummary() bool {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.s.storeSummaryLocked()
}

// serve runs a request and returns its result.
func (f *flusher) serve(kind requestKind) error {
	switch kind {
	case reqSync:
		return f.syncReq()
	case reqRotate:
		return f.rotateReq()
	case reqReopen:
		return f.reopenReq()
	default:
		return f.flushAll()
	}
}

func (f *flusher) syncReq() error {
	if err := f.flushAll(); err != nil {
		return err
	}
	if f.s.spill != nil && !f.s.spill.store.Empty() {
		return nil // the spill holds what the destination has not taken, synced
	}
	return f.sync()
}

func (f *flusher) rotateReq() error {
	if err := f.deliverAll(); err != nil {
		return err
	}
	return f.rotate()
}

func (f *flusher) reopenReq() error {
	if err := f.deliverAll(); err != nil {
		return err
	}
	if err := f.sync(); err != nil {
		return err
	}
	if err := f.out.reopener.Reopen(); err != nil {
		err = fmt.Errorf("logsink: reopen: %w", err)
		f.s.fail(err)
		return err
	}
	f.s.stats.reopens.Add(1)
	return nil
}

// sync syncs the destination if it can be synced. EINVAL, ENOTSUP and
// ENOTTY (pipes, terminals, /dev/null) are not errors.
func (f *flusher) sync() error {
	if f.out.syncer == nil {
		return nil
	}
	if err := f.out.syncer.Sync(); err != nil && !isIgnorableSync(err) {
		err = fmt.Errorf("logsink: sync: %w", err)
		f.s.fail(err)
		return err
	}
	return nil
}

// rotate syncs the destination and rotates it. The caller has flushed.
func (f *flusher) rotate() error {
	if err := f.sync(); err != nil {
		return err
	}
	if err := f.out.rotator.Rotate(); err != nil {
		err = fmt.Errorf("logsink: rotate: %w", err)
		f.s.fail(err)
		return err
	}
	f.s.stats.rotations.Add(1)
	return nil
}

// rotateOnTime rotates at a time boundary, unless the file is empty: a
// quiet period makes no empty backup.
func (f *flusher) rotateOnTime() {
	if f.out.sizer != nil {
		if size, _ := f.out.sizer.SizeLimit(); size == 0 {
			return
		}
	}
	_ = f.rotate() // counted and reported by rotate
}

func (f *flusher) scheduleRotation() {
	if f.out.timer == nil {
		return
	}
	now := f.s.opts.clock.Now()
	next := f.out.timer.NextRotation(now)
	if next.IsZero() {
		return
	}
	f.rot.start(f.s.opts.clock, next.Sub(now))
}

// follow lets a Follower check that it writes where it should.
func (f *flusher) follow() {
	if f.out.follower == nil {
		return
	}
	reopened, err := f.out.follower.Follow()
	if reopened {
		f.s.stats.reopens.Add(1)
	}
	if err != nil {
		f.s.fail(fmt.Errorf("logsink: follow: %w", err))
	}
}

// end writes everything, retrying a failing destination until the stream's
// endBy, then syncs and closes the destination. It runs once, for End.
func (f *flusher) end() error {
	s := f.s
	var err error
	for {
		due := f.storeSummary()
		err = f.writeUpTo(math.MaxUint64, atUpTo)
		if err == nil && due {
			continue // the summary did not fit before; it does now
		}
		if err == nil || isPermanent(err) || errors.Is(err, errAbandoned) {
			break
		}
		s.fail(err)
		now := s.opts.clock.Now()
		if !now.Before(s.endBy) {
			break
		}
		var wait timer
		wait.start(s.opts.clock, min(f.backoff.next(err), s.endBy.Sub(now)))
		<-wait.c
		wait.stop()
	}
	if errors.Is(err, errAbandoned) {
		f.closeDestination()
		return err
	}
	if isPermanent(err) {
		f.failPermanently(err)
	}
	left, err := f.closeSpill(err)
	if errors.Is(err, errAbandoned) {
		f.closeDestination()
		return err
	}

	s.mu.Lock()
	failed := s.failed
	rest := s.buf.reset()
	s.seqOut += uint64(rest)
	s.mu.Unlock()

	switch {
	case failed != nil && left > 0:
		err = fmt.Errorf("logsink: close: destination failed, %d bytes lost, %d bytes left in the spill %q for the next stream on it: %w (%w)",
			s.stats.lostBytes.Load(), left, s.opts.spillDir, failed, ErrLeftInSpill)
	case failed != nil && failed != errNilDestination:
		err = fmt.Errorf("logsink: close: destination failed, %d bytes lost: %w", s.stats.lostBytes.Load(), failed)
	case failed != nil:
		err = failed
	case rest > 0 && err != nil:
		s.stats.lostBytes.Add(uint64(rest))
		err = fmt.Errorf("logsink: close: %d bytes not written: %w", rest, err)
	case rest > 0:
		s.stats.lostBytes.Add(uint64(rest))
		err = fmt.Errorf("logsink: close: %d bytes not written", rest)
	case left > 0:
		err = fmt.Errorf("logsink: close: %d bytes left in the spill %q for the next stream on it: %w",
			left, s.opts.spillDir, ErrLeftInSpill)
	case err == nil:
		err = f.sync()
	}
	if err == nil {
		s.mu.Lock()
		s.finished = true
		s.mu.Unlock()
		s.hooks.finish()
	}
	if cerr := f.closeDestination(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// closeDestination closes the destination if it is an io.Closer.
func (f *flusher) closeDestination() error {
	if f.out.closer == nil {
		return nil
	}
	if err := f.out.closer.Close(); err != nil {
		err = fmt.Errorf("logsink: close: %w", err)
		f.s.fail(err)
		return err
	}
	return nil
}
