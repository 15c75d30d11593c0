package logsink

import (
	"encoding/binary"
	"slices"
	"sync"
	"weak"
)

// BacklogKey is the key of the marker field (zap) or attribute (slog),
// with the value true, that every entry written out of a backlog carries,
// so that a reader tells the recent entries written because of an error
// from the entries logged live around them.
const BacklogKey = "backlog"

// BacklogDiscardedMessage is the message of the entry written before a
// backlog's entries when some of the entries it held were discarded
// (overwritten by newer ones, too large for it, or given up to the
// request backlogs' limit): its fields discarded_entries and
// discarded_bytes count them, and it carries the BacklogKey marker too.
const BacklogDiscardedMessage = "logsink: backlog entries discarded"

// DefaultBacklogSize is the memory bound of a backlog, in bytes, when
// Backlog.Size, SlogBacklog.Size or RequestBacklog's size is 0.
const DefaultBacklogSize = 256 << 10

// DefaultRequestBacklogLimit is the bound, in bytes, on the memory that
// all request backlogs of one NewCore or NewSlogHandler hold together,
// when WithRequestBacklogLimit or SlogBacklog.RequestLimit is 0.
const DefaultRequestBacklogLimit = 16 << 20

// backlogHeader is the length prefix of an entry in a backlog's ring.
const backlogHeader = 4

// minBacklogGrowth is the least a ring grows by, so that a ring of small
// entries is not reallocated for each of its first entries.
const minBacklogGrowth = 1 << 10

// A backlog holds the most recent entries, encoded, below a logger's
// level, until an entry at the trigger level writes them out. Its bytes
// live in a ring that is allocated on the first entry and grows up to max
// bytes; when full, the oldest entries are overwritten. All its fields are
// guarded by *mu: its own mutex for a process-wide backlog, the budget's
// for a request backlog, so that the budget can take back a request
// backlog's memory without a second lock.
type backlog struct {
	mu     *sync.Mutex
	budget *backlogBudget // nil for a process-wide backlog
	acct   *budgetAccount // the budget's record of buf; nil while buf is nil
	max    int            // bound on len(buf)

	buf   []byte // entries, each a 4-byte length and the bytes, wrapping at len(buf)
	start int    // offset of the oldest entry
	used  int    // bytes of buf in use, headers included
	n     int    // entries held

	discarded      uint64 // entries lost since the backlog was last written out
	discardedBytes uint64
}

// newProcessBacklog returns a backlog of at most size bytes with a mutex of
// its own.
func newProcessBacklog(size Size) *backlog {
	return &backlog{mu: new(sync.Mutex), max: backlogMax(size)}
}

// newRequestBacklog returns a backlog of at most size bytes whose memory
// counts against bg's limit.
func newRequestBacklog(bg *backlogBudget, size Size) *backlog {
	return &backlog{mu: &bg.mu, budget: bg, max: backlogMax(size)}
}

func backlogMax(size Size) int {
	if size <= 0 {
		return DefaultBacklogSize
	}
	if size > 1<<30 {
		return 1 << 30 // a ring addressed with int offsets and 4-byte lengths
	}
	return int(size)
}

// add stores a copy of p as the newest entry, overwriting the oldest
// entries if there is no room; an entry larger than the whole backlog is
// discarded. Either way it does not keep p.
func (b *backlog) add(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addLocked(p)
}

func (b *backlog) addLocked(p []byte) {
	need := backlogHeader + len(p)
	if need > b.max {
		b.discard(1, len(p))
		return
	}
	if len(b.buf)-b.used < need && len(b.buf) < b.max {
		b.growLocked(need)
	}
	for len(b.buf)-b.used < need && b.n > 0 {
		b.dropOldest()
	}
	if len(b.buf)-b.used < need {
		b.discard(1, len(p)) // the budget gave this backlog no room
		return
	}
	var hdr [backlogHeader]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(p)))
	end := b.wrap(b.start + b.used)
	end = b.copyIn(end, hdr[:])
	b.copyIn(end, p)
	b.used += need
	b.n++
}

// growLocked grows the ring towards room for need more bytes: doubling,
// at most to max, and as far as the budget allows.
func (b *backlog) growLocked(need int) {
	want := min(max(2*len(b.buf), b.used+need, len(b.buf)+minBacklogGrowth), b.max)
	by := want - len(b.buf)
	if b.budget != nil {
		by = b.budget.reserveLocked(b, by)
	}
	if by <= 0 {
		return
	}
	buf := make([]byte, len(b.buf)+by)
	b.copyOut(buf)
	b.buf, b.start = buf, 0
}

