package spill

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// joined returns entries as one batch and its ends.
func joined(entries ...string) ([]byte, []int) {
	var p []byte
	var ends []int
	for _, e := range entries {
		p = append(p, e...)
		ends = append(ends, len(p))
	}
	return p, ends
}

// reports collects what a store reports.
type reports struct{ errs []error }

func (r *reports) report(err error) { r.errs = append(r.errs, err) }

func (r *reports) String() string { return fmt.Sprint(r.errs) }

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	st, err := Open(cfg)
	require.NoError(t, err, "Open")
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func mustAppend(t *testing.T, st *Store, entries ...string) {
	t.Helper()
	p, ends := joined(entries...)
	require.NoError(t, st.Append(p, ends), "Append")
}

// drain reads and acknowledges everything in st.
func drain(t *testing.T, st *Store) []string {
	t.Helper()
	var out []string
	for range 1 << 16 {
		p, ends, err := st.Read(nil, nil, 1<<20)
		require.NoError(t, err, "Read")
		if len(ends) == 0 {
			return out
		}
		for _, e := range entries(p, ends) {
			out = append(out, string(e))
		}
		require.NoError(t, st.Ack(), "Ack")
	}
	t.Fatal("the store never ran dry")
	return nil
}

// keepNothing is a power cut that keeps only what was synced.
func keepNothing(int) int { return 0 }

// segmentNames returns the segment files of d.
func segmentNames(t *testing.T, d *SimDisk) []string {
	t.Helper()
	names, err := d.ReadDir()
	require.NoError(t, err)
	var segs []string
	for _, n := range names {
		if _, ok := parseSegmentName(n); ok {
			segs = append(segs, n)
		}
	}
	return segs
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("entry %04d %s", i, strings.Repeat("x", i%50))
	}
	return out
}

// The old spill read the 8 zero bytes a power cut leaves as an empty
// record with a valid checksum: one record and 4 KiB of zeros gave 513
// entries and SpillCorrupt 0.
func TestZeroFilledTailIsNotRecords(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "the only entry\n")
	require.NoError(t, st.Close())
	segs := segmentNames(t, d)
	require.Len(t, segs, 1)
	f, err := d.Open(segs[0])
	require.NoError(t, err)
	size, err := d.Size(segs[0])
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 4096), size)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	var r reports
	st = openStore(t, Config{FS: d, Report: r.report})
	assert.Equal(t, []string{"the only entry\n"}, drain(t, st), "the zeros are no entries")
	assert.EqualValues(t, 4096, st.Stats().CorruptBytes, "the zeros are counted as corrupt")
	require.Len(t, r.errs, 1, "the skip is reported")
	assert.Contains(t, r.errs[0].Error(), "length 0")
}

func TestEmptyEntryRefused(t *testing.T) {
	tests := []struct {
		name string
		p    []byte
		ends []int
	}{
		{"one empty entry", nil, []int{0}},
		{"an empty entry between two", []byte("ab"), []int{1, 1, 2}},
		{"an empty entry first", []byte("ab"), []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewSimDisk()
			st := openStore(t, Config{FS: d})
			assert.ErrorIs(t, st.Append(tt.p, tt.ends), ErrBadEnds, "Append")
			assert.ErrorIs(t, st.Prepend(tt.p, tt.ends), ErrBadEnds, "Prepend")
			assert.Zero(t, st.Stats(), "nothing stored or counted")
			assert.Empty(t, segmentNames(t, d), "no segment begun")
		})
	}
	t.Run("nothing at all", func(t *testing.T) {
		st := openStore(t, Config{FS: NewSimDisk()})
		assert.NoError(t, st.Append(nil, nil), "no entries is no error")
		assert.True(t, st.Empty())
	})
}

// The old spill sliced p at whatever ends it was handed: a stale end
// panicked the spiller with "slice bounds out of range".
func TestBadEndsNeverSliceOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		p    string
		ends []int
	}{
		{"end past the batch", "abc", []int{5}},
		{"ends going down", "abcdef", []int{4, 2, 6}},
		{"negative end", "abc", []int{-1, 3}},
		{"last end short of the batch", "abcdef", []int{3}},
		{"bytes with no end", "abc", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, Config{FS: NewSimDisk()})
			err := st.Append([]byte(tt.p), tt.ends)
			assert.ErrorIs(t, err, ErrBadEnds)
			assert.True(t, st.Empty(), "nothing stored")
		})
	}
}

