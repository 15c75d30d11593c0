package logsink

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"
)

// With a spill (WithSpill), two goroutines share the buffer: the flusher
// writes to the destination, and the spiller moves what the destination
// cannot take yet into the spill's store on disk, so that writers find
// room however long the destination is slow or down. The store is a FIFO
// between memory and destination: once anything is in it, the flusher
// writes from it before it takes anything from memory, and movers append
// only regions from the head of the ring, so bytes reach the destination
// in the order their Writes returned.
//
// The flusher copies each batch out of the ring before writing it (the
// flight), so that a slow write never holds ring space the spiller could
// free; a flight a write failed on is put before everything in the store.

// spillPhase tells writers whether to wake the spiller.
type spillPhase int

const (
	spillIdle spillPhase = iota
	spillWoken
	spillMoving
)

// spillPressureLocked reports whether the ring should go to the spill:
// it is half full, or the destination is failing and anything waits.
func (s *Stream) spillPressureLocked() bool {
	sp := s.spill
	if sp == nil || sp.full || s.failed != nil || s.abandoned {
		return false
	}
	pending := s.buf.pending()
	return pending >= sp.at || pending > 0 && s.flushPhase == flushBackoff
}

// wakeSpillerLocked wakes an idle spiller if the ring is under pressure.
func (s *Stream) wakeSpillerLocked() {
	sp := s.spill
	if sp == nil || sp.phase != spillIdle || !s.spillPressureLocked() {
		return
	}
	sp.phase = spillWoken
	select {
	case sp.wake <- struct{}{}:
	default:
	}
}

// run is the spiller goroutine.
func (sp *spilling) run(s *Stream) {
	defer close(sp.done)
	for {
		select {
		case <-sp.wake:
			sp.spillWhilePressed(s)
		case <-s.ending:
			return
		}
	}
}

// spillWhilePressed moves the ring to the store, a region at a time, while
// it is under pressure.
func (sp *spilling) spillWhilePressed(s *Stream) {
	for {
		s.mu.Lock()
		if s.ended || !s.spillPressureLocked() {
			sp.phase = spillIdle
			s.mu.Unlock()
			return
		}
		sp.phase = spillMoving
		s.mu.Unlock()
		moved, err := s.moveToSpill(0)
		sp.syncEveryInterval(s)
		if err != nil || moved == 0 {
			s.mu.Lock()
			sp.phase = spillIdle
			s.mu.Unlock()
			if err != nil && !errors.Is(err, errSpillFull) {
				s.fail(err)
			}
			return
		}
	}
}

// syncEveryInterval syncs the store if the flush interval has passed since
// the spiller last did: the flusher syncs it at its own flush intervals,
// but not while a destination Write holds it up.
func (sp *spilling) syncEveryInterval(s *Stream) {
	now := s.opts.clock.Now()
	if now.Sub(sp.lastSync) < s.opts.flushInterval {
		return
	}
	sp.lastSync = now
	if err := sp.store.Sync(); err != nil {
		s.fail(spillErr(err))
	}
}

// moveToSpill appends regions of the ring to the store, until position
// upTo is out of the ring (0: one region), and wakes the flusher to
// deliver them. It returns how many bytes it moved. When the store is
// full it stops with errSpillFull: the ring fills and the policy decides,
// until the flusher has delivered some of the store.
func (s *Stream) moveToSpill(upTo uint64) (int, error) {
	sp := s.spill
	sp.moveMu.Lock()
	defer sp.moveMu.Unlock()
	moved := 0
	for {
		s.mu.Lock()
		if s.abandoned || upTo > 0 && s.seqOut >= upTo || upTo == 0 && moved > 0 {
			s.mu.Unlock()
			return moved, nil
		}
		p, ends := s.buf.take(sp.moveEnd, len(s.buf.buf))
		sp.moveEnd = ends
		s.mu.Unlock()
		if len(p) == 0 {
			if upTo == 0 {
				return moved, nil // empty, or the flusher is copying a batch out
			}
			runtime.Gosched() // the flusher is copying a batch out: a moment
			continue
		}
		err := sp.store.Append(p, ends)
		n := 0
		if err == nil {
			n = len(p)
		}
		s.mu.Lock()
		s.buf.release(n)
		s.seqOut += uint64(n)
		if errors.Is(err, errSpillFull) {
			sp.full = true
		}
		s.admitLocked()
		drained := s.drainedLocked()
		s.kickLocked()
		s.mu.Unlock()
		if drained {
			s.hooks.drain()
		}
		if err != nil {
			return moved, spillErr(err)
		}
		moved += n
	}
}

