package logsink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// SlogOptions configures the handler made by NewSlogHandler. A nil
// *SlogOptions means defaults.
type SlogOptions struct {
	// HandlerOptions are those of slog.NewJSONHandler and
	// slog.NewTextHandler: AddSource, Level (records below it are not
	// logged; Defaults to slog.LevelInfo if unspecified) and ReplaceAttr,
	// which applies to drop summaries too.
	slog.HandlerOptions

	// Keep is the level at and above which records are written with
	// WriteKeep, so that under the Drop policy they wait for room (at most
	// the stream's keep timeout) instead of being dropped. It is read for
	// every record, so a *slog.LevelVar can change it at run time. Defaults
	// to slog.LevelWarn if unspecified.
	Keep slog.Leveler

	// Text selects slog's text format (slog.NewTextHandler) instead of
	// JSON (slog.NewJSONHandler). Defaults to JSON if unspecified.
	Text bool

	// Backlog gives the handler a process-wide backlog of the records
	// below Level, written out before a record at its Trigger level; see
	// SlogBacklog. It also sets the levels and the memory limit of the
	// request backlogs SlogRequestBacklog asks for. Defaults to no
	// process-wide backlog if unspecified.
	Backlog *SlogBacklog
}

// NewSlogHandler returns a slog.Handler that formats records exactly as
// slog's own JSON handler (or text handler, with Text) does and writes each
// record through s as one entry. It gives log/slog users what NewCore gives
// zap users:
//
//   - Records at or above Keep (default Warn) use WriteKeep, so under the
//     Drop policy a full buffer costs debug and info records, never
//     warnings and errors (unless the destination stalls past the keep
//     timeout).
//   - Unless s already has a drop summary (WithDropSummary, or an earlier
//     NewCore or NewSlogHandler on s), the stream is given one in this
//     handler's format: after drops, the next entry accepted is preceded by
//     a record at level WARN with message DroppedMessage and attributes
//     dropped_entries and dropped_bytes, both or neither. ReplaceAttr
//     applies to it; Level and Keep do not.
//
// Enabled follows Level. WithAttrs and WithGroup behave as in slog's own
// handlers (their LogValuers are resolved once, in WithAttrs), with two
// differences that only a ReplaceAttr with side effects could tell apart:
// WithGroup("") returns the handler itself, as the slog.Handler contract
// says (slog's handlers open a group named "" when called directly;
// slog.Logger never calls them so), and a handler they make formats its
// attributes with each of its first records, and once per pooled copy of
// slog's handler after that. So a logger made with With for one request
// costs no more allocations than with slog's own handler, and a long-lived
// one formats its attributes once. The drop summary belongs to the stream
// and carries no WithAttrs attributes.
//
// Each record waits for room in the stream by itself, bounded by its own
// block or keep timeout: unlike slog.NewJSONHandler(s), the handler holds
// no lock while the stream's Write waits, so a warning waiting for room
// does not hold up the info records that Drop would drop at once. The
// handler is safe for concurrent use and makes no allocation per record
// beyond those of slog's own handler.
//
// Handle returns the error of the stream's Write: ErrClosed once s has
// ended. With a nil s, Handle returns an error and writes nothing.
func NewSlogHandler(s *Stream, opts *SlogOptions) slog.Handler {
	var o SlogOptions
	if opts != nil {
		o = *opts
	}
	if o.Keep == nil {
		o.Keep = slog.LevelWarn
	}
	sh := &slogShared{s: s, opts: o, bl: newSlogBacklogConfig(o.Backlog)}
	sh.lanes.New = func() any {
		l := &slogLane{s: s}
		l.h = sh.newHandler(l)
		return l
	}
	if s != nil {
		sum := &slogSummary{}
		sum.h = sh.newHandler(sum)
		s.setSummaryIfNone(sum.encode)
	}
	h := &slogHandler{shared: sh}
	if o.Backlog != nil {
		h.ring = newProcessBacklog(o.Backlog.Size)
	}
	return h
}

var errNilSlogStream = errors.New("logsink: NewSlogHandler: nil stream")

// slogShared is what a handler and every handler derived from it by
// WithAttrs and WithGroup share.
type slogShared struct {
	s     *Stream
	opts  SlogOptions
	bl    *slogBacklogConfig
	lanes sync.Pool // of *slogLane with the root handler's slog handler
}

// newHandler returns slog's own handler in the configured format, writing
// to w.
func (sh *slogShared) newHandler(w io.Writer) slog.Handler {
	if sh.opts.Text {
		return slog.NewTextHandler(w, &sh.opts.HandlerOptions)
	}
	return slog.NewJSONHandler(w, &sh.opts.HandlerOptions)
}

