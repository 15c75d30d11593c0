package spill

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// FuzzSpillCrash drives a store on a simulated disk with a program the
// input decodes (appends, syncs, reads, acks, rewinds, prepends, clean
// reopens, rollovers by small segments), cuts the power at a mutating
// file-system call the input chooses (or after the program), lets the
// input choose what the cut leaves of everything not synced, then
// recovers with a new store on the disk and checks:
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
	ackCut   map[int]bool   // in an Ack the power cut: delivered or not
	nextID   int
	created  map[string]bool
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
		if _, isSegment := parseSegmentName(name); op == "create" && isSegment {
			if m.created[name] {
				m.t.Errorf("file %s created a second time", name)
			}
			m.created[name] = true
		}
		return nil
	})
}

func runCrashProgram(t *testing.T, input []byte) {
	in := newCrashInput(input)
	m := &crashModel{t: t, content: map[int][]byte{}, refused: map[int]bool{},
		synced: map[int]bool{}, ackCut: map[int]bool{}, created: map[string]bool{}}
	steps := in.byte()
	cfg := Config{
		MaxBytes:     int64(512 + in.byte()*64),
		SegmentBytes: int64(segmentHead + 16 + in.byte()*4),
	}
	cutAt := in.byte() * 2 // mutating calls; 0: after the program
	disk := NewSimDisk()
	m.watch(disk)
	if cutAt > 0 {
		disk.CutAfter(cutAt)
	}
	cfg.FS = disk
	st, err := Open(cfg)
	if err != nil {
		if errors.Is(err, ErrPowerCut) {
			recoverAndCheck(t, m, disk, cfg, in)
			return
		}
		t.Fatalf("open: %v", err)
	}
	var rbuf []byte
	var rends []int
	cut := false
	for range steps {
		if cut {
			break
		}
		switch op := in.byte(); op % 8 {
		case 0, 1: // append 1 to 4 entries
			n := 1 + in.byte()%4
			var p []byte
			var ends []int
			var ids []int
			for range n {
				id, e := m.entry(in.byte())
				p = append(p, e...)
				ends = append(ends, len(p))
				ids = append(ids, id)
			}
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
				// Cut in the middle: they may be on the disk or not,
				// after everything else.
				m.queue = append(m.queue, ids...)
				cut = true
			default:
				t.Fatalf("append: %v", err)
			}
		case 2:
			cut = m.synced1(st.Sync(), "sync")
		case 3: // read
			max := 1 + in.byte()*4
			var err error
			rbuf, rends, err = st.Read(rbuf, rends, max)
			switch {
			case errors.Is(err, ErrPowerCut):
				cut = true
			case m.read > 0:
				if !errors.Is(err, ErrReadPending) {
					t.Fatalf("read with a batch not acknowledged: %v, want ErrReadPending", err)
				}
			case err != nil:
				t.Fatalf("read: %v", err)
			default:
				got := entries(rbuf, rends)
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
				cut = true
			default:
				t.Fatalf("ack: %v", err)
			}
		case 5: // prepend 1 or 2 entries
			n := 1 + in.byte()%2
			var p []byte
			var ends []int
			var ids []int
			for range n {
				id, e := m.entry(in.byte())
				p = append(p, e...)
				ends = append(ends, len(p))
				ids = append(ids, id)
			}
			err := st.Prepend(p, ends)
			switch {
			case err == nil:
				m.queue = append(ids, m.queue...)
				for _, id := range ids {
					m.synced[id] = true
				}
				if m.read > 0 {
					t.Fatal("Prepend took entries while a batch was read and not acknowledged")
				}
			case errors.Is(err, ErrReadPending):
				if m.read == 0 {
					t.Fatal("Prepend said ErrReadPending with no batch read")
				}
			case errors.Is(err, ErrNotAtHead):
			case errors.Is(err, ErrPowerCut):
				// Cut in the middle: they may be on the disk or not,
				// before everything else.
				m.queue = append(ids, m.queue...)
				cut = true
			default:
				t.Fatalf("prepend: %v", err)
			}
		case 6: // a clean Close and Open
			if cut = m.synced1(st.Close(), "close"); cut {
				break
			}
			m.read = 0
			st, err = Open(cfg)
			if errors.Is(err, ErrPowerCut) {
				cut = true
				st = nil
				break
			}
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if got, want := st.Size(), m.queueBytes(); got != want {
				t.Fatalf("reopened with %d record bytes, want %d (nothing was cut)", got, want)
			}
		case 7:
			st.Rewind()
			m.read = 0
		}
		if !cut {
			if s := st.Stats(); s.CorruptBytes != 0 || s.CorruptSegments != 0 {
				t.Fatalf("corrupt data counted before any power cut: %+v", s)
			}
		}
	}
	recoverAndCheck(t, m, disk, cfg, in)
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
		m.t.Fatalf("%s: %v", what, err)
	}
	return false
}

func (m *crashModel) queueBytes() int64 {
	var n int64
	for _, id := range m.queue {
		n += int64(len(m.content[id]) + recordHead)
	}
	return n
}

// recoverAndCheck cuts the power, opens a store on what is left, reads
// everything back and checks it against the model.
func recoverAndCheck(t *testing.T, m *crashModel, disk *SimDisk, cfg Config, in *crashInput) {
	after := disk.PowerCut(in.choose)
	m.watch(after)
	var reports []error
	cfg.FS = after
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
	if want := int64(s.AckedBytes+recordHead*s.AckedEntries+s.CorruptBytes) - 0; s.RecoveredBytes != want {
		t.Fatalf("recovered %d record bytes, read %d entries of %d bytes and counted %d corrupt: bytes skipped silently",
			s.RecoveredBytes, s.AckedEntries, s.AckedBytes, s.CorruptBytes)
	}
	if (s.CorruptBytes > 0 || s.CorruptSegments > 0) && len(reports) == 0 {
		t.Fatalf("corrupt data counted (%+v) and not reported", s)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close after recovery: %v", err)
	}
	st, err = Open(cfg)
	if err != nil {
		t.Fatalf("reopen after recovery: %v", err)
	}
	if !st.Empty() || st.Stats().RecoveredBytes != 0 {
		t.Fatalf("a drained store reopens with %d bytes", st.Stats().RecoveredBytes)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
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
