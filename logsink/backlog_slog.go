package logsink

import (
	"context"
	"log/slog"
	"time"
)

// SlogBacklog configures the backlog of a handler made by NewSlogHandler
// (SlogOptions.Backlog): the most recent records below the handler's
// Level, held in memory and written out, in their original order, right
// before a record at the Trigger level. It is what WithBacklog is for zap;
// a zero SlogBacklog holds debug records and triggers on errors.
//
// Records written out of a backlog carry the attribute BacklogKey
// ("backlog": true), outside every group, so that a reader tells them from
// the live records of other goroutines that may land between them. The
// handler's Enabled admits Level and above, so slog's Debug calls reach
// it and cost a format and a copy into the backlog; code that guards
// expensive debug work with Enabled does that work now. slog handlers have
// no Sync: a backlog is written out only by a Trigger record.
type SlogBacklog struct {
	// Level is the lowest level the backlog holds: records from Level up
	// to, not including, the handler's Level go to the backlog instead of
	// the stream. It is read for every record. Defaults to slog.LevelDebug
	// if unspecified.
	Level slog.Leveler

	// Trigger is the level at and above which a record (that the handler
	// writes) writes the backlog out before itself. Defaults to
	// slog.LevelError if unspecified.
	Trigger slog.Leveler

	// Size bounds the memory the process-wide backlog holds, in bytes:
	// when it is full, the oldest records are overwritten, and counted in
	// the record with message BacklogDiscardedMessage written before the
	// backlog. Defaults to DefaultBacklogSize (256 KiB) if unspecified.
	Size Size

	// RequestLimit bounds the memory that all request backlogs
	// (SlogRequestBacklog) of the handler, and of the handlers made from
	// it, hold together, as WithRequestBacklogLimit does for zap. Defaults
	// to DefaultRequestBacklogLimit (16 MiB) if unspecified.
	RequestLimit Size
}

// slogBacklogConfig is what the handlers made from one NewSlogHandler
// share about backlogs.
type slogBacklogConfig struct {
	level   slog.Leveler
	trigger slog.Leveler
	budget  *backlogBudget
}

func newSlogBacklogConfig(b *SlogBacklog) *slogBacklogConfig {
	cfg := &slogBacklogConfig{level: slog.LevelDebug, trigger: slog.LevelError}
	var limit Size
	if b != nil {
		if b.Level != nil {
			cfg.level = b.Level
		}
		if b.Trigger != nil {
			cfg.trigger = b.Trigger
		}
		limit = b.RequestLimit
	}
	cfg.budget = newBacklogBudget(limit)
	return cfg
}

// slogBacklogMarker is the attribute every record held in a backlog
// carries.
var slogBacklogMarker = slog.Bool(BacklogKey, true)

// slogRequestBacklog is the value of a SlogRequestBacklog attribute.
type slogRequestBacklog struct{ size Size }

// LogValue makes the attribute an empty group for every other handler,
// which slog's handlers leave out.
func (slogRequestBacklog) LogValue() slog.Value { return slog.GroupValue() }

// SlogRequestBacklog returns an attribute that gives a logger a backlog of
// its own, of at most size bytes (DefaultBacklogSize if size is 0 or
// less), for one request:
//
//	reqLog := logger.With(logsink.SlogRequestBacklog(64<<10), "req", id)
//
// Records below the handler's Level logged through reqLog (and the loggers
// made from it) go to its backlog, not the process-wide one, and an error
// logged through reqLog writes out only its own backlog. The levels are
// those of SlogOptions.Backlog (debug and error if it is nil); all request
// backlogs together are bounded by SlogBacklog.RequestLimit.
//
// The attribute's value is a slog.LogValuer that resolves to an empty
// group, so every other handler (slog's JSON and text handlers, and those
// that follow the slog.Handler rules) leaves it out. Only WithAttrs (and
// so Logger.With) looks for it; in a record's own attributes it does
// nothing. The backlog allocates nothing until its first record, and a
// request that never fails needs no cleanup: its backlog is freed with the
// logger.
func SlogRequestBacklog(size Size) slog.Attr {
	return slog.Attr{Key: BacklogKey, Value: slog.AnyValue(slogRequestBacklog{size})}
}

// slogRequestBacklogSize reports whether a is a SlogRequestBacklog
// attribute, and its size.
func slogRequestBacklogSize(a slog.Attr) (Size, bool) {
	if a.Value.Kind() != slog.KindLogValuer {
		return 0, false
	}
	rb, ok := a.Value.LogValuer().(slogRequestBacklog)
	return rb.size, ok
}

// hold formats r, with the marker, into the handler's backlog.
func (h *slogHandler) hold(ctx context.Context, r slog.Record) error {
	l := h.shared.lanes.Get().(*slogLane)
	l.hold = h.ring
	return h.handleShared(ctx, l, r, true)
}

// writeBacklog writes the handler's backlog out through the stream with
// WriteKeep, oldest first, preceded by a record counting what it
// discarded, if anything; at is the time of that record.
func (h *slogHandler) writeBacklog(ctx context.Context, at time.Time) error {
	bl := h.ring.take()
	defer bl.done()
	sh := h.shared
	if bl.discarded > 0 {
		r := slog.NewRecord(at, slog.LevelWarn, BacklogDiscardedMessage, 0)
		r.AddAttrs(slog.Uint64("discarded_entries", bl.discarded), slog.Uint64("discarded_bytes", bl.discardedBytes))
		l := sh.lanes.Get().(*slogLane)
		l.keep = true
		if err := h.handleShared(ctx, l, r, true); err != nil {
			return err
		}
	}
	return bl.writeTo(sh.s)
}
