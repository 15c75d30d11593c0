package spill

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
)

// Config says where a store lives and how large it grows.
type Config struct {
	// FS is the spill directory. Required: Dir for a real one, a SimDisk
	// in tests.
	FS FS
	// MaxBytes is the most record bytes (entries and their 8-byte heads)
	// the store holds; Append refuses more with ErrFull. Defaults to
	// DefaultMaxBytes if unspecified (<= 0).
	MaxBytes int64
	// SegmentBytes is the size at which the newest segment is closed and
	// the next begun. Defaults to MaxBytes/8, within 64 KiB and 64 MiB, if
	// unspecified (<= 0).
	SegmentBytes int64
	// Report is told of every thing the store skips and counts instead of
	// failing: a torn or corrupt tail, an unreadable segment, an unreadable
	// position file, files of an older format. It is called with the
	// store's lock held, from the goroutine that called the method, and
	// must not call the store. Defaults to ignoring them if unspecified
	// (they are still counted in Stats).
	Report func(error)
}

// DefaultMaxBytes is the most a store holds when Config.MaxBytes is unset.
const DefaultMaxBytes = 1 << 30

const (
	minSegment      = 64 << 10
	maxSegment      = 64 << 20
	segmentsPerDisk = 8
)

var (
	// ErrFull is returned by Append when the entries would take the store
	// past its MaxBytes. Nothing is stored. Test with errors.Is.
	ErrFull = errors.New("spill: full")
	// ErrReadPending is returned by Read and Prepend while the batch the
	// last Read returned is neither acknowledged (Ack) nor given back
	// (Rewind). Test with errors.Is.
	ErrReadPending = errors.New("spill: the batch read last is not acknowledged")
	// ErrNotAtHead is returned by Prepend when the oldest segment is partly
	// delivered: nothing can go before what was delivered. Test with
	// errors.Is.
	ErrNotAtHead = errors.New("spill: the oldest segment is partly delivered: cannot put entries before it")
	// ErrClosed is returned by every method after Close. Test with
	// errors.Is.
	ErrClosed = errors.New("spill: closed")
)

// Store is a FIFO of entries on disk. It is safe for concurrent use: one
// goroutine may Append while another reads and acknowledges. See the
// package documentation for the format and the guarantees.
type Store struct {
	fs       FS
	maxBytes int64
	segBytes int64
	report   func(error)
	lock     io.Closer
	stats    counters

	mu        sync.Mutex
	closed    bool
	segs      []segment // oldest first; the newest is w's when w is not nil
	pos       File
	last      position  // what the position file holds
	posStale  bool      // the last write of the position failed: Close writes it again
	doneOrder uint64    // the order of the last segment delivered or skipped
	leftovers []segment // delivered or skipped, and their files could not be removed
	nextID    uint64    // the id the next segment takes
	idLimit   uint64    // ids below it are reserved by the position on disk
	nextOrd   uint64
	w         File // the newest segment, open for appending; nil: the next Append begins one
	wDirty    bool // w written since its last fsync
	wEnded    bool // no more appends to w (a write or fsync failed, or it is being dropped): the next Append rolls over
	dirDirty  bool // entries created or removed since the directory's last fsync
	r         File // the oldest segment, open for reading
	rID       uint64
	ackOff    int64 // in segs[0]: everything before it is delivered
	readOff   int64 // in segs[0]: where the next Read starts; beyond ackOff by the batch read and not acknowledged
	pending   int   // entries read and not acknowledged
	pendLen   int   // their bytes (entries only)
	scratch   []byte
	head      []byte // a record head or a position slot, for the file system
}

