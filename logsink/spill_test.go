package logsink_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

var seqLine = regexp.MustCompile(`^w(\d+)-(\d{6})\n$`)

// checkDelivery checks that every entry of writers×perWriter is in
// delivered, in each writer's order, and returns how many arrived twice.
func checkDelivery(t *testing.T, delivered string, writers, perWriter int) (dups int) {
	t.Helper()
	next := make([]int, writers)
	for _, line := range strings.SplitAfter(delivered, "\n") {
		if line == "" {
			continue
		}
		m := seqLine.FindStringSubmatch(line)
		require.NotNil(t, m, "a whole entry: %q", line)
		w, _ := strconv.Atoi(m[1])
		seq, _ := strconv.Atoi(m[2])
		switch {
		case seq == next[w]:
			next[w]++
		case seq < next[w]:
			dups++ // sent again after a crash or a Close that gave up
		default:
			require.Failf(t, "out of order or missing", "writer %d: got entry %d, want %d", w, seq, next[w])
		}
	}
	for w, n := range next {
		assert.Equal(t, perWriter, n, "writer %d: every entry arrived", w)
	}
	return dups
}

// writeAll has writers write perWriter numbered entries each and returns
// the slowest Write.
func writeAll(t *testing.T, s *logsink.Stream, writers, perWriter int) time.Duration {
	t.Helper()
	var mu sync.Mutex
	var slowest time.Duration
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				start := time.Now()
				_, err := s.Write(entry(w, i))
				d := time.Since(start)
				assert.NoError(t, err)
				mu.Lock()
				slowest = max(slowest, d)
				mu.Unlock()
			}
		})
	}
	sinktest.Bounded(t, hangBound, "the writers", wg.Wait)
	return slowest
}

// An outage of the destination costs writers nothing and loses nothing:
// what the destination cannot take goes to the spill, and arrives, in
// order, once it heals.
func TestSpillAbsorbsAnOutage(t *testing.T) {
	dir := t.TempDir()
	w := sinktest.NewWriter()
	w.FailWrites(syscall.ECONNREFUSED, 0)
	s, err := logsink.Open(w, logsink.WithBufferSize(8<<10), logsink.WithSpill(dir, 64<<20))
	require.NoError(t, err)
	writeAll(t, s, 4, 5000)
	st := s.Stats()
	assert.Positive(t, st.SpilledEntries, "the spill took what the destination could not")
	assert.Zero(t, st.Dropped, "Block never had to wait for room: nothing dropped, nothing timed out")

	w.FailWrites(nil, 0)
	sinktest.Bounded(t, hangBound, "Close", func() { require.NoError(t, s.Close()) })
	checkDelivery(t, w.String(), 4, 5000)
	st = s.Stats()
	assert.Equal(t, st.SpilledEntries, st.ReplayedEntries, "everything spilled was replayed")
	assert.Zero(t, st.SpillBytes, "the spill is empty")
	assert.Zero(t, st.LostBytes)
}

// A destination whose Write never returns: writers go on into the spill,
// Close gives up within its timeout having saved what memory held, and the
// next stream on the directory delivers it all first.
func TestSpillSurvivesADestinationThatHangs(t *testing.T) {
	dir := t.TempDir()
	w := sinktest.NewWriter()
	w.Hold()
	s, err := logsink.Open(w, logsink.WithBufferSize(8<<10), logsink.WithSpill(dir, 64<<20),
		logsink.WithCloseTimeout(2*time.Second))
	require.NoError(t, err)
	writeAll(t, s, 4, 2000)
	var closeErr error
	sinktest.Bounded(t, hangBound, "Close", func() { closeErr = s.Close() })
	assert.ErrorIs(t, closeErr, os.ErrDeadlineExceeded, "Close gave up on the stuck Write")
	assert.Zero(t, s.Stats().LostBytes, "what memory held is in the spill, not lost")
	w.Release()
	sinktest.Receive(t, logsink.FlusherDone(s), hangBound, "the flusher exiting after the stuck Write returned")

	next := sinktest.NewWriter()
	again, err := logsink.Open(next, logsink.WithSpill(dir, 64<<20))
	require.NoError(t, err)
	_, err = again.Write([]byte("new entry\n"))
	require.NoError(t, err)
	sinktest.Bounded(t, hangBound, "Close", func() { require.NoError(t, again.Close()) })
	delivered := w.String() + next.String()
	require.True(t, strings.HasSuffix(next.String(), "new entry\n"), "the spill goes first, the new entry after it")
	dups := checkDelivery(t, strings.TrimSuffix(delivered, "new entry\n"), 4, 2000)
	assert.LessOrEqual(t, dups, 2000, "duplicates only of the batch in flight")
}

