package logsink

import (
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// Backlog configures the backlog of a core made by NewCore (WithBacklog):
// the most recent entries below the core's level, held in memory and
// written out, in their original order, right before an entry at the
// Trigger level. A zero Backlog but for Level is a sensible default.
type Backlog struct {
	// Level is the lowest level the backlog holds: entries from Level up
	// to, not including, the core's enabled level go to the backlog
	// instead of the stream. Set it (usually to zapcore.DebugLevel): the
	// zero value is zapcore.InfoLevel, which holds nothing in a core at
	// info.
	Level zapcore.Level

	// Trigger enables the entries that write the backlog out before
	// themselves. It is consulted only for entries the core writes (those
	// its own level enables). Defaults to zapcore.ErrorLevel (error and
	// above) if unspecified.
	Trigger zapcore.LevelEnabler

	// Size bounds the memory the backlog holds, in bytes: when it is
	// full, the oldest entries are overwritten, and counted in the entry
	// with message BacklogDiscardedMessage written before the backlog.
	// The memory is allocated on the first entry held and grows up to
	// Size. Defaults to DefaultBacklogSize (256 KiB) if unspecified.
	Size Size

	// OnSync writes the backlog out on Sync too, so that a service that
	// syncs at shutdown keeps its last debug lines. Defaults to false (the
	// backlog is written out only by a Trigger entry) if unspecified.
	OnSync bool
}

// WithBacklog gives the core a process-wide backlog: entries from b.Level
// up to the core's level are held, encoded, in memory instead of written,
// and written out through the stream with WriteKeep right before an entry
// that b.Trigger enables (error and above by default). Each entry written
// out of the backlog carries the field BacklogKey ("backlog": true), so
// that a reader tells it from the live entries of other goroutines that
// may land between them.
//
// The core's Enabled, Check and Level now admit b.Level and above, so
// logger.Debug reaches the core and costs an encode and a copy into the
// backlog. Two consequences for callers: code that guards expensive debug
// work with Core().Enabled(zap.DebugLevel) (or logger.Level()) now does
// that work, which is what the backlog needs to hold its result; to guard
// on the level that is written, check the zap.AtomicLevel the core was
// given instead. And a sampler (zapcore.NewSamplerWithOptions) wrapping
// the core now counts debug entries too: held entries share its per-message
// budget, and entries it samples out never reach the backlog.
//
// A logger made with logger.With(RequestBacklog(size)) has a backlog of
// its own instead of the process-wide one: see RequestBacklog.
func WithBacklog(b Backlog) CoreOption {
	return coreOptionFunc(func(o *coreOptions) { o.backlog = &b })
}

// WithRequestBacklogLimit bounds the memory that all request backlogs of
// the core (those made by With(RequestBacklog(size)) from it and from the
// cores derived from it) hold together, in bytes. When a request backlog
// needs to grow past it, the backlogs of the requests that started holding
// entries longest ago are emptied (their entries counted as discarded)
// until it fits, so a service's memory stays bounded under any number of
// concurrent requests. Defaults to DefaultRequestBacklogLimit (16 MiB) if
// unspecified.
func WithRequestBacklogLimit(n Size) CoreOption {
	return coreOptionFunc(func(o *coreOptions) { o.requestLimit = n })
}

// requestBacklogField is the Interface of a RequestBacklog field.
type requestBacklogField struct{ size Size }

// RequestBacklog returns a field that gives a logger a backlog of its own,
// of at most size bytes (DefaultBacklogSize if size is 0 or less), for one
// request:
//
//	reqLog := logger.With(logsink.RequestBacklog(64<<10), zap.String("req", id))
//
// Entries below the core's level logged through reqLog (and the loggers
// made from it) go to its backlog, not the process-wide one, and an error
// logged through reqLog writes out only its own backlog: a failing request
// writes its own recent debug lines, not the other requests'. The levels
// are those of WithBacklog's Backlog; a core without WithBacklog holds
// from zapcore.DebugLevel and triggers at zapcore.ErrorLevel.
//
// The field is of zapcore.SkipType: every other core and encoder ignores
// it, so it passes through zapcore.NewTee, samplers and the cores that
// zap.Config.Build wraps. The backlog allocates nothing until its first
// entry, and all request backlogs together are bounded by
// WithRequestBacklogLimit. A request that never fails needs no cleanup:
// its backlog is plain memory, freed with the logger.
func RequestBacklog(size Size) zapcore.Field {
	return zapcore.Field{Key: BacklogKey, Type: zapcore.SkipType, Interface: requestBacklogField{size}}
}

// requestBacklogSize reports whether f is a RequestBacklog field, and its
// size.
func requestBacklogSize(f zapcore.Field) (Size, bool) {
	if f.Type != zapcore.SkipType {
		return 0, false
	}
	rb, ok := f.Interface.(requestBacklogField)
	return rb.size, ok
}

// coreBacklogConfig is what the cores made from one NewCore share about
// backlogs.
type coreBacklogConfig struct {
	level   zapcore.Level
	trigger zapcore.LevelEnabler
	onSync  bool
	budget  *backlogBudget
}

func newCoreBacklogConfig(b *Backlog, requestLimit Size) *coreBacklogConfig {
	cfg := &coreBacklogConfig{
		level:   zapcore.DebugLevel,
		trigger: zapcore.ErrorLevel,
		budget:  newBacklogBudget(requestLimit),
	}
	if b != nil {
		cfg.level, cfg.onSync = b.Level, b.OnSync
		if b.Trigger != nil {
			cfg.trigger = b.Trigger
		}
	}
	return cfg
}

// backlogMarker is the field every entry held in a backlog carries.
var backlogMarker = zapcore.Field{Key: BacklogKey, Type: zapcore.BoolType, Integer: 1}

// markedFields pools the field slices that add the marker to an entry's
// fields, so that holding an entry costs no allocation.
var markedFields = sync.Pool{New: func() any {
	fs := make([]zapcore.Field, 0, 16)
	return &fs
}}

// maxPooledFields bounds the field slices kept in markedFields.
const maxPooledFields = 256

// hold encodes the entry, with the marker, into the core's backlog.
func (c *core) hold(ent zapcore.Entry, fields []zapcore.Field) error {
	fsp := markedFields.Get().(*[]zapcore.Field)
	fs := append(append((*fsp)[:0], fields...), backlogMarker)
	buf, err := c.enc.EncodeEntry(ent, fs)
	clear(fs) // keep none of the caller's values alive in the pool
	if cap(fs) <= maxPooledFields {
		*fsp = fs[:0]
		markedFields.Put(fsp)
	}
	if err != nil {
		return err
	}
	c.ring.add(buf.Bytes())
	buf.Free()
	return nil
}

// writeBacklog writes the core's backlog out through the stream with
// WriteKeep, oldest first, preceded by an entry counting what it
// discarded, if anything; at is the time of that entry.
func (c *core) writeBacklog(at time.Time) error {
	bl := c.ring.take()
	defer bl.done()
	if bl.discarded > 0 {
		buf, err := c.enc.EncodeEntry(zapcore.Entry{
			Level:   zapcore.WarnLevel,
			Time:    at,
			Message: BacklogDiscardedMessage,
		}, []zapcore.Field{
			{Key: "discarded_entries", Type: zapcore.Uint64Type, Integer: int64(bl.discarded)},
			{Key: "discarded_bytes", Type: zapcore.Uint64Type, Integer: int64(bl.discardedBytes)},
			backlogMarker,
		})
		if err != nil {
			return err
		}
		_, err = c.s.WriteKeep(buf.Bytes())
		buf.Free()
		if err != nil {
			return err
		}
	}
	return bl.writeTo(c.s)
}
