package logsink

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// With a spill (WithSpill), two goroutines share the buffer: the flusher
// writes to the destination, and the spiller moves what the destination
// cannot take yet to the spill on disk, so that writers find room however
// long the destination is slow or down. The spill is a FIFO between memory
// and destination: once anything is in it, the flusher writes from it
// before it takes anything from memory, and the spiller appends only
// regions from the head of the ring, so bytes reach the destination in the
// order their Writes returned.
//
// The flusher copies each batch out of the ring before writing it, so that
// a slow write never holds ring space the spiller could free; a batch a
// write failed on stays with the flusher until written.

// spiller is the goroutine that moves the ring to the spill under
// pressure: when the ring is half full, or the destination is failing.
type spiller struct {
	s        *Stream
	wake     chan struct{} // capacity 1
	done     chan struct{}
	lastSync time.Time // when the spiller last synced the spill
}

// spillerState tells writers whether to wake the spiller.
type spillerState int

const (
	spillerIdle spillerState = iota
	spillerWoken
	spillerBusy
)

// spillPressureLocked reports whether the ring should go to the spill:
// it is half full, or the destination is failing and anything waits.
func (s *Stream) spillPressureLocked() bool {
	if s.spill == nil || s.spillFull || s.failed != nil {
		return false
	}
	pending := s.buf.pending()
	return pending >= s.spillAt || pending > 0 && s.flusher == flusherBackoff
}

// wakeSpillerLocked wakes an idle spiller if the ring is under pressure.
func (s *Stream) wakeSpillerLocked() {
	if s.spillerState != spillerIdle || !s.spillPressureLocked() {
		return
	}
	s.spillerState = spillerWoken
	select {
	case s.spiller.wake <- struct{}{}:
	default:
	}
}

func (sr *spiller) run() {
	defer close(sr.done)
	for {
		select {
		case <-sr.wake:
			sr.spillWhilePressed()
		case <-sr.s.ending:
			return
		}
	}
}

// spillWhilePressed moves the ring to the spill, a region at a time, while
// it is under pressure.
func (sr *spiller) spillWhilePressed() {
	s := sr.s
	for {
		s.mu.Lock()
		if s.abandoned || s.ended || !s.spillPressureLocked() {
			s.spillerState = spillerIdle
			s.mu.Unlock()
			return
		}
		s.spillerState = spillerBusy
		s.mu.Unlock()
		moved, err := s.moveToSpill(0)
		sr.syncEveryInterval()
		if err != nil || moved == 0 {
			s.mu.Lock()
			s.spillerState = spillerIdle
			s.mu.Unlock()
			if err != nil && !errors.Is(err, errSpillFull) {
				s.fail(err)
			}
			return
		}
	}
}

// syncEveryInterval syncs the spill if the flush interval has passed since
// the spiller last did: the flusher syncs it at its own flush intervals,
// but not while a destination Write holds it up.
func (sr *spiller) syncEveryInterval() {
	now := sr.s.opts.clock.Now()
	if now.Sub(sr.lastSync) < sr.s.opts.flushInterval {
		return
	}
	sr.lastSync = now
	if err := sr.s.spill.sync(); err != nil {
		sr.s.fail(err)
	}
}

// moveToSpill appends regions of the ring to the spill, until position
// upTo is out of the ring (0: one region), and wakes the flusher to
// deliver them. It returns how many bytes it moved. When the spill is
// full it stops with errSpillFull: the ring fills and the policy decides,
// until the flusher has delivered some of the spill.
func (s *Stream) moveToSpill(upTo uint64) (int, error) {
	s.spillMu.Lock() // one mover at a time: the spiller, or the flusher for a request or at the end
	defer s.spillMu.Unlock()
	moved := 0
	for {
		s.mu.Lock()
		if upTo > 0 && s.seqOut >= upTo || upTo == 0 && moved > 0 {
			s.mu.Unlock()
			return moved, nil
		}
		p, ends := s.buf.take(s.spillEnds, len(s.buf.buf))
		s.spillEnds = ends
		s.mu.Unlock()
		if len(p) == 0 {
			if upTo == 0 {
				return moved, nil // empty, or the flusher is copying a batch out
			}
			runtime.Gosched() // the flusher is copying a batch out: a moment
			continue
		}
		var err error
		s.spillScratch, err = s.spill.append(p, ends, s.spillScratch)
		n := 0
		if err == nil {
			n = len(p)
		}
		s.mu.Lock()
		s.buf.release(n)
		s.seqOut += uint64(n)
		if errors.Is(err, errSpillFull) {
			s.spillFull = true
		}
		s.admitLocked()
		drained := s.drainedLocked()
		s.kickLocked()
		s.mu.Unlock()
		if drained {
			s.hooks.drain()
		}
		if err != nil {
			if !errors.Is(err, errSpillFull) {
				err = fmt.Errorf("logsink: spill: %w", err)
			}
			return moved, err
		}
		moved += n
	}
}

// copyOut copies whole entries of the ring region p, at most a batch, into
// the flusher's own buffer, and releases them from the ring.
func (f *flusher) copyOut(p []byte, ends []int) *batch {
	k, m := len(p), len(ends)
	for i, e := range ends {
		if e > f.batchMax && i > 0 {
			k, m = ends[i-1], i
			break
		}
	}
	f.copyBuf = append(f.copyBuf[:0], p[:k]...)
	f.cur = batch{p: f.copyBuf, ends: append(f.cur.ends[:0], ends[:m]...), src: fromCopy}
	s := f.s
	s.mu.Lock()
	s.buf.release(k)
	s.seqOut += uint64(k)
	s.admitLocked()
	s.wakeSpillerLocked()
	s.mu.Unlock()
	return &f.cur
}

