package spill

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"syscall"
	"testing"
)

// FuzzSpillCrash drives a store on a simulated disk with a program the
// input decodes (appends, syncs, reads, acks, rewinds, prepends, clean
// reopens, rollovers by small segments), cuts the power at a mutating
// file-system call the input chooses or where the program says (up to
// four times, the program going on with a new store after each), lets the
// input choose what each cut leaves of everything not synced, and after
// each cut recovers a copy of the disk with a new store and checks:
//
//   - before the cut, Read returns exactly the entries appended, in order
//     (prepended ones first), and nothing is counted corrupt;
//   - after it, every entry a Sync (or Prepend, or a clean Close) that
//     returned nil covered, and that was not acknowledged, is read back;
//   - nothing is read that was never appended, none twice, none that an
//     Ack that returned nil covered, and all in the order they were
//     stored: the only entries read again are those of the last batch
//     read and not acknowledged (the duplicate bound);
//   - nothing is skipped silently: the record bytes found at Open equal
//     the bytes read back plus those counted corrupt, and anything counted
//     corrupt was reported;
//   - no segment file name is ever created twice.
//
// Run it longer with:
//
//	go test -run '^$' -fuzz FuzzSpillCrash -fuzztime 60s ./logsink/internal/spill/
func FuzzSpillCrash(f *testing.F) {
	f.Add([]byte{8, 1, 0, 0, 0, 0, 10, 20, 2, 3, 200, 4, 0, 3, 30, 2})
	f.Add([]byte{40, 2, 1, 9, 0, 0, 1, 255, 2, 0, 255, 3, 50, 4, 6, 0, 1, 1, 2, 7, 5, 1, 3, 2, 1, 1, 0})
	f.Fuzz(func(t *testing.T, input []byte) {
		runCrashProgram(t, input)
	})
}

// crashInput reads the fuzz input; past its end, the program reads zeros
// and the power cut's choices come from a generator seeded by the input,
// so that a short input still tears, zeroes and keeps a variety of
// things, the same way each run.
type crashInput struct {
	b   []byte
	rng *rand.Rand
}

func newCrashInput(b []byte) *crashInput {
	h := fnv.New64a()
	h.Write(b)
	return &crashInput{b: b, rng: rand.New(rand.NewPCG(h.Sum64(), uint64(len(b))))}
}

func (in *crashInput) byte() int {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return int(c)
}

// choose returns a value in [0, n) for the power cut.
func (in *crashInput) choose(n int) int {
	if n <= 1 {
		return 0
	}
	if len(in.b) == 0 {
		return in.rng.IntN(n)
	}
	v := in.byte()
	if n > 256 {
		v = v<<8 | in.byte()
	}
	return v % n
}

// crashModel is what the program stored, as the store should hold it.
type crashModel struct {
	t        *testing.T
	content  map[int][]byte // every entry handed to Append or Prepend
	refused  map[int]bool   // Append said ErrFull: never stored
	queue    []int          // entries stored and not acknowledged, in order
	read     int            // how many at the queue's front the last Read returned
	synced   map[int]bool   // made durable by a call that returned nil
	unsynced []int          // stored since the last sync
	ackCut   map[int]bool   // in an Ack the power cut or that failed: delivered or not
	nextID   int
	created  map[string]bool
	failNext string // the next call of this kind fails with EIO
	failed   bool   // a call failed so: errors are expected from now on
}

func (m *crashModel) entry(length int) (int, []byte) {
	id := m.nextID
	m.nextID++
	e := fmt.Appendf(nil, "e%d|", id)
	e = append(e, bytes.Repeat([]byte{byte('a' + id%26)}, length)...)
	m.content[id] = e
	return id, e
}

