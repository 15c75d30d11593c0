package logsink

import (
	"sync"
	"sync/atomic"

	"go.uber.org/zap/buffer"
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
	n   atomic.Uint64 // dropped entries reported or being reported; written under mu
	mu  sync.Mutex
	enc zapcore.Encoder // without With fields
	nb  uint64          // dropped bytes reported or being reported
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
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	defer buf.Free()
	block, timeout := c.s.opts.policy == Block, c.s.opts.blockTimeout
	if ent.Level >= c.keep {
		block, timeout = true, 0 // WriteKeep
	}
	var pre []byte
	var n, nb uint64
	if c.s.stats.dropped.Load() > c.sum.n.Load() {
		var sum *buffer.Buffer
		if sum, n, nb = c.sum.take(c.s, ent); sum != nil {
			defer sum.Free()
			pre = sum.Bytes()
		}
	}
	ok, err := c.s.put(pre, buf.Bytes(), block, timeout)
	if !ok && pre != nil {
		c.sum.giveBack(n, nb)
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

// take encodes a summary entry of the drops not yet reported and counts them
// as reported. If the summary is not written, the caller gives them back.
func (sm *summary) take(s *Stream, ent zapcore.Entry) (*buffer.Buffer, uint64, uint64) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	n := s.stats.dropped.Load() - sm.n.Load()
	nb := s.stats.droppedBytes.Load() - sm.nb
	if n == 0 {
		return nil, 0, 0
	}
	buf, err := sm.enc.EncodeEntry(zapcore.Entry{
		Level:      zapcore.WarnLevel,
		Time:       ent.Time,
		LoggerName: ent.LoggerName,
		Message:    DroppedMessage,
	}, []zapcore.Field{
		{Key: "dropped_entries", Type: zapcore.Uint64Type, Integer: int64(n)},
		{Key: "dropped_bytes", Type: zapcore.Uint64Type, Integer: int64(nb)},
	})
	if err != nil {
		return nil, 0, 0
	}
	sm.n.Add(n)
	sm.nb += nb
	return buf, n, nb
}

// giveBack returns drops that take counted but whose summary was not written.
func (sm *summary) giveBack(n, nb uint64) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.n.Add(-n)
	sm.nb -= nb
}

func (c *core) Sync() error { return c.s.Sync() }
