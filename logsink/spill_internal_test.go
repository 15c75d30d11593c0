package logsink

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entriesOf returns p cut at ends.
func entriesOf(p []byte, ends []int) []string {
	var out []string
	start := 0
	for _, e := range ends {
		out = append(out, string(p[start:e]))
		start = e
	}
	return out
}

// joined returns entries as one region and its ends.
func joined(entries ...string) ([]byte, []int) {
	var p []byte
	var ends []int
	for _, e := range entries {
		p = append(p, e...)
		ends = append(ends, len(p))
	}
	return p, ends
}

func mustOpenSpill(t *testing.T, dir string, max int64) (*spill, *counters) {
	t.Helper()
	var c counters
	sp, err := openSpill(dir, max, &c)
	require.NoError(t, err, "openSpill")
	return sp, &c
}

// readAll reads and commits every batch left in sp.
func readAll(t *testing.T, sp *spill) []string {
	t.Helper()
	var out []string
	for !sp.empty() {
		p, ends, err := sp.read(nil, nil, 1<<20)
		require.NoError(t, err, "read")
		require.NotEmpty(t, ends, "a non-empty spill reads entries")
		out = append(out, entriesOf(p, ends)...)
		sp.commit(len(ends), len(p))
	}
	return out
}

func TestSpillFIFOAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	sp, c := mustOpenSpill(t, dir, 8*spillMinSegment) // segments of spillMinSegment
	var want []string
	most := 0 // segments at once
	for i := range 3000 {
		e := fmt.Sprintf("entry %05d %s\n", i, bytes.Repeat([]byte("x"), i%200))
		p, ends := joined(e)
		_, err := sp.append(p, ends, nil)
		require.NoError(t, err)
		want = append(want, e)
		most = max(most, len(sp.segs))
		if i%7 == 0 { // read while writing, as the flusher does, slower
			p, ends, err := sp.read(nil, nil, 256)
			require.NoError(t, err)
			got := entriesOf(p, ends)
			require.Equal(t, want[:len(got)], got, "FIFO")
			want = want[len(got):]
			sp.commit(len(ends), len(p))
		}
	}
	assert.Greater(t, most, 1, "the spill rolled over to new segments")
	assert.Equal(t, want, readAll(t, sp))
	st := c.snapshot()
	assert.Equal(t, uint64(3000), st.SpilledEntries)
	assert.Equal(t, uint64(3000), st.ReplayedEntries)
	assert.Zero(t, st.SpillBytes, "nothing left")
	require.NoError(t, sp.close())
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+spillSegmentExt))
	assert.Empty(t, segs, "delivered segments are removed")
}

func TestSpillResumesWhereDeliveryStopped(t *testing.T) {
	dir := t.TempDir()
	sp, _ := mustOpenSpill(t, dir, 1<<20)
	for i := range 10 {
		p, ends := joined(fmt.Sprintf("e%d\n", i))
		_, err := sp.append(p, ends, nil)
		require.NoError(t, err)
	}
	p, ends, err := sp.read(nil, nil, 9) // e0, e1, e2
	require.NoError(t, err)
	require.Equal(t, []string{"e0\n", "e1\n", "e2\n"}, entriesOf(p, ends))
	sp.commit(len(ends), len(p))
	_, _, err = sp.read(nil, nil, 6) // e3, e4: read, in flight, not committed
	require.NoError(t, err)
	require.NoError(t, sp.close())

	again, c := mustOpenSpill(t, dir, 1<<20)
	assert.Equal(t, uint64(7*(spillRecordHead+3)), c.snapshot().SpillBytes, "what is left is on disk")
	assert.Equal(t, []string{"e3\n", "e4\n", "e5\n", "e6\n", "e7\n", "e8\n", "e9\n"}, readAll(t, again),
		"delivery resumes after the last committed batch: the batch in flight again, nothing before it")
	require.NoError(t, again.close())
}

func TestSpillTornTailSkippedAndCounted(t *testing.T) {
	for _, damage := range []string{"cut short", "bad checksum"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			sp, _ := mustOpenSpill(t, dir, 1<<20)
			for _, e := range []string{"one\n", "two\n", "three\n"} {
				p, ends := joined(e)
				_, err := sp.append(p, ends, nil)
				require.NoError(t, err)
			}
			require.NoError(t, sp.close())
			segs, _ := filepath.Glob(filepath.Join(dir, "*"+spillSegmentExt))
			require.Len(t, segs, 1)
			raw, err := os.ReadFile(segs[0])
			require.NoError(t, err)
			if damage == "cut short" {
				raw = raw[:len(raw)-3] // a crash while "three" was written
			} else {
				raw[len(raw)-2] ^= 0xff
			}
			require.NoError(t, os.WriteFile(segs[0], raw, 0o600))

			again, c := mustOpenSpill(t, dir, 1<<20)
			p, ends, err := again.read(nil, nil, 1<<20)
			require.NoError(t, err, "the good records come first")
			assert.Equal(t, []string{"one\n", "two\n"}, entriesOf(p, ends))
			again.commit(len(ends), len(p))
			_, ends, err = again.read(nil, nil, 1<<20)
			require.Error(t, err, "the damaged record is reported")
			assert.Contains(t, err.Error(), "skipped")
			assert.Empty(t, ends, "never sent as garbage")
			assert.Positive(t, c.snapshot().SpillCorrupt, "counted")
			assert.True(t, again.empty(), "the rest of the segment is skipped")
			require.NoError(t, again.close())
		})
	}
}

func TestSpillFull(t *testing.T) {
	sp, _ := mustOpenSpill(t, t.TempDir(), 100)
	p, ends := joined("0123456789012345678901234567890123456789\n") // 41 + 8
	_, err := sp.append(p, ends, nil)
	require.NoError(t, err)
	_, err = sp.append(p, ends, nil)
	require.NoError(t, err)
	_, err = sp.append(p, ends, nil)
	assert.ErrorIs(t, err, errSpillFull, "past its maximum the spill refuses")
	require.NoError(t, sp.close())
}

func TestSpillLockedByOneStream(t *testing.T) {
	dir := t.TempDir()
	sp, _ := mustOpenSpill(t, dir, 1<<20)
	_, err := openSpill(dir, 1<<20, &counters{})
	assert.ErrorIs(t, err, ErrSpillInUse)
	assert.Contains(t, err.Error(), dir, "the error names the directory")
	require.NoError(t, sp.close())
	again, _ := mustOpenSpill(t, dir, 1<<20)
	require.NoError(t, again.close())
}

func TestSpillBadDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := openSpill(missing, 1<<20, &counters{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)
	assert.True(t, errors.Is(err, os.ErrNotExist))

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = openSpill(file, 1<<20, &counters{})
	assert.ErrorContains(t, err, "not a directory")
}

func TestSpillPrependGoesFirst(t *testing.T) {
	dir := t.TempDir()
	sp, _ := mustOpenSpill(t, dir, 1<<20)
	p, ends := joined("later\n")
	_, err := sp.append(p, ends, nil)
	require.NoError(t, err)
	p, ends = joined("held-1\n", "held-2\n")
	require.NoError(t, sp.prepend(p, ends))
	require.NoError(t, sp.close())
	again, _ := mustOpenSpill(t, dir, 1<<20)
	assert.Equal(t, []string{"held-1\n", "held-2\n", "later\n"}, readAll(t, again))
	require.NoError(t, again.close())
}