// Open takes the directory's lock and finds what an earlier store left in
// it: the segments not yet delivered and where delivery stopped. It deletes
// the segments the position file says were delivered, and fsyncs the rest
// and the directory, so that everything it reports is durable. Nothing
// found is read yet; Stats().RecoveredBytes says how much there is.
func Open(cfg Config) (*Store, error) {
	if cfg.FS == nil {
		return nil, errors.New("spill: no file system")
	}
	st := &Store{fs: cfg.FS, maxBytes: cfg.MaxBytes, segBytes: cfg.SegmentBytes, report: cfg.Report,
		head: make([]byte, positionSlot)}
	if st.maxBytes <= 0 {
		st.maxBytes = DefaultMaxBytes
	}
	if st.segBytes <= 0 {
		st.segBytes = min(max(st.maxBytes/segmentsPerDisk, minSegment), maxSegment)
	}
	if st.report == nil {
		st.report = func(error) {}
	}
	lock, err := cfg.FS.Lock()
	if err != nil {
		return nil, fmt.Errorf("spill: lock: %w", err)
	}
	st.lock = lock
	if err := st.recover(); err != nil {
		if st.pos != nil {
			_ = st.pos.Close()
		}
		_ = lock.Close()
		return nil, err
	}
	return st, nil
}

// recover reads the directory and the position file at Open.
func (st *Store) recover() error {
	names, err := st.fs.ReadDir()
	if err != nil {
		return fmt.Errorf("spill: read directory: %w", err)
	}
	var found []segment
	legacy := 0
	for _, name := range names {
		if sg, ok := parseSegmentName(name); ok {
			found = append(found, sg)
		} else if isLegacy(name) {
			legacy++
		}
	}
	if legacy > 0 {
		st.report(fmt.Errorf("spill: %d files of an older spill format (*.seg, position) in the directory: not read, left in place", legacy))
	}
	p, found1, err := st.openPosition()
	if err != nil {
		return err
	}
	if !found1 && len(found) > 0 {
		st.report(fmt.Errorf("spill: no readable position for %d segments: each is delivered from its start, so entries delivered before may come again", len(found)))
	}
	st.last, st.doneOrder = p, p.headOrder
	st.nextID = max(p.nextID, 1)
	st.nextOrd = max(p.headOrder+1, firstOrder)
	for _, sg := range found {
		st.nextID = max(st.nextID, sg.id+1)
		st.nextOrd = max(st.nextOrd, sg.order+1)
		if sg.id == p.headID || sg.order > p.headOrder {
			st.segs = append(st.segs, sg)
			continue
		}
		// Delivered: its removal did not reach the disk before a crash.
		st.removeDelivered(sg)
	}
	st.idLimit = st.nextID // the first segment begun reserves more
	slices.SortFunc(st.segs, func(a, b segment) int {
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.id, b.id))
	})
	kept := st.segs[:0]
	for _, sg := range st.segs {
		var err error
		if sg.size, err = st.fs.Size(sg.name()); err != nil {
			// Its size unknown, nothing of it can be read: set aside,
			// counted and reported, like a segment Read cannot read.
			st.stats.corruptSegments.Add(1)
			st.setAside(sg, err, 0)
			continue
		}
		// One it cannot fsync it delivers, and Sync fails until then.
		sg.syncErr = st.syncFile(sg.name())
		kept = append(kept, sg)
	}
	st.segs = kept
	if st.dirDirty || len(st.segs) > 0 {
		if err := st.fs.SyncDir(); err != nil {
			return fmt.Errorf("spill: sync directory: %w", err)
		}
		st.dirDirty = false
	}
	st.ackOff = segmentHead
	if len(st.segs) > 0 && st.segs[0].id == p.headID {
		// The head may have lost a tail already delivered: clamp.
		st.ackOff = min(max(p.headOff, segmentHead), max(st.segs[0].size, segmentHead))
	}
	st.readOff = st.ackOff
	var size int64
	for _, sg := range st.segs {
		size += recordArea(sg)
	}
	if len(st.segs) > 0 {
		size -= st.ackOff - segmentHead
	}
	st.stats.size.Store(size)
	st.stats.recovered.Store(size)
	return nil
}