// watch records every segment file the store creates on d, and fails the
// test on a name created twice.
func (m *crashModel) watch(d *SimDisk) {
	d.SetFault(func(op, name string) error {
		if m.failNext != "" && op == m.failNext {
			m.failNext, m.failed = "", true
			return syscall.EIO
		}
		if crashTrace && op != "read" {
			m.t.Logf("  %s %s", op, name)
		}
		if _, isSegment := parseSegmentName(name); op == "create" && isSegment {
			if m.created[name] {
				m.t.Errorf("file %s created a second time", name)
			}
			m.created[name] = true
		}
		return nil
	})
}

// faultOps are the calls a program can make fail once with EIO.
var faultOps = []string{"write", "sync", "truncate", "create", "remove", "syncdir"}

// maxCuts bounds the power cuts in one program.
const maxCuts = 4

// crashRun is one program being run: the disk now, the store on it.
type crashRun struct {
	t    *testing.T
	in   *crashInput
	m    *crashModel
	cfg  Config
	disk *SimDisk
	st   *Store
	cuts int
}

func runCrashProgram(t *testing.T, input []byte) {
	in := newCrashInput(input)
	m := &crashModel{t: t, content: map[int][]byte{}, refused: map[int]bool{},
		synced: map[int]bool{}, ackCut: map[int]bool{}, created: map[string]bool{}}
	steps := in.byte()
	r := &crashRun{t: t, in: in, m: m, disk: NewSimDisk(), cfg: Config{
		MaxBytes:     int64(512 + in.byte()*64),
		SegmentBytes: int64(segmentHead + 16 + in.byte()*4),
	}}
	m.watch(r.disk)
	r.armCut()
	r.open()
	for range steps {
		if r.st == nil || r.step() {
			if r.cuts++; r.cuts >= maxCuts {
				break
			}
			r.powerCut()
			r.armCut()
			r.open()
		}
	}
	if r.st != nil {
		_ = r.st.Close() // nothing synced by it counts: the power goes
	}
	r.powerCut()
	r.checkDrained()
}

// armCut cuts the power of the disk after as many mutating calls as the
// input says (0: not before the program's end or its next cut).
func (r *crashRun) armCut() {
	if n := r.in.byte() * 2; n > 0 {
		r.disk.CutAfter(n)
	}
}

// open opens a store on the disk; st stays nil if the power goes.
func (r *crashRun) open() {
	cfg := r.cfg
	cfg.FS = r.disk
	st, err := Open(cfg)
	if err != nil && !errors.Is(err, ErrPowerCut) {
		r.m.expectFailure(err, "open")
		st, err = Open(cfg) // the fault fails one call only
	}
	switch {
	case err == nil:
		r.st = st
	case errors.Is(err, ErrPowerCut):
		r.st = nil
	default:
		r.t.Fatalf("open: %v", err)
	}
}

// crashTrace logs every call of the programs, for a test that replays one.
var crashTrace = false

