package logsink

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// End writes p as a last entry if it is not empty (waiting for room as
// under Block, within the close timeout), marks the stream ended, and waits
// while the flusher writes everything buffered, syncs the destination
// (OnFinish) and closes it, and the hooks run to OnClose.
//
// End returns within the close timeout (WithCloseTimeout) in every case. If
// the destination keeps failing, the flusher retries until shortly before
// it and End returns an error that says how many bytes were not written. If
// a destination call never returns (a stalled pipe reader, a hung network
// mount), End gives up on it: it counts what was not written in
// Stats().LostBytes and returns an error that says how many bytes that is
// and matches os.ErrDeadlineExceeded. The flusher goroutine stays blocked
// in that call, which cannot be interrupted; when the call returns, it
// takes back from LostBytes what the call wrote, closes the destination and
// exits. It is the only thing End leaves behind.
//
// Calling End again with an empty p waits for the first call to finish and
// returns nil; with a non-empty p it returns ErrClosed.
func (s *Stream) End(p []byte) error {
	if len(p) > 0 && s.Ended() {
		return ErrClosed
	}
	first := false
	s.endOnce.Do(func() {
		first = true
		s.endErr = s.end(p)
	})
	switch {
	case first:
		return s.endErr
	case len(p) > 0:
		return ErrClosed
	}
	return nil
}

// Close is End(nil). It is idempotent: later calls wait for the first to
// finish and return nil.
func (s *Stream) Close() error { return s.End(nil) }

// The close timeout is shared out. The last entry of End waits for room
// and the flusher retries a failing destination until half of it; the
// destination's own Close may wait for its peer another part of it
// (closeWaitPart, Binding.CloseTimeout), with time to save what is left to
// a spill before; End waits for the flusher until eight tenths of it, and
// the hooks have the rest.
const (
	retryPart     = 0.5
	closeWaitPart = 0.3
	flusherPart   = 0.8
)

// part returns the fraction f of d.
func part(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// end runs End once.
func (s *Stream) end(p []byte) error {
	clock := s.opts.clock
	start := clock.Now()
	timeout := s.opts.closeTimeout
	until := func(d time.Duration) *time.Ticker {
		return clock.NewTicker(max(start.Add(d).Sub(clock.Now()), time.Nanosecond))
	}

	if len(p) > 0 {
		if err := s.put(p, true, part(timeout, retryPart)); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.ended = true
	s.endBy = start.Add(part(timeout, retryPart))
	s.waiters.wakeAll() // blocked writers now fail with ErrClosed
	s.mu.Unlock()
	close(s.ending)

	var err error
	flusherBy := until(part(timeout, flusherPart))
	select {
	case <-s.done:
		err = s.flushErr
	case <-flusherBy.C:
		err = s.abandon()
	}
	flusherBy.Stop()
	if s.spill != nil {
		spillerBy := until(part(timeout, flusherPart))
		select {
		case <-s.spill.done:
		case <-spillerBy.C: // a spill disk that hangs: left behind, like the flusher
		}
		spillerBy.Stop()
	}

	s.mu.Lock()
	s.endDrainLocked() // whatever End met, no drain is to come
	s.mu.Unlock()

	hooksBy := until(timeout)
	defer hooksBy.Stop()
	if !s.hooks.close(hooksBy.C) {
		err = errors.Join(err, fmt.Errorf("logsink: close: hooks still running after the close timeout (%s)", timeout))
	}
	return err
}

// abandon gives up on a flusher stuck in a destination call: everything
// still buffered, the part being written included, counts as lost; with a
// spill it is saved there instead, and what is left there is reported
// (ErrLeftInSpill).
func (s *Stream) abandon() error {
	s.mu.Lock()
	s.abandoned = true
	s.mu.Unlock()
	lost, left := 0, int64(0)
	if s.spill != nil {
		lost, left = s.spill.abandon(s)
	} else {
		s.mu.Lock()
		lost = s.buf.used
		s.mu.Unlock()
	}
	s.stats.lostBytes.Add(uint64(lost))
	what := "the destination"
	if s.spill != nil {
		what = "the destination or the spill"
	}
	err := fmt.Errorf("logsink: close: %s did not finish within the close timeout (%s), %d bytes not written: %w",
		what, s.opts.closeTimeout, lost, os.ErrDeadlineExceeded)
	if left > 0 {
		err = fmt.Errorf("%w; %d bytes left in the spill %q for the next stream on it: %w", err, left, s.opts.spillDir, ErrLeftInSpill)
	}
	return err
}
