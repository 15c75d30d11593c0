package logsink

import "sort"

// ring is the writers' buffer: the entries accepted and not yet written, in
// the order their Writes returned, in one circular byte slice allocated once
// at the buffer size. An entry is always stored in one piece: one that does
// not fit before the end of the slice goes to its start, and the space it
// skipped is unused until the flusher has written past it. So the flusher
// can hand any stored region to the destination in one call, and entry ends
// stay exact for rotation and EntryWriter framing.
//
// An entry larger than the whole slice (Block only) is held on its own in
// big, once the ring is empty, and written before anything stored after it.
//
// The flusher takes a region, writes it without the lock and then releases
// what the destination took; writers keep storing into the free space
// meanwhile. All methods need the stream's lock.
type ring struct {
	// Stored bytes are [head, tail) when !wrapped, and [head, end) then
	// [0, tail) when wrapped. The free space is [tail, len) and [0, head)
	// when !wrapped, [tail, head) when wrapped.
	tail, head, end int
	used            int // bytes stored, big included
	taken           int // bytes from head (or big) that the flusher is writing now
	wrapped         bool
	needEnds        bool // take returns each entry's end (SizeRotator, EntryWriter, spill)

	buf  []byte
	ends endQueue // the offset in buf just past each stored entry
	big  []byte   // an entry larger than buf, held alone; written first
}

// newRing allocates the ring. Its queue of entry ends starts with room for
// a full ring of entries of 128 bytes on average; with smaller entries it
// grows while the ring first fills with them, and not after.
func newRing(size int, needEnds bool) ring {
	return ring{buf: make([]byte, size), needEnds: needEnds, ends: endQueue{q: make([]int, 0, max(size/128, 16))}}
}

// fits reports whether an entry of n bytes can be stored now, in one piece.
func (r *ring) fits(n int) bool {
	if r.big != nil {
		return false
	}
	if r.wrapped {
		return r.head-r.tail >= n
	}
	return len(r.buf)-r.tail >= n || r.head >= n
}

// put stores p as one entry; fits(len(p)) must be true.
func (r *ring) put(p []byte) {
	at := r.tail
	if !r.wrapped && len(r.buf)-r.tail < len(p) {
		// Skip the space left at the end: the entry goes to the start.
		r.end, r.wrapped, at = r.tail, true, 0
	}
	copy(r.buf[at:], p)
	r.tail = at + len(p)
	r.used += len(p)
	r.ends.push(r.tail)
}

// putBig holds p, larger than the ring, as one entry of its own; the ring
// must be empty. It is the one place a buffer is allocated after New.
func (r *ring) putBig(p []byte) {
	r.big = append(r.big[:0], p...)
	r.used += len(p)
}

// pending returns the number of stored bytes the flusher has not taken.
func (r *ring) pending() int { return r.used - r.taken }

// take returns the next region for the flusher to write, in one piece, of
// at most max bytes (but at least one entry), and the end offset within it
// of each entry it holds (appended to ends[:0]). Regions of a bounded size
// free room a batch at a time while a slow write goes on.
// The region stays stored until release. A stored region is taken whole;
// take returns nothing while one is taken.
func (r *ring) take(ends []int, max int) ([]byte, []int) {
	ends = ends[:0]
	if r.taken > 0 || r.used == 0 {
		return nil, ends
	}
	if r.big != nil {
		r.taken = len(r.big)
		return r.big, append(ends, len(r.big))
	}
	stop := r.tail
	if r.wrapped {
		stop = r.end
	}
	if stop-r.head > max {
		stop = r.ends.cut(r.head, r.head+max)
	}
	if r.needEnds {
		ends = r.ends.within(r.head, stop, ends)
	}
	r.taken = stop - r.head
	return r.buf[r.head:stop], ends
}

// release gives back the taken region, of which the destination took the
// first n bytes: those are freed, the rest stays stored to be taken again.
// It reports whether n ends on an entry boundary.
func (r *ring) release(n int) (atEntryEnd bool) {
	r.taken = 0
	r.used -= n
	if r.big != nil {
		if n < len(r.big) {
			r.big = r.big[:copy(r.big, r.big[n:])]
			return n == 0
		}
		r.big = nil // big entries are rare: let the memory go
		return true
	}
	r.head += n
	atEntryEnd = r.ends.popThrough(r.head)
	switch {
	case r.used == 0:
		r.head, r.tail, r.end, r.wrapped = 0, 0, 0, false
	case r.wrapped && r.head == r.end:
		r.head, r.end, r.wrapped = 0, 0, false
	}
	return atEntryEnd
}

// reset drops everything stored and reports how many bytes that was.
func (r *ring) reset() int {
	n := r.used
	r.head, r.tail, r.end, r.wrapped = 0, 0, 0, false
	r.big, r.used, r.taken = nil, 0, 0
	r.ends.clear()
	return n
}

// endQueue is a FIFO of entry end offsets in the ring.
type endQueue struct {
	q    []int
	head int
}

func (e *endQueue) push(end int) {
	if e.head > 0 && len(e.q) == cap(e.q) {
		// Reuse the consumed front rather than grow.
		e.q = e.q[:copy(e.q, e.q[e.head:])]
		e.head = 0
	}
	e.q = append(e.q, end)
}

// cut returns the end of the last entry stored from offset from that ends
// at or before limit, or the end of the first entry if that one is longer.
// The ends from from on increase until the ring wraps, after which they
// are at most from: a binary search finds it.
func (e *endQueue) cut(from, limit int) int {
	q := e.q[e.head:]
	i := sort.Search(len(q), func(k int) bool { return q[k] > limit || q[k] <= from })
	if i == 0 {
		return q[0]
	}
	return q[i-1]
}

// within appends to out, relative to from, the ends in (from, to] at the
// front of the queue: those of the entries stored in [from, to).
func (e *endQueue) within(from, to int, out []int) []int {
	for _, end := range e.q[e.head:] {
		if end <= from || end > to {
			break
		}
		out = append(out, end-from)
	}
	return out
}

// popThrough removes the ends up to pos, the new head of the ring, and
// reports whether pos was one of them (or the queue was empty).
func (e *endQueue) popThrough(pos int) bool {
	hit := false
	for e.head < len(e.q) {
		end := e.q[e.head]
		// Ends of entries after the wrap are smaller than pos only once the
		// ring has wrapped; they are never popped here, because the
		// flusher releases at most the region it took.
		if end > pos {
			break
		}
		hit = end == pos
		e.head++
		if hit {
			break
		}
	}
	if e.head == len(e.q) {
		e.q, e.head = e.q[:0], 0
		return true
	}
	return hit
}

func (e *endQueue) clear() { e.q, e.head = e.q[:0], 0 }