// saveToSpillLocked puts what is still in memory into the store, when the
// destination will not take it in time: first the flight (older than
// anything in the store, so it goes first), then the ring. The caller
// holds moveMu. It returns the bytes it could not save, which the caller
// counts as lost, and whether the flight was saved.
func (s *Stream) saveToSpillLocked(flight []byte, flightEnds []int) (unsaved int, flightSaved bool) {
	sp := s.spill
	if len(flight) > 0 {
		if err := sp.store.Prepend(flight, flightEnds); err != nil {
			s.fail(spillErr(err))
			unsaved += len(flight)
		} else {
			flightSaved = true
		}
	}
	for {
		s.mu.Lock()
		p, ends := s.buf.take(sp.moveEnd, len(s.buf.buf))
		sp.moveEnd = ends
		s.mu.Unlock()
		if len(p) == 0 {
			return unsaved, flightSaved
		}
		err := sp.store.Append(p, ends)
		s.mu.Lock()
		s.buf.release(len(p))
		s.seqOut += uint64(len(p))
		s.mu.Unlock()
		if err != nil {
			if !errors.Is(err, errSpillFull) {
				s.fail(spillErr(err))
			}
			unsaved += len(p)
		}
	}
}

// syncToSpill moves everything accepted so far to the store and syncs it,
// on the caller's goroutine, for a Sync or Flush while the flusher is busy.
// The flight, copied out of the ring before, must be written or saved in
// the store too: it waits for that until deadline fires.
func (s *Stream) syncToSpill(deadline <-chan time.Time, kind requestKind) error {
	sp := s.spill
	s.mu.Lock()
	failed := s.failed
	s.storeSummaryLocked()
	upTo := s.seqIn
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	if _, err := s.moveToSpill(upTo); err != nil {
		return err
	}
	if err := sp.store.Sync(); err != nil {
		return spillErr(err)
	}
	s.mu.Lock()
	resolved, gen := sp.flight.resolved, sp.flights
	s.mu.Unlock()
	if resolved != nil {
		select {
		case <-resolved:
		case <-deadline:
			return fmt.Errorf("logsink: %s: the batch being written reached neither the destination nor the spill within the close timeout (%s): %w",
				requestNames[kind], s.opts.closeTimeout, os.ErrDeadlineExceeded)
		}
	}
	s.mu.Lock()
	stuck := 0
	if sp.flights == gen {
		stuck = len(sp.flight.p)
	}
	why, failed := sp.flightStuck, s.failed
	s.mu.Unlock()
	if failed != nil {
		return failed // the flight went down with the destination
	}
	if stuck > 0 {
		return errInMemory(requestNames[kind], stuck, why)
	}
	return nil
}

// copyOut copies whole entries of the ring region p, at most a batch, into
// the flusher's own buffer, and releases them from the ring: they are the
// flight now, which a Sync or a Close accounts for from this moment.
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
	s.spill.flight = flight{p: f.cur.p, ends: f.cur.ends, resolved: make(chan struct{})}
	s.spill.flights++
	s.spill.flightStuck = nil
	s.admitLocked()
	s.wakeSpillerLocked()
	s.mu.Unlock()
	return &f.cur
}

// landFlight records that the flight is written or saved in the store, or,
// with a non-nil stuck, that it stays in memory for that reason: either
// way a Sync waiting for it goes on.
func (f *flusher) landFlight(stuck error) {
	s := f.s
	if s.spill == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.spill
	if stuck == nil {
		sp.flight.p, sp.flight.ends = nil, nil
	}
	sp.flightStuck = stuck
	if sp.flight.resolved != nil {
		close(sp.flight.resolved)
		sp.flight.resolved = nil
	}
}

// readSpill reads the next batch from the store.
func (f *flusher) readSpill() (*batch, error) {
	p, ends, err := f.s.spill.store.Read(f.readBuf, f.cur.ends, f.batchMax)
	f.readBuf = p[:0]
	if err != nil {
		return nil, spillErr(err)
	}
	if len(ends) == 0 {
		return nil, nil
	}
	f.cur = batch{p: p, ends: ends, src: fromSpill}
	return &f.cur, nil
}

