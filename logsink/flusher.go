package logsink

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// run is the flusher goroutine: the only code that touches the destination.
// Flushes, syncs, rotations, reopens and the end run here one at a time, in
// order with the data.
func (s *Stream) run() {
	defer close(s.done)
	tick := s.opts.clock.NewTicker(s.opts.flushInterval)
	defer tick.Stop()

	var retry, rot timer
	defer retry.stop()
	defer rot.stop()
	rotateDue := false
	s.scheduleRotation(&rot)

	// background flushes on a wake-up, a tick or a retry; a failure starts
	// the backoff, during which only retries and requests write.
	flush := func() {
		err := s.flush()
		s.notify()
		if err != nil {
			if !isPermanent(err) {
				s.scheduleRetry(&retry, err)
			}
			return
		}
		s.backoff = 0
		retry.stop()
		if rotateDue {
			rotateDue = false
			s.rotateOnTime()
			s.notify()
			s.scheduleRotation(&rot)
		}
	}

	for {
		select {
		case <-s.kick:
			if retry.c == nil {
				flush()
			} else {
				s.notify()
			}
		case <-tick.C:
			s.follow()
			s.pendingSummary()
			if retry.c == nil {
				flush()
			}
		case <-retry.c:
			retry.stop()
			flush()
		case <-rot.c:
			rot.stop()
			rotateDue = true
			flush()
		case r := <-s.reqs:
			err := s.handle(r.kind, &retry)
			s.notify()
			r.reply <- err
			if r.kind == reqEnd {
				return
			}
		}
	}
}

// timer is a one-shot built on the stream's Clock, which only has tickers.
type timer struct {
	t *time.Ticker
	c <-chan time.Time
}

func (t *timer) start(c interface {
	NewTicker(time.Duration) *time.Ticker
}, d time.Duration) {
	t.stop()
	if d <= 0 {
		d = time.Nanosecond
	}
	t.t = c.NewTicker(d)
	t.c = t.t.C
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.t, t.c = nil, nil
}

func (s *Stream) scheduleRetry(retry *timer, err error) {
	retry.start(s.opts.clock, s.retryDelay(err))
}

// retryDelay returns how long to wait before retrying after err: the
// backoff, doubled on every failure, or longer if the error says so with a
// RetryAfter() time.Duration method (a connection waiting to redial).
func (s *Stream) retryDelay(err error) time.Duration {
	s.backoff = min(max(2*s.backoff, minBackoff), maxBackoff)
	var hint interface{ RetryAfter() time.Duration }
	if errors.As(err, &hint) {
		return max(s.backoff, hint.RetryAfter())
	}
	return s.backoff
}

func (s *Stream) scheduleRotation(rot *timer) {
	if s.timeRot == nil {
		return
	}
	now := s.opts.clock.Now()
	next := s.timeRot.NextRotation(now)
	if next.IsZero() {
		return
	}
	rot.start(s.opts.clock, next.Sub(now))
}

func (s *Stream) handle(kind requestKind, retry *timer) error {
	if kind == reqEnd {
		return s.end()
	}
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	s.pendingSummary()
	err := s.flush()
	switch {
	case err == nil:
		// The destination works again: background flushes resume now,
		// not when a pending retry would have fired.
		s.backoff = 0
		retry.stop()
	case !isPermanent(err):
		s.scheduleRetry(retry, err)
	}
	switch {
	case kind == reqFlush:
	case err != nil:
	case kind == reqSync:
		err = s.sync()
	case kind == reqRotate:
		err = s.rotate()
	case kind == reqReopen:
		if err = s.sync(); err == nil {
			if err = s.dst.(Reopener).Reopen(); err != nil {
				err = fmt.Errorf("logsink: reopen: %w", err)
				s.fail(err)
			}
		}
	}
	if kind == reqSync {
		s.mu.Lock()
		switch {
		case s.failed != nil:
			err = s.failed
		case err == nil:
			err = s.lastErr
		}
		s.lastErr = nil
		s.mu.Unlock()
	}
	return err
}

