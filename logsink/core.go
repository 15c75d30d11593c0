package logsink

import (
	"sync"
	"sync/atomic"

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

// DroppedMessage is the message of the summary entry NewCore writes after
// entries were dropped.
const DroppedMessage = "logsink: dropped log entries"

// NewCore returns a zapcore.Core that encodes entries with enc and writes
// them through s. Entries at or above the KeepAtOrAbove level (default Warn)
// use WriteKeep, so under the Drop policy warnings and errors are kept while
// debug and info entries may be dropped.
//
// After entries were dropped, the next entry that finds room is preceded by
// one summary entry at warn level, with message DroppedMessage and fields
// dropped_entries and dropped_bytes counting the entries dropped since the
// previous summary, so a reader sees the gap where it happened.
func NewCore(enc zapcore.Encoder, s *Stream, enab zapcore.LevelEnabler, opts ...CoreOption) zapcore.Core {
	o := coreOptions{keep: zapcore.WarnLevel}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return &core{
		LevelEnabler: enab,
		enc:          enc,
		s:            s,
		keep:         o.keep,
		sum:          &summary{enc: enc.Clone()},
	}
}

type core struct {
	zapcore.LevelEnabler
	enc  zapcore.Encoder
	s    *Stream
	keep zapcore.Level
	sum  *summary // shared by the core and its With clones
}

// summary tracks which of the stream's drops a summary entry has reported.
type summary struct {
	n   atomic.Uint64 // dropped entries reported so far; written under mu
	mu  sync.Mutex
	enc zapcore.Encoder // without With fields
	nb  uint64          // dropped bytes reported so far
}

var _ zapcore.LevelEnabler = (*core)(nil)

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
	if c.s.stats.dropped.Load() > c.sum.n.Load() {
		c.writeSummary(ent)
	}
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	if ent.Level >= c.keep {
		_, err = c.s.WriteKeep(buf.Bytes())
	} else {
		_, err = c.s.Write(buf.Bytes())
	}
	buf.Free()
	return err
}

// writeSummary writes one entry reporting the drops not yet reported, if
// there is room for it now; otherwise a later entry tries again.
func (c *core) writeSummary(ent zapcore.Entry) {
	c.sum.mu.Lock()
	defer c.sum.mu.Unlock()
	n, nb := c.s.stats.dropped.Load(), c.s.stats.droppedBytes.Load()
	reported := c.sum.n.Load()
	if n <= reported {
		return
	}
	buf, err := c.sum.enc.EncodeEntry(zapcore.Entry{
		Level:      zapcore.WarnLevel,
		Time:       ent.Time,
		LoggerName: ent.LoggerName,
		Message:    DroppedMessage,
	}, []zapcore.Field{
		{Key: "dropped_entries", Type: zapcore.Uint64Type, Integer: int64(n - reported)},
		{Key: "dropped_bytes", Type: zapcore.Uint64Type, Integer: int64(nb - c.sum.nb)},
	})
	if err != nil {
		return
	}
	if ok, _ := c.s.put(buf.Bytes(), false, 0, false); ok {
		c.sum.n.Store(n)
		c.sum.nb = nb
	}
	buf.Free()
}

func (c *core) Sync() error { return c.s.Sync() }