// maxLaneAttrs bounds the scratch attribute slice a lane keeps for reuse,
// so that a record with a huge number of attributes does not pin that much
// memory in the pool.
const maxLaneAttrs = 256

// A slogLane is slog's own handler writing to the stream, used by one
// record at a time. slog's handlers hold a mutex while they write; a lane
// has a handler, and so a mutex, of its own, so that a record waiting for
// room in the stream (Block, or WriteKeep under Drop) holds up no other
// record: each waits in the stream's own queue, bounded by its own
// timeout. Lanes are pooled, so a record costs no allocation. The lanes of
// slogShared carry the root handler's slog handler and serve every handler
// made from it, adding the derived handler's levels to each record; those
// of slogHandler.newLanes carry a derived handler's levels, formatted.
type slogLane struct {
	s     *Stream
	h     slog.Handler
	keep  bool        // the record being handled is at or above Keep
	hold  *backlog    // the backlog that takes the record; nil: the stream
	attrs []slog.Attr // scratch for the record's attributes
}

// Write is called by the lane's handler, once per record, with the whole
// formatted record.
func (l *slogLane) Write(p []byte) (int, error) {
	if l.hold != nil {
		l.hold.add(p)
		return len(p), nil
	}
	if l.keep {
		return l.s.WriteKeep(p)
	}
	return l.s.Write(p)
}

// slogHandler is the slog.Handler NewSlogHandler returns.
type slogHandler struct {
	shared *slogShared
	// levels holds the attributes and groups added by WithAttrs and
	// WithGroup: levels[0] the attributes outside any group, levels[i] the
	// group named levels[i].group and the attributes added inside it. It
	// is nil when nothing was added, and never modified once set: derived
	// handlers copy it.
	levels []slogLevel
	// uses counts the records of a derived handler until it has written
	// slogPreformatAfter of them; then preformatted holds lanes whose
	// handlers carry the levels, formatted once, as slog's own do.
	uses         atomic.Uint32
	preformatted atomic.Pointer[sync.Pool]
	// ring is the backlog the records below Level go to: the process-wide
	// one, or a request's (SlogRequestBacklog); nil: none.
	ring *backlog
}

// slogPreformatAfter is the number of records after which a handler made
// by WithAttrs or WithGroup gets lanes of its own, whose slog handlers
// format its attributes once (each lane costs a few allocations, as
// slog's own WithAttrs does). Before that, and so for a handler made for
// one request, its records go through the shared lanes, which add its
// attributes to each record: no allocation, a little more formatting.
const slogPreformatAfter = 64

type slogLevel struct {
	group string
	attrs []slog.Attr // resolved, without empty groups
}

var _ slog.Handler = (*slogHandler)(nil)

// Enabled reports whether records at level l are handled: those at or
// above the Level of the options (slog.LevelInfo if nil), and, with a
// backlog, those from the backlog's Level up.
func (h *slogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.shared.minLevel() || h.ring != nil && l >= h.shared.bl.level.Level()
}

// minLevel returns the level records are written at and above.
func (sh *slogShared) minLevel() slog.Level {
	if sh.opts.Level != nil {
		return sh.opts.Level.Level()
	}
	return slog.LevelInfo
}

// Handle formats r with slog's own handler and writes it to the stream as
// one entry, with WriteKeep if r is at or above Keep. With a backlog, a
// record below Level goes to the backlog instead, and one at or above the
// backlog's Trigger writes the backlog out first.
func (h *slogHandler) Handle(ctx context.Context, r slog.Record) error {
	sh := h.shared
	if sh.s == nil {
		return errNilSlogStream
	}
	if h.ring == nil {
		return h.handleLive(ctx, r)
	}
	if r.Level < sh.minLevel() && r.Level >= sh.bl.level.Level() {
		return h.hold(ctx, r)
	}
	var blErr error
	if r.Level >= sh.bl.trigger.Level() && r.Level >= sh.minLevel() {
		blErr = h.writeBacklog(ctx, r.Time)
	}
	return errors.Join(blErr, h.handleLive(ctx, r))
}

// handleLive writes r to the stream.
func (h *slogHandler) handleLive(ctx context.Context, r slog.Record) error {
	sh := h.shared
	if h.levels == nil {
		return sh.handle(ctx, &sh.lanes, r)
	}
	if p := h.preformatted.Load(); p != nil {
		return sh.handle(ctx, p, r)
	}
	if h.uses.Add(1) == slogPreformatAfter {
		h.preformatted.Store(h.newLanes())
	}
	l := sh.lanes.Get().(*slogLane)
	l.keep = r.Level >= sh.opts.Keep.Level()
	return h.handleShared(ctx, l, r, false)
}