// flush writes what is buffered: first any rest a failed write left, then
// everything accepted up to now. Entries accepted while it writes wait for
// the next flush.
func (s *Stream) flush() error {
	if len(s.pending) > 0 {
		if err := s.writePending(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.kicked = false
	if len(s.active) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.pending, s.active = s.active, s.pending[:0]
	s.pendEnds, s.ends = s.ends, s.pendEnds[:0]
	s.mu.Unlock()
	return s.writePending()
}

// writePending writes s.pending. On failure the unwritten rest stays in
// s.pending for the next try, unless the failure is permanent.
func (s *Stream) writePending() error {
	n, err := s.writeEntries(s.pending, s.pendEnds)
	if err == nil && n < len(s.pending) {
		err = io.ErrShortWrite
	}
	s.mu.Lock()
	s.buffered -= n
	s.freedLocked()
	s.mu.Unlock()
	if err == nil {
		s.stats.flushes.Add(1)
		s.midEntry = false
		// An entry larger than the buffer can leave a huge slice: let it go.
		if cap(s.pending) > 2*s.opts.bufferSize {
			s.pending, s.pendEnds = nil, nil
		}
		s.pending, s.pendEnds = s.pending[:0], s.pendEnds[:0]
		return nil
	}
	err = fmt.Errorf("logsink: write: %w", err)
	// Keep the unwritten rest at the front, with its entry ends.
	rest := copy(s.pending, s.pending[n:])
	s.pending = s.pending[:rest]
	if n > 0 && len(s.pendEnds) > 0 {
		s.midEntry = true
		j := 0
		for _, e := range s.pendEnds {
			if e == n {
				s.midEntry = false
			}
			if e > n {
				s.pendEnds[j] = e - n
				j++
			}
		}
		s.pendEnds = s.pendEnds[:j]
	}
	if isPermanent(err) {
		s.failPermanently(err)
	} else {
		s.fail(err)
	}
	return err
}

// writeEntries writes p to the destination: through WriteEntries for an
// EntryWriter, and for a SizeRotator rotating between entries whenever the
// next entry would take the file past its limit.
func (s *Stream) writeEntries(p []byte, ends []int) (int, error) {
	if s.entryW != nil && s.sizer == nil {
		return s.entryW.WriteEntries(p, ends)
	}
	if s.sizer == nil || len(ends) == 0 {
		return s.dst.Write(p)
	}
	size, limit := s.sizer.SizeLimit()
	written, start := 0, 0 // p[written:start] fits in the current file
	fill := size
	rotateOK := true
	for i, e := range ends {
		n := int64(e - start)
		canSplit := i > 0 || !s.midEntry
		if rotateOK && canSplit && limit > 0 && fill > 0 && fill+n > limit {
			if start > written {
				m, err := s.dst.Write(p[written:start])
				written += m
				if err != nil {
					return written, err
				}
			}
			if err := s.rotate(); err != nil {
				rotateOK = false // write on into the old file; try again next flush
			}
			size, limit = s.sizer.SizeLimit()
			fill = size
		}
		fill += n
		start = e
	}
	if written == len(p) {
		return written, nil
	}
	m, err := s.dst.Write(p[written:])
	return written + m, err
}

// rotateOnTime rotates at a time boundary, unless the file is empty.
func (s *Stream) rotateOnTime() {
	if s.sizer != nil {
		if size, _ := s.sizer.SizeLimit(); size == 0 {
			return
		}
	}
	s.rotate()
}

// follow lets a Follower check that it writes where it should.
func (s *Stream) follow() {
	if s.follower == nil {
		return
	}
	reopened, err := s.follower.Follow()
	if reopened {
		s.stats.reopens.Add(1)
	}
	if err != nil {
		s.fail(fmt.Errorf("logsink: follow: %w", err))
	}
}

// pendingSummary buffers a drop summary that is due.
func (s *Stream) pendingSummary() {
	s.mu.Lock()
	s.summaryLocked()
	s.mu.Unlock()
}

// rotate syncs the destination and rotates it. The caller has flushed.
func (s *Stream) rotate() error {
	if err := s.sync(); err != nil {
		return err
	}
	if err := s.dst.(Rotator).Rotate(); err != nil {
		err = fmt.Errorf("logsink: rotate: %w", err)
		s.fail(err)
		return err
	}
	s.stats.rotations.Add(1)
	return nil
}

// sync syncs the destination if it can be synced.
func (s *Stream) sync() error {
	if s.syncer == nil {
		return nil
	}
	if err := s.syncer.Sync(); err != nil && !isIgnorableSync(err) {
		err = fmt.Errorf("logsink: sync: %w", err)
		s.fail(err)
		return err
	}
	return nil
}

// end flushes everything, retrying a failing destination until the close
// timeout, then syncs and closes the destination.
func (s *Stream) end() error {
	s.pendingSummary()
	deadline := s.opts.clock.Now().Add(s.opts.closeTimeout)
	var retry timer
	defer retry.stop()
	var err error
	for {
		if err = s.flush(); err == nil || isPermanent(err) {
			break
		}
		now := s.opts.clock.Now()
		if !now.Before(deadline) {
			break
		}
		retry.start(s.opts.clock, min(s.retryDelay(err), deadline.Sub(now)))
		<-retry.c
	}

	s.mu.Lock()
	failed := s.failed
	rest := s.buffered
	s.buffered = 0
	s.active, s.pending = nil, nil
	s.freedLocked()
	s.mu.Unlock()

	switch {
	case failed != nil && failed != errNilDestination:
		err = fmt.Errorf("logsink: close: destination failed, %d bytes lost: %w", s.stats.lostBytes.Load(), failed)
	case failed != nil:
		err = failed
	case rest > 0:
		s.stats.lostBytes.Add(uint64(rest))
		err = fmt.Errorf("logsink: close: %d bytes not written: %w", rest, err)
	default:
		err = s.sync()
	}
	if err == nil {
		s.mu.Lock()
		s.finished = true
		s.mu.Unlock()
		if s.opts.onFinish != nil {
			s.opts.onFinish()
		}
	}
	if c, ok := s.dst.(io.Closer); ok {
		if cerr := c.Close(); cerr != nil {
			cerr = fmt.Errorf("logsink: close: %w", cerr)
			s.fail(cerr)
			err = errors.Join(err, cerr)
		}
	}
	if s.opts.onClose != nil {
		s.opts.onClose()
	}
	return err
}

// fail counts and reports a destination error.
func (s *Stream) fail(err error) {
	s.stats.errors.Add(1)
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	if s.opts.onError != nil {
		s.opts.onError(err)
	}
}

// failPermanently reports err once and stops writing: what is buffered is
// lost and counted, and later entries are dropped and counted.
func (s *Stream) failPermanently(err error) {
	s.mu.Lock()
	s.failed = err
	lost := s.buffered
	s.buffered = 0
	s.active, s.ends = s.active[:0], s.ends[:0]
	s.wakeAllLocked()
	s.mu.Unlock()
	s.pending, s.pendEnds = s.pending[:0], s.pendEnds[:0]
	s.stats.lostBytes.Add(uint64(lost))
	s.fail(err)
}

// freedLocked grants the freed room to writers waiting for it.
func (s *Stream) freedLocked() {
	if len(s.waiters) > 0 {
		s.grantLocked()
	}
}

// notify fires the drain and drop hooks that are due, without the lock.
func (s *Stream) notify() {
	s.mu.Lock()
	drained := s.needDrain && s.buffered == 0
	if drained {
		s.needDrain = false
		if s.drainCh != nil {
			close(s.drainCh)
			s.drainCh = nil
		}
	}
	dropN, dropBytes := s.dropN, s.dropBytes
	s.dropN, s.dropBytes = 0, 0
	s.mu.Unlock()
	if drained && s.opts.onDrain != nil {
		s.opts.onDrain()
	}
	if dropN > 0 {
		s.opts.onDrop(dropN, dropBytes)
	}
}