// Close with the destination still down keeps the rest in the spill and
// says so; it is not lost.
func TestSpillCloseLeavesTheRestForTheNextStream(t *testing.T) {
	dir := t.TempDir()
	w := sinktest.NewWriter()
	w.FailWrites(syscall.EIO, 0)
	s, err := logsink.Open(w, logsink.WithSpill(dir, 64<<20), logsink.WithCloseTimeout(2*time.Second))
	require.NoError(t, err)
	writeAll(t, s, 2, 1000)
	var closeErr error
	sinktest.Bounded(t, hangBound, "Close", func() { closeErr = s.Close() })
	assert.ErrorIs(t, closeErr, logsink.ErrLeftInSpill)
	assert.Contains(t, closeErr.Error(), dir, "the error names the directory")
	st := s.Stats()
	assert.Zero(t, st.LostBytes, "left in the spill is not lost")
	assert.Positive(t, st.SpillBytes, "on disk")

	next := sinktest.NewWriter()
	again, err := logsink.Open(next, logsink.WithSpill(dir, 64<<20))
	require.NoError(t, err)
	assert.Positive(t, again.Stats().SpillBytes, "the new stream sees what was left")
	sinktest.Bounded(t, hangBound, "Close", func() { require.NoError(t, again.Close()) })
	assert.Zero(t, checkDelivery(t, next.String(), 2, 1000), "no duplicates: nothing was in flight")
}

// Only a full spill brings the policy back.
func TestSpillFullAppliesThePolicy(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		w := sinktest.NewWriter()
		w.FailWrites(syscall.EIO, 0)
		s, err := logsink.Open(w, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(1024),
			logsink.WithSpill(t.TempDir(), 16<<10), logsink.WithCloseTimeout(2*time.Second))
		require.NoError(t, err)
		writeAll(t, s, 1, 5000)
		st := s.Stats()
		assert.Positive(t, st.Dropped, "past the spill's maximum, entries are dropped")
		assert.LessOrEqual(t, st.SpillBytes, uint64(16<<10), "the spill stays within its maximum")
		assert.Equal(t, uint64(5000), st.Entries+st.Dropped, "every entry counted")
		err = s.Close()
		assert.ErrorIs(t, err, logsink.ErrLeftInSpill, "Close: %v", err)
	})
	t.Run("block", func(t *testing.T) {
		w := sinktest.NewWriter()
		w.FailWrites(syscall.EIO, 0)
		s, err := logsink.Open(w, logsink.WithBufferSize(1024), logsink.WithBlockTimeout(5*time.Millisecond),
			logsink.WithSpill(t.TempDir(), 4<<10), logsink.WithCloseTimeout(2*time.Second))
		require.NoError(t, err)
		writeAll(t, s, 1, 600)
		assert.Positive(t, s.Stats().Dropped, "Block waited for room past the block timeout once the spill was full")
		assert.ErrorIs(t, s.Close(), logsink.ErrLeftInSpill)
	})
}

func TestSpillBadDirectoryAtOpen(t *testing.T) {
	missing := t.TempDir() + "/missing"
	_, err := logsink.Open(sinktest.NewWriter(), logsink.WithSpill(missing, 0))
	require.Error(t, err, "a missing directory is an error at open")
	assert.Contains(t, err.Error(), missing)

	dir := t.TempDir()
	first, err := logsink.Open(sinktest.NewWriter(), logsink.WithSpill(dir, 0))
	require.NoError(t, err)
	_, err = logsink.Open(sinktest.NewWriter(), logsink.WithSpill(dir, 0))
	assert.ErrorIs(t, err, logsink.ErrSpillInUse, "two streams on one directory")

	// New cannot return the error: it reports it and runs without a spill.
	reported := make(chan error, 1)
	w := sinktest.NewWriter()
	s := logsink.New(w, logsink.WithSpill(dir, 0), logsink.OnError(func(err error) { reported <- err }))
	select {
	case err := <-reported:
		assert.ErrorIs(t, err, logsink.ErrSpillInUse)
	case <-time.After(hangBound):
		t.Fatal("New did not report the spill it could not open")
	}
	_, err = s.Write([]byte("still works\n"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, "still works\n", w.String())
	require.NoError(t, first.Close())
}

// entryRecorder is an EntryWriter that records each entry it is given, and
// fails while told to.
type entryRecorder struct {
	mu      sync.Mutex
	entries []string
	fail    bool
}

func (r *entryRecorder) Write(p []byte) (int, error) { return r.WriteEntries(p, []int{len(p)}) }

func (r *entryRecorder) WriteEntries(p []byte, ends []int) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return 0, syscall.ECONNRESET
	}
	start := 0
	for _, e := range ends {
		r.entries = append(r.entries, string(p[start:e]))
		start = e
	}
	return len(p), nil
}

