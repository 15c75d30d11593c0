package logsink

import (
	"log/slog"
	"weak"

	"go.uber.org/zap/zapcore"
)

// BacklogMemory reports, for the core made by NewCore (or derived from
// it), the bytes its request backlogs hold now and the most they ever
// held, by the budget's count, and the limit.
func BacklogMemory(c zapcore.Core) (held, peak, limit int) {
	bg := c.(*core).bl.budget
	bg.mu.Lock()
	defer bg.mu.Unlock()
	return bg.held, bg.peak, bg.limit
}

// BacklogRingLen returns the length of the ring of the core's backlog,
// the memory it holds now, and its bound.
func BacklogRingLen(c zapcore.Core) (n, bound int) {
	b := c.(*core).ring
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf), b.max
}

// BacklogRing is a weak pointer to a core's backlog.
type BacklogRing = weak.Pointer[backlog]

// BacklogRingOf returns a weak pointer to the core's backlog.
func BacklogRingOf(c zapcore.Core) BacklogRing { return weak.Make(c.(*core).ring) }

// SlogBacklogMemory is BacklogMemory for a handler made by NewSlogHandler.
func SlogBacklogMemory(h slog.Handler) (held, peak, limit int) {
	bg := h.(*slogHandler).shared.bl.budget
	bg.mu.Lock()
	defer bg.mu.Unlock()
	return bg.held, bg.peak, bg.limit
}

// SlogBacklogRingLen is BacklogRingLen for a handler made by
// NewSlogHandler.
func SlogBacklogRingLen(h slog.Handler) (n, bound int) {
	b := h.(*slogHandler).ring
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf), b.max
}
