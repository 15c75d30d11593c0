package logsink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The spill is a FIFO of entries on disk, between the memory buffer and the
// destination. It is a directory of segment files named by sequence number
// ("00000000000000000001.seg"), each a series of records, one per entry:
//
//	length uint32 (little endian) | CRC-32C of the entry uint32 | entry
//
// A file "position" holds how far the destination has taken the oldest
// segment (segment number and offset), so that a stream started on the
// directory after a crash sends the rest first, and nothing it had
// delivered again but the batch in flight. Segments are removed once
// delivered. A file "lock" holds an advisory lock for as long as a stream
// uses the directory.
const (
	spillSegmentExt  = ".seg"
	spillPosition    = "position"
	spillLock        = "lock"
	spillRecordHead  = 8
	spillMaxSegment  = 64 << 20
	spillMinSegment  = 64 << 10
	spillSegmentsPer = 8 // a spill of maxBytes is cut into about this many segments
	// Segment numbers start high, so that a segment can be put before
	// the oldest (prepend).
	spillFirstSegment = 1 << 32
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrSpillInUse is returned when a spill directory is locked by another
// stream, in this process or another. Test with errors.Is.
var ErrSpillInUse = errors.New("logsink: spill directory in use by another stream")

// errSpillFull says the spill holds its maximum: the policy decides.
var errSpillFull = errors.New("logsink: spill full")

// spill is the store. Its own lock guards it; the spiller appends to the
// newest segment while the flusher reads the oldest.
type spill struct {
	dir      string
	maxBytes int64
	segSize  int64
	lock     *os.File

	mu       sync.Mutex
	segs     []int64  // segment numbers, oldest first
	w        *os.File // the newest segment, open for appending
	wSize    int64    // its size
	r        *os.File // the oldest segment, open for reading
	rSeg     int64    // the segment r reads
	rOff     int64    // where the destination has taken it to
	readOff  int64    // where the next read starts (ahead of rOff by the batch in flight)
	bytes    int64    // bytes on disk in all segments not yet delivered
	dirty    bool     // appended to since the last sync
	posDirty bool     // position moved since the last sync
	unsynced []int64  // prepended segments not yet synced
	pos      *os.File
	stats    *counters
}

// openSpill opens or creates the spill directory dir, takes its lock, and
// finds what a previous stream left in it.
func openSpill(dir string, maxBytes int64, stats *counters) (*spill, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("logsink: spill_dir=%q: not a directory", dir)
	}
	lock, err := os.OpenFile(filepath.Join(dir, spillLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
	}
	if err := lockFile(lock); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
	}
	sp := &spill{
		dir:      dir,
		maxBytes: maxBytes,
		segSize:  min(max(maxBytes/spillSegmentsPer, spillMinSegment), spillMaxSegment),
		lock:     lock,
		stats:    stats,
	}
	if err := sp.recover(); err != nil {
		_ = sp.close()
		return nil, fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
	}
	return sp, nil
}

// recover lists the segments left by an earlier stream and where delivery
// stopped in them.
func (sp *spill) recover() error {
	ents, err := os.ReadDir(sp.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), spillSegmentExt)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(name, 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		sp.segs = append(sp.segs, n)
	}
	slices.Sort(sp.segs)
	sp.pos, err = os.OpenFile(filepath.Join(sp.dir, spillPosition), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	var buf [16]byte
	if n, _ := sp.pos.ReadAt(buf[:], 0); n == 16 {
		seg, off := int64(binary.LittleEndian.Uint64(buf[:8])), int64(binary.LittleEndian.Uint64(buf[8:]))
		// Segments before the one delivery stopped in are delivered.
		for len(sp.segs) > 0 && sp.segs[0] < seg {
			if err := os.Remove(sp.segPath(sp.segs[0])); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			sp.segs = sp.segs[1:]
		}
		if len(sp.segs) > 0 && sp.segs[0] == seg {
			sp.rOff, sp.readOff = off, off
		}
	}
	for i, seg := range sp.segs {
		info, err := os.Stat(sp.segPath(seg))
		if err != nil {
			return err
		}
		size := info.Size()
		if i == 0 {
			size -= min(sp.rOff, size)
		}
		sp.bytes += size
	}
	if len(sp.segs) > 0 {
		sp.rSeg = sp.segs[0]
	}
	sp.stats.spillBytes.Store(uint64(sp.bytes))
	return nil
}

func (sp *spill) segPath(n int64) string {
	return filepath.Join(sp.dir, fmt.Sprintf("%020d%s", n, spillSegmentExt))
}

// empty reports whether nothing waits in the spill.
func (sp *spill) empty() bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.bytes == 0
}

// size returns the bytes waiting in the spill.
func (sp *spill) size() int64 {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.bytes
}

