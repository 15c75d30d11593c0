package logsink

import "go.uber.org/zap/zapcore"

// summary marks gaps in the log: after entries were dropped, the next
// entry stored is preceded by an entry, encoded by the stream's
// SummaryFunc, that says how many entries and bytes were dropped since the
// previous summary. Its methods need the stream's lock.
type summary struct {
	encode  SummaryFunc // nil: drops are only counted
	entries uint64      // dropped entries reported by summaries so far
	bytes   uint64      // dropped bytes reported so far
	buf     []byte      // the summary encoded for dropped == encodedFor
	encoded uint64
}

// due reports whether drops wait to be reported.
func (sm *summary) due(c *counters) bool {
	return sm.encode != nil && c.dropped.Load() > sm.entries
}

// size returns the length of the summary that is due.
func (sm *summary) size(c *counters, clock zapcore.Clock) int {
	sm.encodeFor(c, clock)
	return len(sm.buf)
}

// take returns the summary that is due and counts its drops as reported.
// The slice is valid until the next call.
func (sm *summary) take(c *counters, clock zapcore.Clock) []byte {
	sm.encodeFor(c, clock)
	sm.entries, sm.bytes = sm.encoded, c.droppedBytes.Load()
	return sm.buf
}

func (sm *summary) encodeFor(c *counters, clock zapcore.Clock) {
	n := c.dropped.Load()
	if n == sm.encoded && sm.buf != nil {
		return
	}
	// Drops are counted under the stream's lock, so the two counters agree.
	nb := c.droppedBytes.Load()
	sm.buf = sm.encode(sm.buf[:0], clock.Now(), n-sm.entries, nb-sm.bytes)
	sm.encoded = n
}

// setSummaryIfNone makes f the stream's drop summary unless it has one.
func (s *Stream) setSummaryIfNone(f SummaryFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sum.encode == nil {
		s.sum.encode = f
	}
}

// summaryBeforeLocked returns the length of the summary to store before an
// entry of n bytes: that of the due summary, or 0 if none is due or the two
// could never fit into the buffer together (a tiny buffer), in which case
// the entry goes alone and the summary stays due.
func (s *Stream) summaryBeforeLocked(n int) int {
	if !s.sum.due(&s.stats) {
		return 0
	}
	m := s.sum.size(&s.stats, s.opts.clock)
	if n+m > len(s.buf.buf) {
		return 0
	}
	return m
}

// storeSummaryLocked stores a due summary on its own, if it fits, and
// reports whether one is still due and will fit once the buffer empties.
func (s *Stream) storeSummaryLocked() bool {
	if !s.sum.due(&s.stats) || s.failed != nil || s.abandoned {
		return false
	}
	n := s.sum.size(&s.stats, s.opts.clock)
	if n > len(s.buf.buf) {
		return false
	}
	if !s.buf.fits(n) {
		return true
	}
	s.storeEntryLocked(s.sum.take(&s.stats, s.opts.clock))
	return false
}