// The old spill closed a full segment without fsync and never fsynced the
// directory, so after a power cut a Sync that returned nil had covered
// segments that were gone.
func TestSyncCoversRolledSegmentsAndTheDirectory(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 256})
	want := numbered(100)
	for _, e := range want {
		mustAppend(t, st, e)
	}
	require.Greater(t, len(segmentNames(t, d)), 3, "the store rolled over to new segments")
	require.NoError(t, st.Sync())

	after := d.PowerCut(keepNothing)
	st = openStore(t, Config{FS: after})
	assert.Equal(t, want, drain(t, st), "every entry the Sync covered")
	assert.Zero(t, st.Stats().CorruptBytes)
}

func TestPositionFileSurvivesAPowerCutAfterOpen(t *testing.T) {
	d := NewSimDisk()
	openStore(t, Config{FS: d})
	after := d.PowerCut(keepNothing)
	_, err := after.Size(positionName)
	assert.NoError(t, err, "Open fsyncs the directory after it creates the position file")
}

// Rolled segments are fsynced as the next begins, not only at Sync.
func TestRolloverFsyncsTheFullSegment(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 128})
	mustAppend(t, st, strings.Repeat("a", 100))
	require.NoError(t, st.Sync()) // the directory entry of the first segment
	mustAppend(t, st, strings.Repeat("b", 100))
	mustAppend(t, st, strings.Repeat("c", 100)) // rolls over: "b" must be durable now
	after := d.PowerCut(func(n int) int {
		return 0 // no unsynced write, no unsynced directory entry
	})
	st = openStore(t, Config{FS: after})
	got := drain(t, st)
	require.NotEmpty(t, got)
	assert.Equal(t, strings.Repeat("a", 100), got[0])
}

// The old spill restarted segment numbers at 2^32 whenever it emptied,
// while recovery deleted every segment below the stored position.
func TestSegmentIDsNeverRepeat(t *testing.T) {
	d := NewSimDisk()
	created := map[string]bool{}
	watch := func(d *SimDisk) {
		d.SetFault(func(op, name string) error {
			if _, ok := parseSegmentName(name); ok && op == "create" {
				assert.False(t, created[name], "segment %s created twice", name)
				created[name] = true
			}
			return nil
		})
	}
	watch(d)
	for round := range 5 {
		st, err := Open(Config{FS: d})
		require.NoError(t, err)
		mustAppend(t, st, fmt.Sprintf("round %d", round))
		require.NoError(t, st.Sync())
		assert.Equal(t, []string{fmt.Sprintf("round %d", round)}, drain(t, st))
		assert.Empty(t, segmentNames(t, d), "an empty store keeps no segment")
		mustAppend(t, st, fmt.Sprintf("round %d, after it emptied", round))
		require.NoError(t, st.Sync())
		// A power cut right after: the position says everything before
		// was delivered, and must not take the new segment with it.
		d = d.PowerCut(keepNothing)
		watch(d)
		st, err = Open(Config{FS: d})
		require.NoError(t, err)
		assert.Equal(t, []string{fmt.Sprintf("round %d, after it emptied", round)}, drain(t, st),
			"the synced segment begun after the store emptied survives recovery")
		require.NoError(t, st.Close())
	}
	assert.Len(t, created, 10)
}

// The old spill reported an unreadable segment on every read and never
// went past it: delivery wedged.
func TestUnreadableSegmentIsSkippedAndCounted(t *testing.T) {
	for _, op := range []string{"open", "read"} {
		t.Run(op+" fails", func(t *testing.T) {
			d := NewSimDisk()
			st := openStore(t, Config{FS: d, SegmentBytes: 64})
			mustAppend(t, st, "first segment, long enough to fill it")
			mustAppend(t, st, "second segment, unreadable")
			mustAppend(t, st, "third segment")
			segs := segmentNames(t, d)
			require.Len(t, segs, 3)
			require.NoError(t, st.Close())

			var r reports
			d.SetFault(func(o, name string) error {
				if o == op && name == segs[1] {
					return syscall.EIO
				}
				return nil
			})
			st = openStore(t, Config{FS: d, Report: r.report})
			assert.Equal(t, []string{"first segment, long enough to fill it", "third segment"}, drain(t, st),
				"delivery goes past it")
			s := st.Stats()
			assert.EqualValues(t, len("second segment, unreadable")+recordHead, s.CorruptBytes, "its records counted")
			assert.EqualValues(t, 1, s.CorruptSegments)
			require.Len(t, r.errs, 1, "reported once")
			assert.ErrorIs(t, r.errs[0], syscall.EIO)
			_, err := d.Size(segs[1] + ".bad")
			assert.NoError(t, err, "kept aside as .bad, out of the spill")
		})
	}
}