// isLegacy reports whether name is a file of the spill before this package.
func isLegacy(name string) bool {
	return name == "position" || len(name) == 24 && name[20:] == ".seg"
}

// recordArea is the bytes of sg after its header.
func recordArea(sg segment) int64 { return max(sg.size-segmentHead, 0) }

// syncFile fsyncs the file name: a segment an earlier store may have left
// in the page cache only, before it counts as held.
func (st *Store) syncFile(name string) error {
	f, err := st.fs.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// openPosition opens the position file, or creates it durably, and returns
// the position it holds and whether it held one.
func (st *Store) openPosition() (_ position, found bool, _ error) {
	f, err := st.fs.Open(positionName)
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = st.fs.Create(positionName); err != nil {
			return position{}, false, fmt.Errorf("spill: create position: %w", err)
		}
		st.pos = f
		p := position{gen: 1}
		if err := st.writeSlot(p); err != nil {
			return position{}, false, err
		}
		if err := st.fs.SyncDir(); err != nil {
			return position{}, false, fmt.Errorf("spill: sync directory: %w", err)
		}
		return p, false, nil
	}
	if err != nil {
		return position{}, false, fmt.Errorf("spill: open position: %w", err)
	}
	st.pos = f
	buf := make([]byte, 2*positionSlot)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return position{}, false, fmt.Errorf("spill: read position: %w", err)
	}
	// What an earlier store wrote may be in the page cache only (a
	// crash, or a write whose fsync failed): make the position this store
	// starts from durable, so that a power cut cannot take it back.
	if err := f.Sync(); err != nil {
		return position{}, false, fmt.Errorf("spill: sync position: %w", err)
	}
	// Both slots torn cannot happen once the first write was fsynced (a
	// power cut tears at most the slot being written); before it, no
	// segment exists yet.
	p, ok := newestPosition(buf[:n])
	return p, ok, nil
}

// writeSlot writes p into its slot of the position file and fsyncs it.
func (st *Store) writeSlot(p position) error {
	if _, err := st.pos.WriteAt(p.encode(st.head[:0]), int64(p.gen%2)*positionSlot); err != nil {
		return fmt.Errorf("spill: write position: %w", err)
	}
	if err := st.pos.Sync(); err != nil {
		return fmt.Errorf("spill: sync position: %w", err)
	}
	return nil
}

// savePositionLocked records durably that delivery is at offset off of
// segs[i], everything before it delivered; i == len(segs) says everything
// is delivered. Nothing in memory changes unless it returns nil, so that a
// caller can move on only once the position is on disk.
func (st *Store) savePositionLocked(i int, off int64) error {
	p := position{gen: st.last.gen + 1, nextID: st.idLimit, headOrder: st.doneOrder}
	switch {
	case i < len(st.segs):
		p.headID, p.headOrder, p.headOff = st.segs[i].id, st.segs[i].order, off
	case i > 0:
		p.headOrder = st.segs[i-1].order // up to it, everything is delivered
	}
	if err := st.writeSlot(p); err != nil {
		// The slot may hold p or not, durably or not, whatever the error.
		// The other slot holds the last position that is surely on disk:
		// the next write (Close at the latest) goes to this slot again,
		// with a generation above both.
		st.last.gen, st.posStale = p.gen+1, true
		return err
	}
	st.last, st.posStale = p, false
	return nil
}

// Append stores the entries of p, which end at ends (checked with
// CheckEnds; nothing is stored if they are wrong), after everything in
// the store. It stores all of them or none, and returns ErrFull when they
// would take the store past its MaxBytes. They are durable once a later
// Sync returns nil.
func (st *Store) Append(p []byte, ends []int) error {
	if err := CheckEnds(p, ends); err != nil {
		return err
	}
	if len(ends) == 0 {
		return nil
	}
	need := recordsSize(p, ends)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	if st.stats.size.Load()+need > st.maxBytes {
		st.stats.fullEntries.Add(uint64(len(ends)))
		st.stats.fullBytes.Add(uint64(len(p)))
		return ErrFull
	}
	return st.appendLocked(p, ends)
}