// copyIn copies p into the ring at offset off, wrapping, and returns the
// offset after it.
func (b *backlog) copyIn(off int, p []byte) int {
	n := copy(b.buf[off:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	return b.wrap(off + len(p))
}

// copyOut copies the bytes in use, oldest first, to dst.
func (b *backlog) copyOut(dst []byte) {
	n := copy(dst[:b.used], b.buf[b.start:min(b.start+b.used, len(b.buf))])
	copy(dst[n:b.used], b.buf)
}

func (b *backlog) wrap(off int) int {
	if off >= len(b.buf) {
		return off - len(b.buf)
	}
	return off
}

// entryLen returns the length of the entry at offset off.
func (b *backlog) entryLen(off int) int {
	var hdr [backlogHeader]byte
	n := copy(hdr[:], b.buf[off:])
	copy(hdr[n:], b.buf)
	return int(binary.LittleEndian.Uint32(hdr[:]))
}

func (b *backlog) dropOldest() {
	l := b.entryLen(b.start)
	b.start = b.wrap(b.start + backlogHeader + l)
	b.used -= backlogHeader + l
	b.n--
	b.discard(1, l)
	if b.n == 0 {
		b.start = 0
	}
}

func (b *backlog) discard(entries, bytes int) {
	b.discarded += uint64(entries)
	b.discardedBytes += uint64(bytes)
}

// releaseLocked forgets every entry, counting them as discarded, and gives
// the ring's memory back (to the budget, for a request backlog).
func (b *backlog) releaseLocked() {
	b.discarded += uint64(b.n)
	b.discardedBytes += uint64(b.used - b.n*backlogHeader)
	b.detachLocked()
}

// detachLocked empties the backlog without counting anything and returns
// its memory to the budget.
func (b *backlog) detachLocked() {
	if b.acct != nil {
		b.budget.held -= b.acct.bytes
		b.acct.bytes = 0
		b.acct = nil
	}
	b.buf, b.start, b.used, b.n = nil, 0, 0, 0
}

// backlogContents is what a backlog held when it was taken for writing
// out: its entries, oldest first, and what it had discarded.
type backlogContents struct {
	buf            []byte // entries, each a 4-byte length and the bytes
	discarded      uint64
	discardedBytes uint64

	budget   *backlogBudget // nil for a process-wide backlog
	reserved int            // bytes of budget the ring holds until done
}

// done gives the ring's bytes back to the budget, once the entries are
// written out.
func (c backlogContents) done() {
	if c.budget != nil && c.reserved > 0 {
		c.budget.mu.Lock()
		c.budget.returnLocked(c.reserved)
		c.budget.mu.Unlock()
	}
}

// take empties the backlog and returns what it held. The ring goes with
// the contents, so that the entries are written out without the lock; its
// bytes count against the budget until the contents are done.
func (b *backlog) take() backlogContents {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := backlogContents{discarded: b.discarded, discardedBytes: b.discardedBytes}
	if b.acct != nil {
		c.budget, c.reserved = b.budget, b.acct.bytes
		b.acct.bytes = 0 // the contents return them; the account is done
		b.acct = nil
	}
	b.discarded, b.discardedBytes = 0, 0
	if b.n > 0 {
		// Rotate the ring in place so that the entries start at 0.
		buf := b.buf
		if b.start+b.used > len(buf) {
			slices.Reverse(buf)
			slices.Reverse(buf[:len(buf)-b.start])
			slices.Reverse(buf[len(buf)-b.start:])
			c.buf = buf[:b.used]
		} else {
			c.buf = buf[b.start : b.start+b.used]
		}
	}
	b.detachLocked()
	return c
}

// each calls f with every entry, oldest first, until f returns an error.
func (c backlogContents) each(f func(p []byte) error) error {
	rest := c.buf
	for len(rest) >= backlogHeader {
		l := int(binary.LittleEndian.Uint32(rest))
		if err := f(rest[backlogHeader : backlogHeader+l]); err != nil {
			return err
		}
		rest = rest[backlogHeader+l:]
	}
	return nil
}

// writeTo writes the entries to s, oldest first, with WriteKeep, so that
// under the Drop policy they wait for room (each at most the keep
// timeout) as the entry that triggered them does. Once the stream drops
// an entry while they are written (a stalled destination), the rest go
// with Write and follow the policy: under Drop they are dropped and
// counted at once, so that an error call waits for about one keep
// timeout, not one per backlog entry.
func (c backlogContents) writeTo(s *Stream) error {
	dropped := s.Stats().Dropped
	keep := true
	return c.each(func(p []byte) error {
		var err error
		if keep {
			_, err = s.WriteKeep(p)
			keep = s.Stats().Dropped == dropped
		} else {
			_, err = s.Write(p)
		}
		return err
	})
}

// A backlogBudget bounds the memory that all request backlogs of one core
// or handler (and those derived from it) hold together. A request backlog
// reserves bytes from it when its ring grows and returns them when it is
// written out or taken back. A request logger that is dropped without an
// error takes its ring with it: the budget holds only a weak pointer to
// it, and counts the bytes of a ring the garbage collector has freed as
// free again when it next runs short. When a ring cannot grow within the
// limit, the budget first takes back the rings of the requests that
// started holding entries longest ago, which discard their entries
// (counted), then gives what is left.
type backlogBudget struct {
	mu    sync.Mutex // guards the budget and every request backlog of it
	limit int
	held  int // bytes reserved by rings, possibly freed already by the GC
	peak  int // the most held ever, for tests

	accts    []*budgetAccount // in the order the rings first reserved bytes
	sweptLen int              // len(accts) after the last sweep
}

// A budgetAccount is the budget's record of one request backlog's ring.
type budgetAccount struct {
	bytes int
	owner weak.Pointer[backlog]
}

func newBacklogBudget(limit Size) *backlogBudget {
	l := int(limit)
	if limit <= 0 {
		l = DefaultRequestBacklogLimit
	} else if limit > 1<<40 {
		l = 1 << 40
	}
	return &backlogBudget{limit: l}
}

// reserveLocked reserves up to want bytes for b's ring and returns how
// many it got.
func (bg *backlogBudget) reserveLocked(b *backlog, want int) int {
	if bg.held+want > bg.limit {
		bg.sweepLocked()
	}
	for bg.held+want > bg.limit && bg.takeBackOldestLocked(b) {
	}
	got := min(want, bg.limit-bg.held)
	if got <= 0 {
		return 0
	}
	if b.acct == nil {
		b.acct = &budgetAccount{owner: weak.Make(b)}
		bg.accts = append(bg.accts, b.acct)
	}
	b.acct.bytes += got
	bg.held += got
	bg.peak = max(bg.peak, bg.held)
	return got
}

// sweepLocked forgets the accounts of rings written out or freed by the
// garbage collector. It runs only once the list has grown by half since
// the last sweep, so that its cost is spread over the reservations.
func (bg *backlogBudget) sweepLocked() {
	if len(bg.accts) < 2*bg.sweptLen {
		return
	}
	kept := bg.accts[:0]
	for _, a := range bg.accts {
		if a.bytes > 0 && a.owner.Value() == nil {
			bg.held -= a.bytes // the ring was garbage collected
			a.bytes = 0
		}
		if a.bytes > 0 {
			kept = append(kept, a)
		}
	}
	clear(bg.accts[len(kept):])
	bg.accts = kept
	bg.sweptLen = max(len(kept), 16)
}

// takeBackOldestLocked takes back the ring of the oldest account other
// than b's and reports whether there was one. Accounts leave the list
// from its front only (or in a sweep), so that this costs O(1) amortized
// under any number of requests.
func (bg *backlogBudget) takeBackOldestLocked(b *backlog) bool {
	for {
		for len(bg.accts) > 0 && bg.accts[0].bytes == 0 {
			bg.popFrontLocked()
		}
		if len(bg.accts) == 0 {
			return false
		}
		victim := bg.accts[0]
		if victim == b.acct {
			// b's own account is the oldest: the next one goes, and b's
			// stays in front.
			if len(bg.accts) == 1 {
				return false
			}
			victim = bg.accts[1]
			bg.accts[1] = bg.accts[0]
		}
		bg.popFrontLocked()
		if victim.bytes == 0 {
			continue // an account already done
		}
		if owner := victim.owner.Value(); owner != nil {
			owner.releaseLocked()
		} else {
			bg.held -= victim.bytes // the ring was garbage collected
			victim.bytes = 0
		}
		return true
	}
}

func (bg *backlogBudget) popFrontLocked() {
	bg.accts[0] = nil
	bg.accts = bg.accts[1:]
}

// returnLocked gives back bytes reserved for a ring that was taken.
func (bg *backlogBudget) returnLocked(bytes int) {
	bg.held -= bytes
}