// handleShared formats r with l, a lane of the shared pool, adding h's
// attributes and groups, and the backlog marker if marked; then it puts l
// back.
func (h *slogHandler) handleShared(ctx context.Context, l *slogLane, r slog.Record, marked bool) error {
	var err error
	if h.levels == nil {
		if marked {
			r = markRecord(l, r)
		}
		err = l.h.Handle(ctx, r)
	} else {
		err = l.h.Handle(ctx, h.withLevels(l, r, marked))
	}
	if cap(l.attrs) > maxLaneAttrs {
		l.attrs = nil
	} else {
		clear(l.attrs[:cap(l.attrs)]) // keep none of the caller's values alive in the pool
	}
	l.keep, l.hold = false, nil
	h.shared.lanes.Put(l)
	return err
}

// handle writes r through a lane of p, whose handler formats everything
// but r itself already.
func (sh *slogShared) handle(ctx context.Context, p *sync.Pool, r slog.Record) error {
	l := p.Get().(*slogLane)
	l.keep = r.Level >= sh.opts.Keep.Level()
	err := l.h.Handle(ctx, r)
	p.Put(l)
	return err
}

// newLanes returns a pool of lanes whose handlers are slog's own after the
// WithAttrs and WithGroup calls that made h.
func (h *slogHandler) newLanes() *sync.Pool {
	sh := h.shared
	return &sync.Pool{New: func() any {
		l := &slogLane{s: sh.s}
		var sl slog.Handler = sh.newHandler(l)
		for i, lv := range h.levels {
			if i > 0 {
				sl = sl.WithGroup(lv.group)
			}
			if len(lv.attrs) > 0 {
				sl = sl.WithAttrs(slices.Clip(lv.attrs))
			}
		}
		l.h = sl
		return l
	}}
}

// withLevels returns a record like r whose attributes are the handler's
// WithAttrs attributes and r's own, nested in the handler's WithGroup
// groups, all inside one group with an empty key, which slog's handlers
// inline. For the record
//
//	h.With("a", 1).WithGroup("g").With("b", 2).Info("msg", "c", 3)
//
// that is Group("", a=1, Group("g", b=2, c=3)), which slog formats as
// {"a":1,"g":{"b":2,"c":3}}: what slog's own handler writes after its
// WithAttrs and WithGroup. A group left empty is left out, as slog's
// handlers leave out a group with no attributes. One group holding
// everything keeps the record within the attributes a slog.Record stores
// without allocating. The groups' attributes live in the lane's scratch
// slice, laid out level by level; Handle clears it once r is written. If
// marked, the backlog marker follows, outside every group.
func (h *slogHandler) withLevels(l *slogLane, r slog.Record, marked bool) slog.Record {
	n := len(h.levels)
	// Level i takes its attributes and one slot for the group of level
	// i+1; the innermost level takes its attributes and r's.
	size := r.NumAttrs()
	for _, lv := range h.levels {
		size += len(lv.attrs) + 1
	}
	if cap(l.attrs) < size {
		l.attrs = make([]slog.Attr, size)
	}
	scratch := l.attrs[:size]

	off := size - r.NumAttrs() - len(h.levels[n-1].attrs) - 1
	k := copy(scratch[off:], h.levels[n-1].attrs)
	r.Attrs(func(a slog.Attr) bool {
		// slog.GroupValue would copy the slice to leave an empty group
		// out; leave it out here instead. slog's handlers write nothing
		// for it either.
		if !isEmptyGroup(a.Value) {
			scratch[off+k] = a
			k++
		}
		return true
	})
	inner := scratch[off : off+k]
	for i := n - 2; i >= 0; i-- {
		off -= len(h.levels[i].attrs) + 1
		k := copy(scratch[off:], h.levels[i].attrs)
		if len(inner) > 0 {
			scratch[off+k] = slog.Attr{Key: h.levels[i+1].group, Value: slog.GroupValue(inner...)}
			k++
		}
		inner = scratch[off : off+k]
	}
	r2 := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if len(inner) > 0 {
		r2.AddAttrs(slog.Attr{Value: slog.GroupValue(inner...)})
	}
	if marked {
		r2.AddAttrs(slogBacklogMarker)
	}
	return r2
}