func (st *Store) appendLocked(p []byte, ends []int) error {
	if st.w == nil || st.wEnded || st.segs[len(st.segs)-1].size >= st.segBytes {
		if err := st.rollLocked(); err != nil {
			return err
		}
	}
	st.scratch = appendRecords(st.scratch[:0], p, ends)
	if cap(st.scratch) > maxSegment {
		defer func() { st.scratch = nil }() // do not keep a huge batch's buffer
	}
	sg := &st.segs[len(st.segs)-1]
	n, err := st.w.WriteAt(st.scratch, sg.size)
	if err != nil || n < len(st.scratch) {
		// Cut off the part written, so that later records follow the last
		// whole one. If that fails too, the segment ends here (the next
		// Append rolls over, fsyncing it first): what is past its end in
		// the file is skipped and counted at the next Open.
		if terr := st.w.Truncate(sg.size); terr != nil {
			st.wEnded = true
		}
		return fmt.Errorf("spill: write %s: %w", sg.name(), cmp.Or(err, io.ErrShortWrite))
	}
	sg.size += int64(n)
	st.wDirty = true
	st.added(p, ends)
	return nil
}

// added counts entries stored.
func (st *Store) added(p []byte, ends []int) {
	st.stats.appendedEntries.Add(uint64(len(ends)))
	st.stats.appendedBytes.Add(uint64(len(p)))
	st.stats.size.Add(recordsSize(p, ends))
}

// rollLocked begins the next segment. The one it ends is fsynced first:
// a Sync later fsyncs only the newest.
func (st *Store) rollLocked() error {
	if st.w != nil {
		st.syncNewestLocked()
		if err := st.w.Close(); err != nil {
			st.segs[len(st.segs)-1].syncErr = err // a deferred write error
		}
		st.w, st.wEnded = nil, false
	}
	id, err := st.newIDLocked()
	if err != nil {
		return err
	}
	sg := segment{id: id, order: st.nextOrd}
	st.nextOrd++
	f, err := st.createSegment(sg, nil)
	if err != nil {
		return err
	}
	sg.size = segmentHead
	if len(st.segs) == 0 {
		st.ackOff, st.readOff = segmentHead, segmentHead
	}
	st.segs = append(st.segs, sg)
	st.w, st.wDirty, st.dirDirty = f, true, true
	return nil
}

// idBlock is how many segment ids one write of the position reserves.
const idBlock = 64

// newIDLocked returns an id for a new segment, never used before and never
// to be used again, even if the segment is lost in a power cut: the
// position on disk reserves it before the segment is created.
func (st *Store) newIDLocked() (uint64, error) {
	if st.nextID >= st.idLimit {
		st.idLimit = st.nextID + idBlock
		if err := st.savePositionLocked(0, st.ackOff); err != nil {
			st.idLimit = st.nextID
			return 0, err
		}
	}
	id := st.nextID
	st.nextID++
	return id, nil
}

// createSegment creates the file of sg with its header and records.
func (st *Store) createSegment(sg segment, records []byte) (File, error) {
	f, err := st.fs.Create(sg.name())
	if err != nil {
		return nil, fmt.Errorf("spill: create %s: %w", sg.name(), err)
	}
	st.dirDirty = true
	data := append(sg.header(), records...)
	if _, err := f.WriteAt(data, 0); err != nil {
		_ = f.Close()
		_ = st.fs.Remove(sg.name())
		return nil, fmt.Errorf("spill: write %s: %w", sg.name(), err)
	}
	return f, nil
}