// keepRest keeps what a write of b left unwritten, for the next write, and
// acknowledges a spilled batch once all of it is written. It reports
// whether the write ended on an entry boundary.
func (f *flusher) keepRest(b *batch, n int) (atEnd bool) {
	s := f.s
	if n == len(b.p) {
		switch b.src {
		case fromSpill:
			s.spill.ack(s)
			s.mu.Lock()
			if s.spill.full {
				s.spill.full = false // room again: the spiller may go on
				s.wakeSpillerLocked()
			}
			s.mu.Unlock()
		case fromCopy:
			f.landFlight(nil)
		}
		f.rest = batch{}
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
	f.rest = batch{p: b.p[n:], ends: b.ends[:j], src: b.src}
	if b.src == fromCopy {
		s.mu.Lock()
		s.spill.flight.p, s.spill.flight.ends = f.rest.p, f.rest.ends
		s.mu.Unlock()
	}
	return atEnd
}

// ack records that the batch read last was delivered. If the store cannot
// record it (the position's fsync failed), the batch is given back, to be
// read and delivered again: a duplicate, within the bound the spill
// documents, rather than a store that refuses every later read.
func (sp *spilling) ack(s *Stream) {
	err := sp.store.Ack()
	if err == nil {
		return
	}
	if err = sp.store.Ack(); err == nil {
		return
	}
	s.fail(spillErr(err))
	sp.store.Rewind()
}

// restInMemory returns the rest of a copied batch a failed write left, which
// is in memory only; the rest of a spilled batch is still in the store.
func (f *flusher) restInMemory() ([]byte, []int) {
	if f.rest.src != fromCopy {
		return nil, nil
	}
	return f.rest.p, f.rest.ends
}

// spillRest puts the rest of a copied batch that a write failed on into
// the store, before everything in it, so that an outage keeps nothing in
// memory but the ring, which the spiller empties.
func (f *flusher) spillRest() {
	p, ends := f.restInMemory()
	if len(p) == 0 {
		return
	}
	if err := f.s.spill.store.Prepend(p, ends); err != nil {
		err = spillErr(err)
		f.s.fail(err)
		f.landFlight(err) // it stays in memory and is written first
		return
	}
	f.rest = batch{}
	f.landFlight(nil)
}

// syncSpill makes what the store holds durable: once per flush interval,
// and for Sync.
func (f *flusher) syncSpill() error {
	if f.s.spill == nil {
		return nil
	}
	if err := f.s.spill.store.Sync(); err != nil {
		err = spillErr(err)
		f.s.fail(err)
		return err
	}
	return nil
}

// closeSpill saves what the destination did not take in time into the
// store and closes it, at the end. It returns the bytes left in the store
// for the next stream on the directory, and err, or errAbandoned if Close
// gave up meanwhile.
func (f *flusher) closeSpill(err error) (left int64, _ error) {
	s := f.s
	if s.spill == nil {
		return 0, err
	}
	sp := s.spill
	sp.moveMu.Lock() // waits for the spiller's last move
	defer sp.moveMu.Unlock()
	s.mu.Lock()
	abandoned := s.abandoned
	s.mu.Unlock()
	if abandoned {
		return 0, errAbandoned
	}
	unsaved, _ := s.saveToSpillLocked(f.restInMemory())
	s.stats.lostBytes.Add(uint64(unsaved))
	f.rest = batch{}
	f.landFlight(nil)
	left = sp.store.Size()
	if cerr := sp.store.Close(); cerr != nil {
		cerr = spillErr(cerr)
		s.fail(cerr)
		err = errors.Join(err, cerr)
	}
	return left, err
}

// abandon saves what is in memory into the store when Close gives up on a
// flusher stuck in a destination call: the flight and the ring. It waits
// for a mover that is appending, so that no byte is counted both lost and
// spilled. It returns the bytes it could not save and those left in the
// store.
func (sp *spilling) abandon(s *Stream) (unsaved int, left int64) {
	sp.moveMu.Lock()
	defer sp.moveMu.Unlock()
	s.mu.Lock()
	fl := sp.flight
	s.mu.Unlock()
	unsaved, saved := s.saveToSpillLocked(fl.p, fl.ends)
	s.mu.Lock()
	sp.flightLost = len(fl.p) > 0 && !saved
	s.mu.Unlock()
	left = sp.store.Size()
	if err := sp.store.Close(); err != nil {
		s.fail(spillErr(err))
	}
	return unsaved, left
}