// append writes the entries of p, which end at the offsets in ends, as
// records at the end of the spill. It takes all of them or none, and
// returns errSpillFull when they would take the spill past its maximum.
func (sp *spill) append(p []byte, ends []int, scratch []byte) ([]byte, error) {
	need := int64(len(p) + spillRecordHead*len(ends))
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.bytes+need > sp.maxBytes {
		return scratch, errSpillFull
	}
	if sp.w == nil || sp.wSize >= sp.segSize {
		if err := sp.newSegmentLocked(); err != nil {
			return scratch, err
		}
	}
	scratch = appendRecords(scratch[:0], p, ends)
	n, err := sp.w.Write(scratch)
	sp.wSize += int64(n)
	if err != nil {
		// A torn record at the end would stop the reader: cut it off.
		_ = sp.w.Truncate(sp.wSize - int64(n))
		sp.wSize -= int64(n)
		return scratch, err
	}
	sp.bytes += need
	sp.dirty = true
	sp.stats.spilledEntries.Add(uint64(len(ends)))
	sp.stats.spilledBytes.Add(uint64(len(p)))
	sp.stats.spillBytes.Store(uint64(sp.bytes))
	return scratch, nil
}

// prepend writes the entries of p as records into a new segment before
// the oldest, so that they are delivered first: the rest of a batch a
// failed write left in memory, which is older than anything in the spill.
// The maximum size does not apply. It needs the oldest segment unread,
// which holds whenever that batch exists: it was taken from memory while
// the spill was empty, and an empty spill starts its next segment afresh.
func (sp *spill) prepend(p []byte, ends []int) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.segs) > 0 && sp.rOff > 0 {
		return errors.New("the oldest segment is partly delivered: cannot put entries before it")
	}
	first := int64(spillFirstSegment)
	if len(sp.segs) > 0 {
		first = sp.segs[0] - 1
	}
	f, err := os.OpenFile(sp.segPath(first), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	rec := appendRecords(nil, p, ends)
	_, err = f.Write(rec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(sp.segPath(first))
		return err
	}
	if sp.r != nil {
		_ = sp.r.Close()
		sp.r = nil
	}
	sp.segs = append([]int64{first}, sp.segs...)
	sp.rSeg, sp.rOff, sp.readOff = first, 0, 0
	sp.unsynced = append(sp.unsynced, first)
	sp.bytes += int64(len(rec))
	sp.stats.spilledEntries.Add(uint64(len(ends)))
	sp.stats.spilledBytes.Add(uint64(len(p)))
	sp.stats.spillBytes.Store(uint64(sp.bytes))
	sp.writePositionLocked()
	return nil
}

// appendRecords appends the entries of p, ending at ends, as records.
func appendRecords(dst, p []byte, ends []int) []byte {
	start := 0
	for _, end := range ends {
		e := p[start:end]
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e)))
		dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(e, crcTable))
		dst = append(dst, e...)
		start = end
	}
	return dst
}