// step runs one call of the program and reports whether the power went.
func (r *crashRun) step() (cut bool) {
	t, m, in, st := r.t, r.m, r.in, r.st
	op := in.byte()
	if crashTrace {
		defer func() {
			t.Logf("op %d: cut %v, queue %v read %d, fail %q, stats %+v", op%10, cut, m.queue, m.read, m.failNext, r.st.Stats())
		}()
	}
	switch op % 10 {
	case 0, 1: // append 1 to 4 entries
		p, ends, ids := m.batch(in, 1+in.byte()%4)
		err := st.Append(p, ends)
		switch {
		case err == nil:
			m.queue = append(m.queue, ids...)
			m.unsynced = append(m.unsynced, ids...)
		case errors.Is(err, ErrFull):
			for _, id := range ids {
				m.refused[id] = true
			}
		case errors.Is(err, ErrPowerCut):
			// Cut in the middle: they may be on the disk or not, after
			// everything else.
			m.queue = append(m.queue, ids...)
			return true
		case r.disk.Off():
			// The power went during a call that failed for another
			// reason first: as if cut in the middle.
			m.queue = append(m.queue, ids...)
			return true
		default:
			m.expectFailure(err, "append")
			for _, id := range ids {
				m.refused[id] = true // a failed Append stores nothing
			}
		}
	case 2:
		return m.synced1(st.Sync(), "sync") || r.disk.Off()
	case 3: // read
		p, ends, err := st.Read(nil, nil, 1+in.byte()*4)
		switch {
		case errors.Is(err, ErrPowerCut):
			return true
		case m.read > 0:
			if !errors.Is(err, ErrReadPending) {
				t.Fatalf("read with a batch not acknowledged: %v, want ErrReadPending", err)
			}
		case err != nil && r.disk.Off():
			return true
		case err != nil:
			m.expectFailure(err, "read")
		default:
			got := entries(p, ends)
			// Entries of a failed Ack may be gone: the position on disk
			// moved past them after all.
			for len(m.queue) > 0 && m.ackCut[m.queue[0]] && (len(got) == 0 || !bytes.Equal(got[0], m.content[m.queue[0]])) {
				m.queue = m.queue[1:]
			}
			if len(got) == 0 && len(m.queue) > 0 {
				t.Fatalf("read nothing, %d entries stored", len(m.queue))
			}
			for i, e := range got {
				if i >= len(m.queue) || !bytes.Equal(e, m.content[m.queue[i]]) {
					t.Fatalf("read entry %d = %q, want the stored queue's %v", i, e, m.queue[:min(len(m.queue), 3)])
				}
			}
			m.read = len(got)
		}
	case 4: // ack
		err := st.Ack()
		switch {
		case err == nil:
			m.queue = m.queue[m.read:]
			m.read = 0
		case errors.Is(err, ErrPowerCut):
			for _, id := range m.queue[:m.read] {
				m.ackCut[id] = true
			}
			return true
		default:
			// The batch is still the one read, here; on the disk the
			// position may have moved past it.
			for _, id := range m.queue[:m.read] {
				m.ackCut[id] = true
			}
			if r.disk.Off() {
				return true
			}
			m.expectFailure(err, "ack")
		}
	case 5: // prepend 1 or 2 entries
		p, ends, ids := m.batch(in, 1+in.byte()%2)
		err := st.Prepend(p, ends)
		switch {
		case err == nil:
			if m.read > 0 {
				t.Fatal("Prepend took entries while a batch was read and not acknowledged")
			}
			m.queue = append(ids, m.queue...)
			for _, id := range ids {
				m.synced[id] = true
			}
		case errors.Is(err, ErrReadPending):
			if m.read == 0 {
				t.Fatal("Prepend said ErrReadPending with no batch read")
			}
		case errors.Is(err, ErrNotAtHead):
		case errors.Is(err, ErrPowerCut):
			// Cut in the middle: they may be on the disk or not, before
			// everything else.
			m.queue = append(ids, m.queue...)
			return true
		case r.disk.Off():
			// The power went while a failed Prepend cleaned up.
			m.queue = append(ids, m.queue...)
			return true
		default:
			m.expectFailure(err, "prepend")
			for _, id := range ids {
				m.refused[id] = true // a failed Prepend stores nothing
			}
		}
	case 6: // a clean Close and Open
		size := st.Size()
		err := st.Close()
		if m.synced1(err, "close") || r.disk.Off() {
			return true
		}
		m.read = 0
		if r.open(); r.st == nil {
			return true
		}
		// If Close failed to write the position, entries of an Ack that
		// failed may be delivered or not, and a skip may come again.
		if got := r.st.Size(); err == nil && got != size {
			t.Fatalf("reopened with %d record bytes, closed with %d", got, size)
		}
		if err == nil && r.cuts == 0 {
			got, want := r.st.Size(), m.queueBytes()
			k, gone := 0, int64(0) // entries of a failed Ack that may be delivered
			for ; k < len(m.queue) && m.ackCut[m.queue[k]]; k++ {
				gone += int64(len(m.content[m.queue[k]]) + recordHead)
			}
			switch {
			case got == want:
			case got == want-gone:
				m.queue = m.queue[k:]
			default:
				t.Fatalf("reopened with %d record bytes, want %d (nothing was cut)", got, want)
			}
		}
	case 7:
		st.Rewind()
		m.read = 0
	case 8: // the power goes now
		return true
	case 9: // the next call of a kind fails with EIO
		m.failNext = faultOps[in.byte()%len(faultOps)]
	}
	if s := r.st.Stats(); r.cuts == 0 && (s.CorruptBytes != 0 || s.CorruptSegments != 0) {
		t.Fatalf("corrupt data counted with no power cut: %+v", s)
	}
	return false
}