// readSpill reads the next batch from the spill.
func (f *flusher) readSpill() (*batch, error) {
	p, ends, err := f.s.spill.read(f.readBuf, f.cur.ends, f.batchMax)
	f.readBuf = p[:0]
	if err != nil && len(ends) == 0 {
		f.s.fail(err) // a corrupt record: counted and skipped; or a read error
		return nil, nil
	}
	if len(ends) == 0 {
		return nil, nil
	}
	f.cur = batch{p: p, ends: ends, src: fromSpill, records: len(ends), bytes: len(p)}
	return &f.cur, nil
}

// heldRest keeps what a write of b left unwritten, for the next write, and
// commits a spilled batch once all of it is written. It reports whether
// the write ended on an entry boundary.
func (f *flusher) heldRest(b *batch, n int) (atEnd bool) {
	if n == len(b.p) {
		if b.src == fromSpill {
			f.s.spill.commit(b.records, b.bytes)
			f.s.mu.Lock()
			if f.s.spillFull {
				f.s.spillFull = false // room again: the spiller may go on
				f.s.wakeSpillerLocked()
			}
			f.s.mu.Unlock()
		}
		f.held = batch{}
		return true
	}
	atEnd = n == 0
	j := 0
	for _, e := range b.ends {
		if e == n {
			atEnd = true
		}
		if e > n {
			b.ends[j] = e - n
			j++
		}
	}
	f.held = batch{p: b.p[n:], ends: b.ends[:j], src: b.src, records: b.records, bytes: b.bytes}
	return atEnd
}

// publishInflight records the copied batch being written, under the lock,
// so that a Close that gives up on the write can save it in the spill.
func (f *flusher) publishInflight(b *batch) {
	f.s.mu.Lock()
	f.s.inflight, f.s.inflightEnds = b.p, b.ends
	f.s.mu.Unlock()
}

// syncSpill makes what the spill holds durable: once per flush interval,
// and for Sync.
func (f *flusher) syncSpill() error {
	if f.s.spill == nil {
		return nil
	}
	if err := f.s.spill.sync(); err != nil {
		f.s.fail(err)
		return err
	}
	return nil
}

// saveToSpill puts what is still in memory into the spill, at the end of a
// stream whose destination did not take everything in time: the batch a
// write left (older than anything in the spill, so it goes first) and
// then the ring. Callers hold spillMu. It returns the bytes it could not
// save.
func (s *Stream) saveToSpillLocked(held []byte, heldEnds []int) (unsaved int) {
	if len(held) > 0 {
		if err := s.spill.prepend(held, heldEnds); err != nil {
			s.fail(fmt.Errorf("logsink: spill: %w", err))
			unsaved += len(held)
		}
	}
	for {
		s.mu.Lock()
		p, ends := s.buf.take(s.spillEnds, len(s.buf.buf))
		s.spillEnds = ends
		s.mu.Unlock()
		if len(p) == 0 {
			return unsaved
		}
		var err error
		s.spillScratch, err = s.spill.append(p, ends, s.spillScratch)
		s.mu.Lock()
		s.buf.release(len(p))
		s.seqOut += uint64(len(p))
		s.mu.Unlock()
		if err != nil {
			if !errors.Is(err, errSpillFull) {
				s.fail(fmt.Errorf("logsink: spill: %w", err))
			}
			unsaved += len(p)
		}
	}
}

// heldCopy returns the rest of a copied batch a failed write left, which
// is in memory only; the rest of a spilled batch is still in the spill.
func (f *flusher) heldCopy() ([]byte, []int) {
	if f.held.src != fromCopy {
		return nil, nil
	}
	return f.held.p, f.held.ends
}

// closeSpill saves what the destination did not take in time into the
// spill and closes it, at the end. It returns the bytes left in the spill
// for the next stream on the directory, and err, or errAbandoned if Close
// gave up meanwhile.
func (f *flusher) closeSpill(err error) (left int64, _ error) {
	s := f.s
	if s.spill == nil {
		return 0, err
	}
	s.spillMu.Lock() // waits for the spiller's last move
	defer s.spillMu.Unlock()
	s.mu.Lock()
	abandoned := s.abandoned
	s.mu.Unlock()
	if abandoned {
		return 0, errAbandoned
	}
	s.stats.lostBytes.Add(uint64(s.saveToSpillLocked(f.heldCopy())))
	f.held = batch{}
	left = s.spill.size()
	if cerr := s.spill.close(); cerr != nil {
		s.fail(cerr)
		err = errors.Join(err, cerr)
	}
	return left, err
}

// spillHeld puts the rest of a copied batch that a write failed on into
// the spill, before everything in it, so that an outage keeps nothing in
// memory but the ring, which the spiller empties.
func (f *flusher) spillHeld() {
	p, ends := f.heldCopy()
	if len(p) == 0 {
		return
	}
	if err := f.s.spill.prepend(p, ends); err != nil {
		f.s.fail(fmt.Errorf("logsink: spill: %w", err))
		return // it stays in memory and is written first
	}
	f.held = batch{}
}