func TestCorruptRecordSkipsTheRestOfItsSegment(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 1 << 20})
	mustAppend(t, st, "one", "two", "three")
	require.NoError(t, st.Close())
	seg := segmentNames(t, d)[0]
	data, err := d.ReadFile(seg)
	require.NoError(t, err)
	i := bytes.Index(data, []byte("two"))
	f, err := d.Open(seg)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("TWO"), int64(i))
	require.NoError(t, err)

	var r reports
	st = openStore(t, Config{FS: d, Report: r.report})
	mustAppend(t, st, "after the restart")
	assert.Equal(t, []string{"one", "after the restart"}, drain(t, st))
	assert.EqualValues(t, 2*recordHead+len("two")+len("three"), st.Stats().CorruptBytes)
	require.Len(t, r.errs, 1)
	assert.Contains(t, r.errs[0].Error(), "checksum")
}

// The old spill deleted a segment as soon as it had read to its end, before
// the destination took the batch: a permanent failure then lost it.
func TestReadKeepsASegmentUntilItsBatchIsAcked(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 64})
	mustAppend(t, st, "the first segment's only entry")
	mustAppend(t, st, "the second segment's entry")
	require.Len(t, segmentNames(t, d), 2)

	p, ends, err := st.Read(nil, nil, 1<<20)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("the first segment's only entry")}, entries(p, ends))
	_, _, err = st.Read(nil, nil, 1<<20)
	assert.ErrorIs(t, err, ErrReadPending, "one batch at a time")
	assert.Len(t, segmentNames(t, d), 2, "the segment read to its end stays until acked")

	require.NoError(t, st.Close())
	st = openStore(t, Config{FS: d})
	assert.Equal(t, []string{"the first segment's only entry", "the second segment's entry"}, drain(t, st),
		"a batch read and not acked is read again by the next store")
	assert.Empty(t, segmentNames(t, d), "acked segments are removed")
}

func TestRewindReadsTheBatchAgain(t *testing.T) {
	st := openStore(t, Config{FS: NewSimDisk()})
	mustAppend(t, st, "a", "b")
	p, ends, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("a")}, entries(p, ends), "at most maxBytes, at least one entry")
	st.Rewind()
	assert.Equal(t, []string{"a", "b"}, drain(t, st))
}

// An acknowledged batch is not delivered again after a power cut; the one
// read and not acknowledged is: the duplicate bound.
func TestDuplicatesAfterAPowerCutAreTheBatchNotAcked(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "delivered", "in flight", "waiting")
	require.NoError(t, st.Sync())
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	require.NoError(t, st.Ack())
	_, _, err = st.Read(nil, nil, 1)
	require.NoError(t, err)

	st = openStore(t, Config{FS: d.PowerCut(keepNothing)})
	assert.Equal(t, []string{"in flight", "waiting"}, drain(t, st))
}

// A power cut while the position is written tears only its slot: the other
// still holds the position before, so the batch being acked comes again,
// and nothing else.
func TestTornPositionSlotFallsBackToThePositionBefore(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "one", "two", "three")
	require.NoError(t, st.Sync())
	for range 2 {
		_, _, err := st.Read(nil, nil, 1)
		require.NoError(t, err)
		require.NoError(t, st.Ack())
	}
	// Tear the slot the last Ack wrote.
	p, err := d.ReadFile(positionName)
	require.NoError(t, err)
	newest, ok := newestPosition(p)
	require.True(t, ok)
	f, err := d.Open(positionName)
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 20), int64(newest.gen%2)*positionSlot+30)
	require.NoError(t, err)
	require.NoError(t, f.Sync())

	st = openStore(t, Config{FS: d.PowerCut(keepNothing)})
	assert.Equal(t, []string{"two", "three"}, drain(t, st))
}

