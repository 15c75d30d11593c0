package logsink

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBacklogRing adds entries of the sizes the input gives (a zero byte
// takes the backlog instead) to a small backlog, and checks after every
// call that it holds the newest entries, in order, whole, within its
// bound, and that every entry added is held, taken or counted as
// discarded, bytes included.
func FuzzBacklogRing(f *testing.F) {
	f.Add([]byte{10, 20, 30, 250, 1, 0, 5, 5, 5, 200, 0})
	f.Add(bytes.Repeat([]byte{37}, 100))
	f.Add([]byte{255, 255, 255, 0, 3, 255, 7, 0})
	f.Fuzz(func(t *testing.T, program []byte) {
		const size = 700 // not a multiple of anything, so entries wrap
		b := newProcessBacklog(size)
		// added holds every entry that fits the backlog, in order: the
		// backlog holds a suffix of added[held:]. An entry too large for
		// it is only counted.
		var added [][]byte
		held := 0
		var total, totalBytes, taken, takenBytes, discarded, discardedBytes int
		for i, op := range program {
			if op == 0 {
				c := b.take()
				var got [][]byte
				require.NoError(t, c.each(func(p []byte) error {
					got = append(got, bytes.Clone(p))
					return nil
				}))
				checkSuffix(t, added[held:], got, "take %d", i)
				taken += len(got)
				for _, p := range got {
					takenBytes += len(p)
				}
				discarded += int(c.discarded)
				discardedBytes += int(c.discardedBytes)
				c.done()
				held = len(added)
				continue
			}
			p := bytes.Repeat([]byte{byte('a' + i%26)}, int(op)*3) // up to 765 bytes: some too large
			p = append(p, fmt.Sprint(i)...)
			b.add(p)
			total++
			totalBytes += len(p)
			if backlogHeader+len(p) <= size {
				added = append(added, p)
			}

			got := ringEntries(b)
			checkSuffix(t, added[held:], got, "after add %d", i)
			require.LessOrEqual(t, b.used, len(b.buf), "used within the ring")
			require.LessOrEqual(t, len(b.buf), size, "the ring within its bound")
			if backlogHeader+len(p) <= size {
				require.NotEmpty(t, got, "an entry that fits is held")
				require.Equal(t, p, got[len(got)-1], "the newest entry is held")
			}
		}
		c := b.take()
		require.NoError(t, c.each(func(p []byte) error {
			taken++
			takenBytes += len(p)
			return nil
		}))
		discarded += int(c.discarded)
		discardedBytes += int(c.discardedBytes)
		require.Equal(t, total, taken+discarded, "every entry taken or counted as discarded")
		require.Equal(t, totalBytes, takenBytes+discardedBytes, "and every byte")
	})
}

// ringEntries reads b's entries, oldest first, without taking them.
func ringEntries(b *backlog) [][]byte {
	var out [][]byte
	off := b.start
	for range b.n {
		l := b.entryLen(off)
		p := make([]byte, l)
		d := b.wrap(off + backlogHeader)
		n := copy(p, b.buf[d:])
		copy(p[n:], b.buf)
		out = append(out, p)
		off = b.wrap(off + backlogHeader + l)
	}
	return out
}

// checkSuffix checks that got is a suffix of all.
func checkSuffix(t *testing.T, all, got [][]byte, msg string, args ...any) {
	t.Helper()
	what := fmt.Sprintf(msg, args...)
	require.LessOrEqual(t, len(got), len(all), "%s: no more entries than added", what)
	for i, p := range got {
		require.Equal(t, all[len(all)-len(got)+i], p, "%s: the newest entries, in order", what)
	}
}

// When a request backlog cannot grow within the limit, the backlog that
// first reserved memory longest ago is emptied first, its entries counted,
// and a backlog never empties itself to grow.
func TestBacklogBudgetTakesBackOldestFirst(t *testing.T) {
	bg := newBacklogBudget(3 << 10)
	entry := bytes.Repeat([]byte("x"), 1000)
	var rings []*backlog
	for range 3 {
		r := newRequestBacklog(bg, 8<<10)
		r.add(entry) // 1 KiB each: the budget is full
		rings = append(rings, r)
	}
	require.Equal(t, 3<<10, bg.held, "three rings of 1 KiB")

	rings[0].add(entry) // grows: takes back the oldest other ring, rings[1]
	require.Equal(t, 2, rings[0].n, "the oldest grew")
	require.Zero(t, rings[1].n, "the next oldest was emptied")
	require.Equal(t, uint64(1), rings[1].discarded, "and its entry counted")
	require.Equal(t, 1, rings[2].n, "the newest kept its entry")
	require.LessOrEqual(t, bg.held, bg.limit, "within the limit")

	d := newRequestBacklog(bg, 8<<10)
	d.add(entry) // takes back rings[0] (the oldest with memory)
	require.Zero(t, rings[0].n, "the oldest was emptied")
	require.Equal(t, uint64(2), rings[0].discarded, "both its entries counted")
	require.Equal(t, 1, rings[2].n, "the newest kept its entry")
	require.Equal(t, 1, d.n, "the new ring holds its entry")
	require.LessOrEqual(t, bg.held, bg.limit, "within the limit")
}

// FuzzBacklogBudget runs request backlogs of one budget through adds,
// takes and replacements (a request ending without an error), and checks
// after every call that the budget counts exactly the rings' memory and
// never more than its limit.
func FuzzBacklogBudget(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 200, 201, 202, 203, 0x80, 5, 9, 0xC1, 250, 251})
	f.Add(bytes.Repeat([]byte{0x7D, 0x3E, 0x1F}, 60))
	f.Fuzz(func(t *testing.T, program []byte) {
		const limit, size = 3000, 1500
		bg := newBacklogBudget(limit)
		var rings [4]*backlog
		var all []*backlog // every ring ever made: none is collected here
		for i := range rings {
			rings[i] = newRequestBacklog(bg, size)
			all = append(all, rings[i])
		}
		for step, op := range program {
			r := int(op & 3)
			switch op >> 6 {
			case 0, 1: // add an entry of up to 504 bytes
				rings[r].add(bytes.Repeat([]byte{'x'}, int(op>>2)*8))
			case 2: // the request fails: its backlog is taken
				rings[r].take().done()
			case 3: // the request ends: a new one takes its place
				rings[r] = newRequestBacklog(bg, size)
				all = append(all, rings[r])
			}
			sum := 0
			for i, b := range all {
				sum += len(b.buf)
				switch {
				case len(b.buf) > size:
					t.Fatalf("step %d: ring %d holds %d bytes, past its size %d", step, i, len(b.buf), size)
				case len(b.buf) > 0 && (b.acct == nil || b.acct.bytes != len(b.buf)):
					t.Fatalf("step %d: ring %d holds %d bytes, its account says otherwise (%+v)", step, i, len(b.buf), b.acct)
				}
			}
			require.Equal(t, sum, bg.held, "step %d: the budget counts exactly the rings' memory", step)
			require.LessOrEqual(t, bg.held, limit, "step %d: within the limit", step)
		}
	})
}
