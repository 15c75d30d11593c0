package logsink

import (
	"errors"
	"time"

	"go.uber.org/zap/zapcore"
)

// A CoreOption configures the zap core made by NewCore.
type CoreOption interface {
	apply(*coreOptions)
}

type coreOptionFunc func(*coreOptions)

func (f coreOptionFunc) apply(o *coreOptions) { f(o) }

type coreOptions struct {
	keep         zapcore.Level
	backlog      *Backlog
	requestLimit Size
}

// KeepAtOrAbove makes entries at level l and above use WriteKeep, so that
// the Drop policy never drops them. Defaults to zapcore.WarnLevel if
// unspecified.
func KeepAtOrAbove(l zapcore.Level) CoreOption {
	return coreOptionFunc(func(o *coreOptions) { o.keep = l })
}

// DroppedMessage is the message of the summary entry that NewCore and
// NewSlogHandler give a stream to mark where entries were dropped.
const DroppedMessage = "logsink: dropped log entries"

// NewCore returns a zapcore.Core that encodes entries with enc and writes
// them through s. Entries at or above the KeepAtOrAbove level (default Warn)
// use WriteKeep, so under the Drop policy warnings and errors wait for room
// (at most the keep timeout) while debug and info entries may be dropped.
//
// Unless s has a drop summary already (WithDropSummary), NewCore gives it
// one encoded with enc: after entries were dropped, the next entry that
// finds room is preceded by one summary entry at warn level, with message
// DroppedMessage and fields dropped_entries and dropped_bytes counting the
// entries dropped since the previous summary, so a reader sees the gap
// where it happened; Sync, Flush, Close and the flush interval write a
// summary still due. A nil s gives a core whose Write returns an error.
//
// With WithBacklog, entries below the core's level are held in memory
// and written out before an error; RequestBacklog gives one request's
// logger a backlog of its own (see docs/backlog.md).
func NewCore(enc zapcore.Encoder, s *Stream, enab zapcore.LevelEnabler, opts ...CoreOption) zapcore.Core {
	o := coreOptions{keep: zapcore.WarnLevel}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if s != nil {
		s.setSummaryIfNone(ZapSummary(enc.Clone(), DroppedMessage))
	}
	c := &core{
		LevelEnabler: enab,
		enc:          enc,
		s:            s,
		keep:         o.keep,
		bl:           newCoreBacklogConfig(o.backlog, o.requestLimit),
	}
	if o.backlog != nil {
		c.ring = newProcessBacklog(o.backlog.Size)
	}
	return c
}

type core struct {
	zapcore.LevelEnabler
	enc  zapcore.Encoder
	s    *Stream
	keep zapcore.Level
	bl   *coreBacklogConfig // shared by the cores made from one NewCore
	ring *backlog           // where entries below the level go; nil: none
}

var _ zapcore.Core = (*core)(nil)

// Level returns the lowest level the core takes: its own, or the
// backlog's Level if it has a backlog that holds more.
func (c *core) Level() zapcore.Level {
	l := zapcore.LevelOf(c.LevelEnabler)
	if c.ring != nil && c.bl.level < l {
		return c.bl.level
	}
	return l
}

// Enabled reports whether the core takes entries at level l: those its
// LevelEnabler enables, and, with a backlog, those from the backlog's
// Level up.
func (c *core) Enabled(l zapcore.Level) bool {
	return c.LevelEnabler.Enabled(l) || c.ring != nil && l >= c.bl.level
}

// With returns a core whose entries carry fields. A RequestBacklog field
// among them gives the new core a backlog of its own; otherwise it shares
// c's.
func (c *core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.Clone()
	for _, f := range fields {
		if size, ok := requestBacklogSize(f); ok {
			clone.ring = newRequestBacklog(c.bl.budget, size)
			continue
		}
		f.AddTo(clone.enc)
	}
	return &clone
}

func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	if c.s == nil {
		return errNilStream
	}
	var blErr error
	if c.ring != nil {
		if !c.LevelEnabler.Enabled(ent.Level) && ent.Level >= c.bl.level {
			return c.hold(ent, fields)
		}
		if c.bl.trigger.Enabled(ent.Level) {
			// The backlog goes first; the entry that triggered it is
			// written whatever became of the backlog.
			blErr = c.writeBacklog(ent.Time)
		}
	}
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return errors.Join(blErr, err)
	}
	defer buf.Free()
	if ent.Level >= c.keep {
		_, err = c.s.WriteKeep(buf.Bytes())
	} else {
		_, err = c.s.Write(buf.Bytes())
	}
	if err != nil {
		return errors.Join(blErr, err)
	}
	if ent.Level > zapcore.ErrorLevel {
		// zap panics or exits after this entry without calling Sync: write
		// it through now, as zapcore's own ioCore does. Sync errors are
		// ignored, as there (zap issue #370).
		_ = c.s.Sync()
	}
	return blErr
}

// ZapSummary returns a SummaryFunc (for WithDropSummary) that encodes a
// drop summary with enc as one zap entry at warn level, with message msg
// and fields dropped_entries and dropped_bytes. NewCore gives a stream
// ZapSummary(enc, DroppedMessage); a stream with another reader, such as
// package httptail's clients, may say something else.
func ZapSummary(enc zapcore.Encoder, msg string) SummaryFunc {
	return func(b []byte, at time.Time, entries, bytes uint64) []byte {
		buf, err := enc.EncodeEntry(zapcore.Entry{
			Level:   zapcore.WarnLevel,
			Time:    at,
			Message: msg,
		}, []zapcore.Field{
			{Key: "dropped_entries", Type: zapcore.Uint64Type, Integer: int64(entries)},
			{Key: "dropped_bytes", Type: zapcore.Uint64Type, Integer: int64(bytes)},
		})
		if err != nil {
			return b
		}
		b = append(b, buf.Bytes()...)
		buf.Free()
		return b
	}
}

// Sync writes the backlog out first if the Backlog says OnSync, then
// syncs the stream.
func (c *core) Sync() error {
	if c.s == nil {
		return errNilStream
	}
	var blErr error
	if c.ring != nil && c.bl.onSync {
		blErr = c.writeBacklog(time.Now())
	}
	return errors.Join(blErr, c.s.Sync())
}

var errNilStream = errors.New("logsink: NewCore: nil stream")