func TestPrependGoesFirstAndIsDurable(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 64})
	mustAppend(t, st, "appended 1")
	mustAppend(t, st, "appended 2")
	require.NoError(t, st.Sync())
	p, ends := joined("older 1", "older 2")
	require.NoError(t, st.Prepend(p, ends))

	st = openStore(t, Config{FS: d.PowerCut(keepNothing)})
	assert.Equal(t, []string{"older 1", "older 2", "appended 1", "appended 2"}, drain(t, st))
}

func TestPrependRefused(t *testing.T) {
	st := openStore(t, Config{FS: NewSimDisk()})
	mustAppend(t, st, "a", "b")
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	p, ends := joined("older")
	assert.ErrorIs(t, st.Prepend(p, ends), ErrReadPending, "while a batch is read")
	require.NoError(t, st.Ack())
	assert.ErrorIs(t, st.Prepend(p, ends), ErrNotAtHead, "once the oldest segment is partly delivered")
	assert.Equal(t, []string{"b"}, drain(t, st))
	require.NoError(t, st.Prepend(p, ends), "an empty store takes it")
	assert.Equal(t, []string{"older"}, drain(t, st))
}

func TestFullRefusesAndCounts(t *testing.T) {
	st := openStore(t, Config{FS: NewSimDisk(), MaxBytes: 3 * (recordHead + 10)})
	for range 3 {
		mustAppend(t, st, "0123456789")
	}
	p, ends := joined("0123456789")
	assert.ErrorIs(t, st.Append(p, ends), ErrFull)
	s := st.Stats()
	assert.EqualValues(t, 1, s.FullEntries)
	assert.EqualValues(t, 10, s.FullBytes)
	assert.EqualValues(t, 3, s.AppendedEntries)
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	require.NoError(t, st.Ack())
	assert.NoError(t, st.Append(p, ends), "room again once a batch is delivered")
}

func TestStatsAddUp(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 100})
	for _, e := range numbered(30) {
		mustAppend(t, st, e)
	}
	got := drain(t, st)
	s := st.Stats()
	assert.Len(t, got, 30)
	assert.EqualValues(t, 30, s.AppendedEntries)
	assert.EqualValues(t, 30, s.AckedEntries)
	assert.Equal(t, s.AppendedBytes, s.AckedBytes)
	assert.Zero(t, s.Size)
	mustAppend(t, st, "left")
	require.NoError(t, st.Close())
	st = openStore(t, Config{FS: d})
	assert.EqualValues(t, recordHead+4, st.Stats().RecoveredBytes, "what the last store left")
}

func TestLockedDirectoryIsInUse(t *testing.T) {
	d := NewSimDisk()
	st, err := Open(Config{FS: d})
	require.NoError(t, err)
	_, err = Open(Config{FS: d})
	assert.ErrorIs(t, err, ErrInUse)
	require.NoError(t, st.Close())
	st, err = Open(Config{FS: d})
	require.NoError(t, err, "free again after Close")
	require.NoError(t, st.Close())
	assert.NoError(t, st.Close(), "Close twice")
	assert.ErrorIs(t, st.Append([]byte("x"), []int{1}), ErrClosed)
}