func (r *entryRecorder) setFail(f bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = f
}

// Entry boundaries survive the spill: an EntryWriter gets the very entries
// that were written, even multi-line ones.
func TestSpillKeepsEntryBoundaries(t *testing.T) {
	r := &entryRecorder{fail: true}
	s, err := logsink.Open(r, logsink.WithBufferSize(4096), logsink.WithSpill(t.TempDir(), 1<<20))
	require.NoError(t, err)
	var want []string
	for i := range 500 {
		e := fmt.Sprintf("entry %d\nwith a second line %s\n", i, strings.Repeat("z", i%40))
		want = append(want, e)
		_, err := s.Write([]byte(e))
		require.NoError(t, err)
	}
	require.Positive(t, s.Stats().SpilledEntries, "entries went through the spill")
	r.setFail(false)
	require.NoError(t, s.Close())
	assert.Equal(t, want, r.entries)
}

// Sync with a spill returns once everything is durable: in the destination,
// or in the spill, synced.
func TestSpillSyncDoesNotWaitForTheDestination(t *testing.T) {
	w := sinktest.NewWriter()
	w.FailWrites(syscall.EIO, 0)
	s, err := logsink.Open(w, logsink.WithSpill(t.TempDir(), 1<<20), logsink.WithCloseTimeout(2*time.Second))
	require.NoError(t, err)
	_, err = s.Write([]byte("durable\n"))
	require.NoError(t, err)
	sinktest.Bounded(t, hangBound, "Sync", func() { assert.NoError(t, s.Sync()) })
	assert.Equal(t, uint64(1), s.Stats().SpilledEntries, "Sync put the entry in the spill")
	assert.ErrorIs(t, s.Close(), logsink.ErrLeftInSpill)
}

// The process killed with SIGKILL while the destination is down: every
// entry that reached the spill arrives when a stream is opened on it again.
func TestSpillAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("SPILL_CHILD_DIR"); dir != "" {
		spillChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSpillAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "SPILL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	synced := -1
	sinktest.Bounded(t, hangBound, "the child's report", func() {
		for lines.Scan() {
			if n, ok := strings.CutPrefix(lines.Text(), "synced "); ok {
				synced, _ = strconv.Atoi(n)
				return
			}
		}
	})
	require.Positive(t, synced, "the child spilled and synced entries")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	w := sinktest.NewWriter()
	s, err := logsink.Open(w, logsink.WithSpill(dir, 64<<20))
	require.NoError(t, err)
	sinktest.Bounded(t, hangBound, "Close", func() { require.NoError(t, s.Close()) })
	// The child went on writing after the sync: what reached the spill
	// after it may arrive too, in order, after the synced entries.
	got := w.Lines()
	require.GreaterOrEqual(t, len(got), synced, "every synced entry arrives")
	for i, l := range got {
		require.Equal(t, string(entry(0, i)), l, "entry %d in order, once", i)
	}
}

// spillChild is the process TestSpillAfterSIGKILL kills: it writes into a
// spill while the destination is down, syncs, says how many entries, and
// goes on writing until it is killed.
func spillChild(dir string) {
	w := sinktest.NewWriter()
	w.FailWrites(syscall.ECONNREFUSED, 0)
	s, err := logsink.Open(w, logsink.WithBufferSize(4096), logsink.WithSpill(dir, 64<<20))
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	const n = 3000
	for i := range n {
		_, _ = s.Write(entry(0, i))
	}
	if err := s.Sync(); err != nil {
		fmt.Println("sync:", err)
		os.Exit(1)
	}
	fmt.Printf("synced %d\n", n)
	for i := n; ; i++ {
		_, _ = s.Write(entry(0, i))
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // keep writing, gently, until killed
		}
	}
}

var _ = errors.New