// markRecord returns a record like r with the backlog marker after its
// attributes. r's attributes go into one group with an empty key, which
// slog's handlers inline, held in the lane's scratch slice: adding the
// marker to r itself would allocate once r has more attributes than a
// slog.Record stores inline.
func markRecord(l *slogLane, r slog.Record) slog.Record {
	if cap(l.attrs) < r.NumAttrs() {
		l.attrs = make([]slog.Attr, r.NumAttrs())
	}
	scratch := l.attrs[:0]
	r.Attrs(func(a slog.Attr) bool {
		if !isEmptyGroup(a.Value) {
			scratch = append(scratch, a)
		}
		return true
	})
	r2 := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if len(scratch) > 0 {
		r2.AddAttrs(slog.Attr{Value: slog.GroupValue(scratch...)})
	}
	r2.AddAttrs(slogBacklogMarker)
	return r2
}

func isEmptyGroup(v slog.Value) bool {
	return v.Kind() == slog.KindGroup && len(v.Group()) == 0
}

// WithAttrs returns a handler whose records carry as, inside the groups
// opened so far, as slog's own handlers do. LogValuers among as are
// resolved now.
//
// A SlogRequestBacklog attribute among as gives the new handler a backlog
// of its own; otherwise it shares h's.
func (h *slogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	ring := h.ring
	n := 0
	for _, a := range as {
		if size, ok := slogRequestBacklogSize(a); ok {
			ring = newRequestBacklog(h.shared.bl.budget, size)
		} else if !isEmptyGroup(a.Value) {
			n++
		}
	}
	if n == 0 {
		// slog's handlers ignore empty groups; nothing to add
		if ring == h.ring {
			return h
		}
		return &slogHandler{shared: h.shared, levels: h.levels, ring: ring}
	}
	levels := h.cloneLevels(0)
	last := &levels[len(levels)-1]
	attrs := make([]slog.Attr, len(last.attrs), len(last.attrs)+n)
	copy(attrs, last.attrs)
	for _, a := range as {
		if a, _ = resolveAttr(a); !isEmptyGroup(a.Value) {
			attrs = append(attrs, a)
		}
	}
	last.attrs = attrs
	return &slogHandler{shared: h.shared, levels: levels, ring: ring}
}

// WithGroup returns a handler that puts the attributes added after it,
// by WithAttrs or by a record, in the group name. An empty name returns h,
// as in slog's own handlers.
func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	levels := append(h.cloneLevels(1), slogLevel{group: name})
	return &slogHandler{shared: h.shared, levels: levels, ring: h.ring}
}

// cloneLevels returns a copy of h.levels (one level outside any group if
// there is none yet), with room for extra more.
func (h *slogHandler) cloneLevels(extra int) []slogLevel {
	if h.levels == nil {
		return append(make([]slogLevel, 0, 1+extra), slogLevel{})
	}
	return append(make([]slogLevel, 0, len(h.levels)+extra), h.levels...)
}

// resolveAttr resolves a's value, and the values in its groups, as slog's
// handlers do when they format attributes given to WithAttrs, and reports
// whether anything changed. It copies a group only if something in it
// changed, leaving out the groups that turned out empty.
func resolveAttr(a slog.Attr) (slog.Attr, bool) {
	changed := a.Value.Kind() == slog.KindLogValuer
	a.Value = a.Value.Resolve()
	if a.Value.Kind() != slog.KindGroup {
		return a, changed
	}
	as := a.Value.Group()
	var out []slog.Attr // nil until a member changes
	for i, m := range as {
		r, ch := resolveAttr(m)
		if out == nil && !ch {
			continue
		}
		if out == nil {
			out = append(make([]slog.Attr, 0, len(as)), as[:i]...)
		}
		if !isEmptyGroup(r.Value) {
			out = append(out, r)
		}
	}
	if out == nil {
		return a, changed
	}
	a.Value = slog.GroupValue(out...)
	return a, true
}

// slogSummary encodes drop summaries with slog's own handler, in the
// handler's format and with its ReplaceAttr.
type slogSummary struct {
	mu  sync.Mutex
	h   slog.Handler // writes to the summary itself
	buf []byte
}

func (sm *slogSummary) Write(p []byte) (int, error) {
	sm.buf = append(sm.buf, p...)
	return len(p), nil
}

// encode is the stream's SummaryFunc.
func (sm *slogSummary) encode(b []byte, at time.Time, entries, bytes uint64) []byte {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	r := slog.NewRecord(at, slog.LevelWarn, DroppedMessage, 0)
	r.AddAttrs(slog.Uint64("dropped_entries", entries), slog.Uint64("dropped_bytes", bytes))
	sm.buf = b
	err := sm.h.Handle(context.Background(), r)
	out := sm.buf
	sm.buf = nil
	if err != nil {
		return b
	}
	return out
}