func TestOnARealDirectory(t *testing.T) {
	dir := t.TempDir()
	fsys, err := Dir(dir)
	require.NoError(t, err)
	st := openStore(t, Config{FS: fsys, SegmentBytes: 128})
	want := numbered(20)
	for _, e := range want {
		mustAppend(t, st, e)
	}
	require.NoError(t, st.Sync())
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		_, err = Open(Config{FS: fsys})
		assert.ErrorIs(t, err, ErrInUse, "flock refuses a second store, in the same process too")
	}
	require.NoError(t, st.Close())

	st = openStore(t, Config{FS: fsys})
	assert.Equal(t, want, drain(t, st))
	require.NoError(t, st.Close())
	names, err := fsys.ReadDir()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{lockName, positionName}, names, "a drained spill leaves no segment")

	_, err = Dir(dir + "/missing")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestOlderFormatIsReportedAndLeftInPlace(t *testing.T) {
	d := NewSimDisk()
	for _, name := range []string{"00000000004294967296.seg", "position"} {
		f, err := d.Create(name)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	var r reports
	st := openStore(t, Config{FS: d, Report: r.report})
	require.Len(t, r.errs, 1)
	assert.Contains(t, r.errs[0].Error(), "older spill format")
	assert.True(t, st.Empty())
	_, err := d.Size("position")
	assert.NoError(t, err, "left in place")
}

// Append and Read run on two goroutines in a stream: the spiller and the
// flusher.
func TestConcurrentAppendAndRead(t *testing.T) {
	st := openStore(t, Config{FS: NewSimDisk(), SegmentBytes: 512})
	want := numbered(500)
	done := make(chan error, 1)
	go func() {
		for _, e := range want {
			p, ends := joined(e)
			if err := st.Append(p, ends); err != nil {
				done <- err
				return
			}
		}
		done <- st.Sync()
	}()
	var got []string
	for len(got) < len(want) {
		p, ends, err := st.Read(nil, nil, 300)
		require.NoError(t, err)
		for _, e := range entries(p, ends) {
			got = append(got, string(e))
		}
		if len(ends) > 0 {
			require.NoError(t, st.Ack())
		} else {
			runtime.Gosched()
		}
	}
	require.NoError(t, <-done)
	assert.Equal(t, want, got)
}

func TestWriteErrorStoresNothing(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "before")
	d.SetFault(func(op, name string) error {
		if op == "write" && strings.HasSuffix(name, segmentExt) {
			return syscall.ENOSPC
		}
		return nil
	})
	p, ends := joined("refused")
	assert.ErrorIs(t, st.Append(p, ends), syscall.ENOSPC)
	d.SetFault(nil)
	mustAppend(t, st, "after")
	assert.Equal(t, []string{"before", "after"}, drain(t, st))
	assert.Zero(t, st.Stats().CorruptBytes)
	assert.False(t, errors.Is(st.Sync(), syscall.ENOSPC))
}

// A corrupt tail in the segment being appended to leaves it delivered to
// its end: the store is empty, and Prepend must still take a batch.
func TestPrependAfterASkippedTailInTheNewestSegment(t *testing.T) {
	d := NewSimDisk()
	var r reports
	st := openStore(t, Config{FS: d, Report: r.report})
	mustAppend(t, st, "good")
	mustAppend(t, st, "bad")
	seg := segmentNames(t, d)[0]
	data, err := d.ReadFile(seg)
	require.NoError(t, err)
	f, err := d.Open(seg)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("BAD"), int64(bytes.LastIndex(data, []byte("bad"))))
	require.NoError(t, err)
	assert.Equal(t, []string{"good"}, drain(t, st))
	require.Len(t, r.errs, 1, "the corrupt record is reported")
	require.True(t, st.Empty())

	p, ends := joined("held")
	require.NoError(t, st.Prepend(p, ends))
	mustAppend(t, st, "later")
	assert.Equal(t, []string{"held", "later"}, drain(t, st))
}

func TestLostPositionIsReportedAndEverythingDelivered(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "delivered", "not yet")
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	require.NoError(t, st.Ack())
	require.NoError(t, st.Close())
	require.NoError(t, d.Remove(positionName))

	var r reports
	st = openStore(t, Config{FS: d, Report: r.report})
	assert.Equal(t, []string{"delivered", "not yet"}, drain(t, st), "nothing lost; the delivered entry comes again")
	require.Len(t, r.errs, 1, "and that is reported")
	assert.Contains(t, r.errs[0].Error(), "no readable position")
}

// A write that fails and cannot be cut off ends its segment; what was
// appended to it before is still fsynced, when the next Append rolls over
// or by Sync.
func TestFailedWriteAndTruncateEndTheSegment(t *testing.T) {
	d := NewSimDisk()
	var r reports
	st := openStore(t, Config{FS: d, Report: r.report})
	mustAppend(t, st, "before")
	require.NoError(t, st.Sync()) // the segment's name is durable
	mustAppend(t, st, "appended, not synced")
	d.SetFault(func(op, name string) error {
		if (op == "write" || op == "truncate") && strings.HasSuffix(name, segmentExt) {
			return syscall.EIO
		}
		return nil
	})
	p, ends := joined("refused")
	require.ErrorIs(t, st.Append(p, ends), syscall.EIO)
	d.SetFault(nil)
	mustAppend(t, st, "after")
	require.NoError(t, st.Sync())

	st = openStore(t, Config{FS: d.PowerCut(keepNothing), Report: r.report})
	assert.Equal(t, []string{"before", "appended, not synced", "after"}, drain(t, st))
	assert.Empty(t, r.errs)
}