// batch makes n entries with lengths from the input.
func (m *crashModel) batch(in *crashInput, n int) ([]byte, []int, []int) {
	var p []byte
	var ends, ids []int
	for range n {
		id, e := m.entry(in.byte())
		p = append(p, e...)
		ends = append(ends, len(p))
		ids = append(ids, id)
	}
	return p, ends, ids
}

// synced1 accounts for a sync-like call's result and reports a power cut.
func (m *crashModel) synced1(err error, what string) (cut bool) {
	switch {
	case err == nil:
		for _, id := range m.unsynced {
			m.synced[id] = true
		}
		m.unsynced = m.unsynced[:0]
	case errors.Is(err, ErrPowerCut):
		return true
	default:
		m.expectFailure(err, what)
	}
	return false
}

// expectFailure fails the test on an error no injected fault explains.
// After an EIO, Sync keeps failing until the segment is delivered, so any
// later call may fail.
func (m *crashModel) expectFailure(err error, what string) {
	if !m.failed || !errors.Is(err, syscall.EIO) {
		m.t.Fatalf("%s: %v", what, err)
	}
}

func (m *crashModel) queueBytes() int64 {
	var n int64
	for _, id := range m.queue {
		n += int64(len(m.content[id]) + recordHead)
	}
	return n
}

// powerCut cuts the power as the input chooses, checks what a store
// recovers from a copy of the disk, and makes that the model.
func (r *crashRun) powerCut() {
	r.disk = r.disk.PowerCut(r.in.choose)
	r.m.watch(r.disk)
	got := r.checkRecovered(cloneDisk(r.disk))
	m := r.m
	m.queue = m.queue[:0]
	for _, e := range got {
		id := parseEntryID(e)
		m.queue = append(m.queue, id)
		m.synced[id] = true // Open fsynced what it found
	}
	m.read, m.unsynced = 0, m.unsynced[:0]
	clear(m.ackCut)
	m.failNext = "" // a new machine
	r.st = nil
}