// Prepend stores the entries of p, which end at ends, before everything in
// the store, so that Read returns them first: the rest of a batch taken
// from memory while the store was empty, which is older than what was
// appended since. MaxBytes does not apply. It returns ErrReadPending while
// a batch read is not acknowledged, and ErrNotAtHead if the oldest segment
// is partly delivered. The entries are durable when it returns nil, and
// not stored when it returns an error.
func (st *Store) Prepend(p []byte, ends []int) error {
	if err := CheckEnds(p, ends); err != nil {
		return err
	}
	if len(ends) == 0 {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.closed:
		return ErrClosed
	case st.pending > 0:
		return ErrReadPending
	}
	// Segments an earlier store left read to their end go first, so that
	// nothing delivered comes after the new one.
	for len(st.segs) > 0 && !st.writingHead() && st.readOff >= st.segs[0].size {
		if err := st.dropHeadLocked(); err != nil {
			return err
		}
	}
	order := st.nextOrd
	switch {
	case len(st.segs) == 0:
		st.nextOrd++ // the newest as well as the oldest
	case st.ackOff > segmentHead:
		return ErrNotAtHead
	case st.segs[0].order == 0:
		return errors.New("spill: no order left before the oldest segment")
	default:
		if err := st.removeLeftoversLocked(); err != nil {
			return fmt.Errorf("spill: prepend: %w", err)
		}
		order = st.segs[0].order - 1
	}
	id, err := st.newIDLocked()
	if err != nil {
		return err
	}
	sg := segment{id: id, order: order}
	records := appendRecords(nil, p, ends)
	f, err := st.createSegment(sg, records)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Before the position names it: also makes the removals of
		// delivered segments durable, so that none comes back with the
		// order it takes.
		err = st.fs.SyncDir()
	}
	if err != nil {
		st.abandonPrependLocked(sg)
		return fmt.Errorf("spill: prepend %s: %w", sg.name(), err)
	}
	st.dirDirty = false
	sg.size = segmentHead + int64(len(records))
	st.segs = slices.Insert(st.segs, 0, sg)
	if len(st.segs) > 1 {
		// Below the head's order: the position must name it, or Open
		// would take it for delivered. An empty store's position already
		// keeps every order above the last delivered.
		if err := st.savePositionLocked(0, segmentHead); err != nil {
			st.segs = st.segs[1:]
			st.abandonPrependLocked(sg)
			return fmt.Errorf("spill: prepend %s: %w", sg.name(), err)
		}
	}
	st.closeReaderLocked()
	st.ackOff, st.readOff = segmentHead, segmentHead
	st.added(p, ends)
	return nil
}

// abandonPrependLocked removes the segment of a Prepend that failed. Its
// removal may not reach the disk before a power cut, so the position is
// written to rule it out: it names the oldest segment, whose order is
// above it, or, in an empty store, says its order is done.
func (st *Store) abandonPrependLocked(sg segment) {
	_ = st.fs.Remove(sg.name())
	st.dirDirty = true
	if len(st.segs) == 0 {
		st.doneOrder = sg.order
	}
	_ = st.savePositionLocked(0, st.ackOff) // failing, Close tries again
}