// After a failed fsync, Linux may drop the dirty pages and report success
// to the next fsync: the store does not trust it, and Sync fails while the
// segment holds entries.
func TestFailedFsyncFailsEverySyncUntilDelivered(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "a")
	d.SetFault(func(op, name string) error {
		if op == "sync" && strings.HasSuffix(name, segmentExt) {
			return syscall.EIO
		}
		return nil
	})
	assert.ErrorIs(t, st.Sync(), syscall.EIO)
	d.SetFault(nil)
	assert.ErrorIs(t, st.Sync(), syscall.EIO, "still: its data may be gone")
	mustAppend(t, st, "b") // a new segment
	assert.ErrorIs(t, st.Sync(), syscall.EIO)
	assert.Len(t, segmentNames(t, d), 2, "the segment ended at the failure")
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	require.NoError(t, st.Ack())
	assert.NoError(t, st.Sync(), "delivered: nothing unsure is left")
	assert.Equal(t, []string{"b"}, drain(t, st))
}

// An Ack whose position cannot be written changes nothing: the batch is
// still the one read.
func TestFailedAckChangesNothing(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d})
	mustAppend(t, st, "a", "b")
	_, _, err := st.Read(nil, nil, 1)
	require.NoError(t, err)
	d.SetFault(func(op, name string) error {
		if name == positionName && op == "write" {
			return syscall.EIO
		}
		return nil
	})
	require.ErrorIs(t, st.Ack(), syscall.EIO)
	assert.Zero(t, st.Stats().AckedEntries)
	_, _, err = st.Read(nil, nil, 1)
	assert.ErrorIs(t, err, ErrReadPending, "the batch is still read")
	d.SetFault(nil)
	require.NoError(t, st.Ack(), "and can be acked again")
	assert.Equal(t, []string{"b"}, drain(t, st))
}

// A delivered segment whose removal failed must be gone before a Prepend
// lowers the oldest order below it, or the position would keep it and
// deliver it again.
func TestPrependRemovesDeliveredLeftoversFirst(t *testing.T) {
	d := NewSimDisk()
	var r reports
	st := openStore(t, Config{FS: d, SegmentBytes: 64, Report: r.report})
	mustAppend(t, st, "delivered, its file stays: a removal fails")
	mustAppend(t, st, "waiting")
	require.NoError(t, st.Sync())
	failRemove := func(op, name string) error {
		if op == "remove" {
			return syscall.EIO
		}
		return nil
	}
	d.SetFault(failRemove)
	_, _, err := st.Read(nil, nil, 1<<20)
	require.NoError(t, err)
	require.NoError(t, st.Ack(), "delivered: the failed removal is reported, not returned")
	require.Len(t, r.errs, 1)

	p, ends := joined("older")
	assert.ErrorIs(t, st.Prepend(p, ends), syscall.EIO, "not while the delivered file stays")
	d.SetFault(nil)
	require.NoError(t, st.Prepend(p, ends))

	st = openStore(t, Config{FS: d.PowerCut(keepNothing)})
	assert.Equal(t, []string{"older", "waiting"}, drain(t, st))
}

// A segment Open cannot even stat is set aside at Open, counted and
// reported, so that an empty-looking store never hides it.
func TestSegmentWithoutASizeIsSetAsideAtOpen(t *testing.T) {
	d := NewSimDisk()
	st := openStore(t, Config{FS: d, SegmentBytes: 64})
	mustAppend(t, st, "first segment, long enough to fill it")
	mustAppend(t, st, "second segment, no size")
	require.NoError(t, st.Close())
	segs := segmentNames(t, d)
	require.Len(t, segs, 2)

	var r reports
	d.SetFault(func(op, name string) error {
		if op == "size" && name == segs[1] {
			return syscall.EIO
		}
		return nil
	})
	st = openStore(t, Config{FS: d, Report: r.report})
	require.Len(t, r.errs, 1, "reported at Open")
	assert.ErrorIs(t, r.errs[0], syscall.EIO)
	assert.EqualValues(t, 1, st.Stats().CorruptSegments)
	assert.Equal(t, []string{"first segment, long enough to fill it"}, drain(t, st))
	_, err := d.ReadFile(segs[1] + ".bad")
	assert.NoError(t, err, "kept aside as .bad")
}
