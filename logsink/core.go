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
	keep zapcore.Level
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
	return &core{
		LevelEnabler: enab,
		enc:          enc,
		s:            s,
		keep:         o.keep,
	}
}

type core struct {
	zapcore.LevelEnabler
	enc  zapcore.Encoder
	s    *Stream
	keep zapcore.Level
}

var _ zapcore.Core = (*core)(nil)

func (c *core) Level() zapcore.Level { return zapcore.LevelOf(c.LevelEnabler) }

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.Clone()
	for _, f := range fields {
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
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	defer buf.Free()
	if ent.Level >= c.keep {
		_, err = c.s.WriteKeep(buf.Bytes())
	} else {
		_, err = c.s.Write(buf.Bytes())
	}
	if err != nil {
		return err
	}
	if ent.Level > zapcore.ErrorLevel {
		// zap panics or exits after this entry without calling Sync: write
		// it through now, as zapcore's own ioCore does. Sync errors are
		// ignored, as there (zap issue #370).
		_ = c.s.Sync()
	}
	return nil
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

func (c *core) Sync() error {
	if c.s == nil {
		return errNilStream
	}
	return c.s.Sync()
}

var errNilStream = errors.New("logsink: NewCore: nil stream")