// Read returns the oldest entries not yet delivered, up to maxBytes of
// them (at least one entry, whatever its size), in buf and ends (reused),
// with their ends. It returns none when the store is empty. The entries
// stay in the store until Ack; until then Read returns ErrReadPending, and
// a store opened after a crash returns them again.
//
// A record that is cut short or corrupt ends its segment: the rest of the
// segment is skipped, counted in Stats().CorruptBytes and told to Report,
// and reading goes on in the next segment. A segment that cannot be opened
// or read, or whose header is wrong, is skipped whole, counted the same
// and in CorruptSegments, and renamed to "<name>.bad". Read returns an
// error only when it cannot record the skip (the position file fails).
func (st *Store) Read(buf []byte, ends []int, maxBytes int) ([]byte, []int, error) {
	buf, ends = buf[:0], ends[:0]
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.closed:
		return buf, ends, ErrClosed
	case st.pending > 0:
		return buf, ends, ErrReadPending
	}
	for len(st.segs) > 0 {
		head := st.segs[0]
		if st.readOff >= head.size && st.writingHead() {
			return buf, ends, nil // caught up with Append
		}
		// Even a segment with no records is opened: its header says
		// whether it is what its name says.
		if err := st.openReaderLocked(); err != nil {
			if err := st.skipSegmentLocked(err); err != nil {
				return buf, ends, err
			}
			continue
		}
		if st.readOff >= head.size {
			if err := st.dropHeadLocked(); err != nil {
				return buf, ends, err
			}
			continue
		}
		off, bad := st.readRecords(&buf, &ends, head.size, maxBytes)
		if len(ends) > 0 {
			st.readOff = off
			st.pending, st.pendLen = len(ends), len(buf)
			return buf, ends, nil
		}
		if bad != nil {
			if err := st.skipRestLocked(bad); err != nil {
				return buf, ends, err
			}
		}
	}
	return buf, ends, nil
}

// writingHead reports whether the oldest segment is the one Append writes.
func (st *Store) writingHead() bool { return st.w != nil && len(st.segs) == 1 }

// readRecords reads whole records of the oldest segment from readOff up to
// limit, up to maxBytes of entries, into buf and ends. It returns where
// it stopped and, if a bad record or a read error stopped it, what.
func (st *Store) readRecords(buf *[]byte, ends *[]int, limit int64, maxBytes int) (int64, error) {
	off := st.readOff
	for off < limit {
		if limit-off < recordHead {
			return off, errors.New("a record head cut short")
		}
		head := st.head[:recordHead]
		if _, err := st.r.ReadAt(head, off); err != nil {
			return off, fmt.Errorf("read: %w", err)
		}
		n := int64(binary.LittleEndian.Uint32(head[:4]))
		switch {
		case n == 0:
			return off, errors.New("a record of length 0 (zeroed data)")
		case n > MaxEntry || recordHead+n > limit-off:
			return off, fmt.Errorf("a record of length %d cut short or corrupt", n)
		}
		if len(*ends) > 0 && len(*buf)+int(n) > maxBytes {
			return off, nil // the batch is full
		}
		start := len(*buf)
		*buf = slices.Grow(*buf, int(n))[:start+int(n)]
		if _, err := st.r.ReadAt((*buf)[start:], off+recordHead); err != nil {
			*buf = (*buf)[:start]
			return off, fmt.Errorf("read: %w", err)
		}
		if recordCRC(head[:4], (*buf)[start:]) != binary.LittleEndian.Uint32(head[4:]) {
			*buf = (*buf)[:start]
			return off, errors.New("a record whose checksum does not match")
		}
		off += recordHead + n
		*ends = append(*ends, len(*buf))
	}
	return off, nil
}

// openReaderLocked opens the oldest segment for reading and checks its
// header.
func (st *Store) openReaderLocked() error {
	head := st.segs[0]
	if st.r != nil && st.rID == head.id {
		return nil
	}
	st.closeReaderLocked()
	f, err := st.fs.Open(head.name())
	if err != nil {
		return err
	}
	h := make([]byte, segmentHead)
	if n, err := f.ReadAt(h, 0); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		_ = f.Close()
		if errors.Is(err, io.EOF) {
			return errors.New("an empty file")
		}
		return err
	}
	if err := head.checkHeader(h); err != nil {
		_ = f.Close()
		return err
	}
	st.r, st.rID = f, head.id
	return nil
}

func (st *Store) closeReaderLocked() {
	if st.r != nil {
		_ = st.r.Close()
		st.r, st.rID = nil, 0
	}
}