func (sp *spill) newSegmentLocked() error {
	next := int64(spillFirstSegment)
	if len(sp.segs) > 0 {
		next = sp.segs[len(sp.segs)-1] + 1
	}
	f, err := os.OpenFile(sp.segPath(next), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if sp.w != nil {
		if err := sp.w.Close(); err != nil {
			_ = f.Close()
			return err
		}
	}
	sp.w, sp.wSize = f, 0
	sp.segs = append(sp.segs, next)
	if len(sp.segs) == 1 {
		sp.rSeg, sp.rOff, sp.readOff = next, 0, 0
	}
	return nil
}

// read reads the next whole records, at most max bytes of entries (at least
// one record), into buf, and returns the entries and their ends. It
// returns nothing when the spill is empty. A record that is cut short or
// fails its checksum (a crash while it was written) ends the segment: the
// rest of it is skipped, counted in Stats().SpillCorrupt and returned as
// an error, and reading goes on in the next segment.
func (sp *spill) read(buf []byte, ends []int, max int) ([]byte, []int, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	buf, ends = buf[:0], ends[:0]
	for len(sp.segs) > 0 {
		if sp.r == nil {
			f, err := os.Open(sp.segPath(sp.rSeg))
			if err != nil {
				return buf, ends, err
			}
			sp.r = f
		}
		limit := sp.segEndLocked()
		for sp.readOff < limit {
			var head [spillRecordHead]byte
			bad := ""
			if limit-sp.readOff < spillRecordHead {
				bad = "a record header cut short"
			} else if _, err := sp.r.ReadAt(head[:], sp.readOff); err != nil {
				return buf, ends, err
			}
			n := int64(binary.LittleEndian.Uint32(head[:4]))
			if bad == "" && spillRecordHead+n > limit-sp.readOff {
				bad = "a record cut short"
			}
			if bad == "" && len(ends) > 0 && len(buf)+int(n) > max {
				return buf, ends, nil // the batch is full
			}
			if bad == "" {
				start := len(buf)
				buf = slices.Grow(buf, int(n))[:start+int(n)]
				if _, err := sp.r.ReadAt(buf[start:], sp.readOff+spillRecordHead); err != nil {
					return buf[:start], ends, err
				}
				if crc32.Checksum(buf[start:], crcTable) != binary.LittleEndian.Uint32(head[4:]) {
					buf, bad = buf[:start], "a record whose checksum does not match"
				}
			}
			if bad != "" {
				if len(ends) > 0 {
					return buf, ends, nil // deliver what is good first
				}
				skipped := limit - sp.readOff
				sp.stats.spillCorrupt.Add(uint64(skipped))
				err := fmt.Errorf("logsink: spill segment %s: %s at offset %d: %d bytes skipped",
					sp.segPath(sp.rSeg), bad, sp.readOff, skipped)
				sp.readOff = limit
				sp.commitLocked(sp.readOff, 0, 0)
				return buf, ends, err
			}
			sp.readOff += spillRecordHead + n
			ends = append(ends, len(buf))
		}
		if len(ends) > 0 || sp.rSeg == sp.newestLocked() {
			return buf, ends, nil
		}
		sp.nextSegmentLocked() // this one is read to its end
	}
	return buf, ends, nil
}

// segEndLocked is where the segment being read ends now: its file size, or
// what the spiller has written to it.
func (sp *spill) segEndLocked() int64 {
	if sp.w != nil && sp.rSeg == sp.newestLocked() {
		return sp.wSize
	}
	info, err := sp.r.Stat()
	if err != nil {
		return sp.readOff
	}
	return info.Size()
}

func (sp *spill) newestLocked() int64 { return sp.segs[len(sp.segs)-1] }

// commit records that the destination took the last batch read, of
// records entries and entryBytes bytes: the position moves past it. Until
// then a stream started on the directory would send the batch again.
func (sp *spill) commit(records, entryBytes int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	off := sp.rOff + int64(records*spillRecordHead+entryBytes)
	sp.commitLocked(off, records, entryBytes)
}

func (sp *spill) commitLocked(off int64, records, entryBytes int) {
	sp.bytes -= off - sp.rOff
	sp.rOff = off
	sp.readOff = max(sp.readOff, off)
	sp.posDirty = true
	sp.stats.replayedEntries.Add(uint64(records))
	sp.stats.replayedBytes.Add(uint64(entryBytes))
	sp.stats.spillBytes.Store(uint64(sp.bytes))
	switch {
	case sp.bytes == 0:
		// Empty: start afresh, so that the next append begins a segment
		// of its own that nothing has read yet (see prepend).
		sp.resetLocked()
	case sp.rSeg != sp.newestLocked() && sp.rOff >= sp.segEndLocked():
		// A segment delivered to its end, and not being written.
		sp.nextSegmentLocked()
	}
	sp.writePositionLocked()
}

// resetLocked removes every segment of an empty spill.
func (sp *spill) resetLocked() {
	for _, f := range []*os.File{sp.w, sp.r} {
		if f != nil {
			_ = f.Close()
		}
	}
	for _, seg := range sp.segs {
		_ = os.Remove(sp.segPath(seg))
	}
	sp.w, sp.r, sp.wSize = nil, nil, 0
	sp.segs = sp.segs[:0]
	sp.rSeg, sp.rOff, sp.readOff = 0, 0, 0
}

// nextSegmentLocked removes the segment being read, which is delivered,
// and moves to the next.
func (sp *spill) nextSegmentLocked() {
	if sp.r != nil {
		_ = sp.r.Close()
		sp.r = nil
	}
	_ = os.Remove(sp.segPath(sp.rSeg))
	sp.segs = sp.segs[1:]
	sp.rOff, sp.readOff = 0, 0
	if len(sp.segs) > 0 {
		sp.rSeg = sp.segs[0]
	} else {
		sp.rSeg = 0
	}
	sp.writePositionLocked()
}

// writePositionLocked records the delivery position in the position file;
// it reaches the disk at the next sync, and the page cache at once, which
// survives a crash of the process.
func (sp *spill) writePositionLocked() {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(sp.rSeg))
	binary.LittleEndian.PutUint64(buf[8:], uint64(sp.rOff))
	_, _ = sp.pos.WriteAt(buf[:], 0)
}

// sync commits what was appended, and the delivery position, to the disk.
func (sp *spill) sync() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var errs []error
	if sp.dirty && sp.w != nil {
		errs = append(errs, sp.w.Sync())
		sp.dirty = false
	}
	for _, seg := range sp.unsynced {
		errs = append(errs, syncPath(sp.segPath(seg)))
	}
	sp.unsynced = sp.unsynced[:0]
	if sp.posDirty {
		errs = append(errs, sp.pos.Sync())
		sp.posDirty = false
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("logsink: spill sync: %w", err)
	}
	return nil
}

// syncPath syncs the file at path, which may be gone (delivered).
func syncPath(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// close syncs and closes the files and releases the lock. What is left in
// the spill stays for the next stream on the directory.
func (sp *spill) close() error {
	errs := []error{sp.sync()}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, f := range []*os.File{sp.w, sp.r, sp.pos} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	sp.w, sp.r, sp.pos = nil, nil, nil
	if sp.bytes == 0 {
		// Nothing left: leave an empty directory behind, but for the lock.
		for _, seg := range sp.segs {
			_ = os.Remove(sp.segPath(seg))
		}
		_ = os.Remove(filepath.Join(sp.dir, spillPosition))
	}
	errs = append(errs, unlockFile(sp.lock), sp.lock.Close())
	return errors.Join(errs...)
}