// checkRecovered opens a store on d after a power cut, reads everything
// back, checks it against the model and returns it.
func (r *crashRun) checkRecovered(d *SimDisk) [][]byte {
	t, m := r.t, r.m
	var reports []error
	cfg := r.cfg
	cfg.FS = d
	cfg.Report = func(err error) { reports = append(reports, err) }
	st, err := Open(cfg)
	if err != nil {
		t.Fatalf("open after the power cut: %v", err)
	}
	rank := map[string]int{}
	for i, id := range m.queue {
		rank[string(m.content[id])] = i
	}
	var got [][]byte
	var buf []byte
	var ends []int
	for range 1 << 16 {
		buf, ends, err = st.Read(buf, ends, 1<<10)
		if err != nil {
			t.Fatalf("read after the power cut: %v", err)
		}
		if len(ends) == 0 {
			break
		}
		got = append(got, entries(buf, ends)...)
		if err := st.Ack(); err != nil {
			t.Fatalf("ack after the power cut: %v", err)
		}
	}
	last := -1
	seen := map[int]bool{}
	for _, e := range got {
		id := parseEntryID(e)
		if id < 0 || !bytes.Equal(m.content[id], e) {
			t.Fatalf("read back %q, never written", e)
		}
		if m.refused[id] {
			t.Fatalf("read back entry %d, which Append refused (ErrFull)", id)
		}
		r, ok := rank[string(e)]
		if !ok {
			t.Fatalf("read back entry %d, acknowledged before the cut (or never stored)", id)
		}
		if seen[id] {
			t.Fatalf("read back entry %d twice", id)
		}
		if r <= last {
			t.Fatalf("read back entry %d out of order", id)
		}
		seen[id], last = true, r
	}
	for _, id := range m.queue {
		if m.synced[id] && !m.ackCut[id] && !seen[id] {
			t.Fatalf("entry %d was synced and not acknowledged, and is gone after the power cut (read back %d of %d stored; reports %v)",
				id, len(got), len(m.queue), reports)
		}
	}
	s := st.Stats()
	if s.Size != 0 {
		t.Fatalf("store drained, Size %d", s.Size)
	}
	if want := int64(s.AckedBytes + recordHead*s.AckedEntries + s.CorruptBytes); s.RecoveredBytes != want {
		t.Fatalf("recovered %d record bytes, read %d entries of %d bytes and counted %d corrupt: bytes skipped silently",
			s.RecoveredBytes, s.AckedEntries, s.AckedBytes, s.CorruptBytes)
	}
	if (s.CorruptBytes > 0 || s.CorruptSegments > 0) && len(reports) == 0 {
		t.Fatalf("corrupt data counted (%+v) and not reported", s)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close after recovery: %v", err)
	}
	return got
}

// checkDrained drains a store on the disk after the last cut, as the
// recovered copy was, and checks that it then reopens empty.
func (r *crashRun) checkDrained() {
	r.open()
	drainedOnce := r.st
	got := 0
	for range 1 << 16 {
		_, ends, err := drainedOnce.Read(nil, nil, 1<<10)
		if err != nil {
			r.t.Fatalf("read: %v", err)
		}
		if len(ends) == 0 {
			break
		}
		got += len(ends)
		if err := drainedOnce.Ack(); err != nil {
			r.t.Fatalf("ack: %v", err)
		}
	}
	if got != len(r.m.queue) {
		r.t.Fatalf("read %d entries, %d were recovered", got, len(r.m.queue))
	}
	if err := drainedOnce.Close(); err != nil {
		r.t.Fatalf("close: %v", err)
	}
	r.open()
	if !r.st.Empty() || r.st.Stats().RecoveredBytes != 0 {
		r.t.Fatalf("a drained store reopens with %d bytes", r.st.Stats().RecoveredBytes)
	}
	if err := r.st.Close(); err != nil {
		r.t.Fatalf("close: %v", err)
	}
}

// cloneDisk returns a copy of a disk just after a power cut (everything on
// it durable, nothing open).
func cloneDisk(d *SimDisk) *SimDisk {
	d.mu.Lock()
	defer d.mu.Unlock()
	nd := NewSimDisk()
	copies := map[*simInode]*simInode{}
	for name, ino := range d.live {
		if copies[ino] == nil {
			copies[ino] = &simInode{data: slices.Clone(ino.data), synced: slices.Clone(ino.synced)}
		}
		nd.live[name] = copies[ino]
		nd.durable[name] = copies[ino]
	}
	return nd
}

// entries returns p cut at ends.
func entries(p []byte, ends []int) [][]byte {
	var out [][]byte
	start := 0
	for _, e := range ends {
		out = append(out, slices.Clone(p[start:e]))
		start = e
	}
	return out
}

func parseEntryID(e []byte) int {
	rest, ok := bytes.CutPrefix(e, []byte("e"))
	if !ok {
		return -1
	}
	num, _, ok := bytes.Cut(rest, []byte("|"))
	if !ok {
		return -1
	}
	id, err := strconv.Atoi(string(num))
	if err != nil {
		return -1
	}
	return id
}