// skipRestLocked skips the oldest segment from readOff to its end, after a
// bad record: delivery moves on to the next segment in the position, then
// the skip is counted and reported, and the segment removed.
func (st *Store) skipRestLocked(why error) error {
	head := st.segs[0]
	if st.writingHead() {
		st.wEnded = true // as in dropHeadLocked
	}
	err := st.savePositionLocked(1, segmentHead) // if it fails, a later store skips it again
	skipped := head.size - st.readOff
	st.stats.corruptBytes.Add(uint64(skipped))
	st.stats.size.Add(-skipped)
	st.report(fmt.Errorf("spill: segment %s: %w at offset %d: %d bytes skipped", head.name(), why, st.readOff, skipped))
	st.forgetHeadLocked()
	if err != nil {
		st.leftovers = append(st.leftovers, head) // removed once the position is past it
		return err
	}
	st.removeDelivered(head)
	return nil
}

// skipSegmentLocked skips the rest of an oldest segment that cannot be
// read, and renames it out of the way (or removes it if it holds no
// records).
func (st *Store) skipSegmentLocked(why error) error {
	head := st.segs[0]
	err := st.savePositionLocked(1, segmentHead) // if it fails, a later store skips it again
	skipped := max(head.size-st.readOff, 0)
	st.stats.corruptBytes.Add(uint64(skipped))
	st.stats.corruptSegments.Add(1)
	st.stats.size.Add(-skipped)
	st.forgetHeadLocked()
	if err != nil {
		st.report(fmt.Errorf("spill: segment %s: %w: %d bytes skipped", head.name(), why, skipped))
		st.leftovers = append(st.leftovers, head) // removed once the position is past it
		return err
	}
	if head.size <= segmentHead {
		// No records to keep for a look: a segment begun just before a
		// power cut, whose header did not reach the disk.
		st.report(fmt.Errorf("spill: segment %s: %w: no records, removed", head.name(), why))
		st.removeDelivered(head)
		return nil
	}
	st.setAside(head, why, skipped)
	return nil
}

// setAside renames a segment that cannot be read to "<name>.bad", out of
// the spill, and reports it. If that fails too, it is a leftover.
func (st *Store) setAside(sg segment, why error, skipped int64) {
	bad := sg.name() + ".bad"
	if err := st.fs.Rename(sg.name(), bad); err != nil {
		st.report(fmt.Errorf("spill: segment %s: %w: %d bytes skipped; renaming it to %s: %w", sg.name(), why, skipped, bad, err))
		st.leftovers = append(st.leftovers, sg)
		return
	}
	st.dirDirty = true
	st.report(fmt.Errorf("spill: segment %s: %w: %d bytes skipped, renamed to %s", sg.name(), why, skipped, bad))
}

// dropHeadLocked moves delivery past the oldest segment, which is
// delivered to its end, and removes its file once the position no longer
// needs it. An empty store keeps no segment.
func (st *Store) dropHeadLocked() error {
	if st.writingHead() {
		// The position is about to say it is delivered to its end, and
		// may say so on disk even if the write fails: nothing more may go
		// into it.
		st.wEnded = true
	}
	if err := st.savePositionLocked(1, segmentHead); err != nil {
		return err
	}
	head := st.segs[0]
	st.forgetHeadLocked()
	st.removeDelivered(head)
	return nil
}

// forgetHeadLocked takes the oldest segment out of the store, once the
// position on disk is past it.
func (st *Store) forgetHeadLocked() {
	st.closeReaderLocked()
	if st.writingHead() {
		_ = st.w.Close()
		st.w, st.wDirty, st.wEnded = nil, false, false
	}
	st.doneOrder = st.segs[0].order
	st.segs = st.segs[1:]
	st.ackOff, st.readOff = segmentHead, segmentHead
}

// removeDelivered removes the file of a segment the position on disk says
// is delivered. A removal lost in a power cut is redone at Open.
func (st *Store) removeDelivered(sg segment) {
	if err := st.fs.Remove(sg.name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		st.report(fmt.Errorf("spill: remove delivered segment %s: %w", sg.name(), err))
		st.leftovers = append(st.leftovers, sg)
	}
	st.dirDirty = true
}

// removeLeftoversLocked removes the files of delivered segments whose
// removal failed. Until they are gone, no segment may go before the oldest
// (Prepend): the position would then keep them, and they would be
// delivered again.
func (st *Store) removeLeftoversLocked() error {
	for len(st.leftovers) > 0 {
		sg := st.leftovers[0]
		if err := st.fs.Remove(sg.name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("spill: remove delivered segment %s: %w", sg.name(), err)
		}
		st.leftovers = st.leftovers[1:]
		st.dirDirty = true
	}
	return nil
}

// Ack records that the batch the last Read returned was delivered: the
// position moves past it and is fsynced, so that no store reads it again,
// after a power cut either. A segment is removed once delivered to its end.
// On an error the batch is still the one read, for another Ack or a
// Rewind. The position on disk may have moved past it or not: a store
// opened after a crash may or may not return it. Close writes the position
// this store holds again.
func (st *Store) Ack() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	if st.pending == 0 {
		return nil
	}
	var err error
	if st.readOff >= st.segs[0].size {
		err = st.dropHeadLocked()
	} else if err = st.savePositionLocked(0, st.readOff); err == nil {
		st.ackOff = st.readOff
	}
	if err != nil {
		return err
	}
	st.stats.ackedEntries.Add(uint64(st.pending))
	st.stats.ackedBytes.Add(uint64(st.pendLen))
	st.stats.size.Add(-int64(st.pendLen + recordHead*st.pending))
	st.pending, st.pendLen = 0, 0
	return nil
}

// Rewind gives back the batch the last Read returned: the next Read
// returns it again.
func (st *Store) Rewind() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.readOff = st.ackOff
	st.pending, st.pendLen = 0, 0
}

// Sync makes everything appended before it durable: the newest segment's
// data and the directory's entries (segments begun, delivered segments
// removed). Segments before the newest were fsynced when Append moved on
// from them.
func (st *Store) Sync() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	return st.syncLocked()
}

func (st *Store) syncLocked() error {
	if st.w != nil {
		st.syncNewestLocked()
	}
	if st.dirDirty {
		if err := st.fs.SyncDir(); err != nil {
			return fmt.Errorf("spill: sync directory: %w", err)
		}
		st.dirDirty = false
	}
	for _, sg := range st.segs {
		if sg.syncErr != nil {
			return fmt.Errorf("spill: segment %s could not be synced, and its entries may not survive a power cut until delivered: %w", sg.name(), sg.syncErr)
		}
	}
	return nil
}

// syncNewestLocked fsyncs the segment Append writes. If that fails, the
// data may be lost whatever a later fsync says (Linux may drop the dirty
// pages and report the error once): the segment ends there, and Sync fails
// until it is delivered.
func (st *Store) syncNewestLocked() {
	if !st.wDirty {
		return
	}
	if err := st.w.Sync(); err != nil {
		st.segs[len(st.segs)-1].syncErr = err
		st.wEnded = true
	}
	st.wDirty = false
}

// Size returns the record bytes not yet delivered (Stats().Size).
func (st *Store) Size() int64 { return st.stats.size.Load() }

// Empty reports whether nothing waits to be delivered: Read would return
// no entries (unless an earlier store left a corrupt tail, which Read
// skips and counts).
func (st *Store) Empty() bool { return st.stats.size.Load() == 0 }

// Close syncs the store, closes its files and releases the directory's
// lock. What was not delivered (a batch read and not acknowledged
// included) stays for the next store on the directory. A second Close
// returns nil.
func (st *Store) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil
	}
	st.closed = true
	errs := []error{st.syncLocked()}
	if st.posStale {
		errs = append(errs, st.savePositionLocked(0, st.ackOff))
	}
	for _, f := range []File{st.w, st.r, st.pos} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	st.w, st.r, st.pos = nil, nil, nil
	errs = append(errs, st.lock.Close())
	return errors.Join(errs...)
}
