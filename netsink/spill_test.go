package netsink_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// These tests put a spill between the stream and a real collector
// (rsyslog, syslog-ng) and stop the collector (SIGSTOP: it stops reading,
// its connection stays up, as a collector stuck on a full disk or paused
// by its orchestrator does): the service's writers go on into the spill,
// and once the collector reads again every entry arrives, once, in each
// writer's order.

// pausable is a collector process a test can stop and let go on.
type pausable interface {
	liveCollector
	pause()  // SIGSTOP
	resume() // SIGCONT
}

func (r *rsyslogd) pause()  { r.proc.signal(syscall.SIGSTOP) }
func (r *rsyslogd) resume() { r.proc.signal(syscall.SIGCONT) }
func (n *syslogNG) pause()  { n.proc.signal(syscall.SIGSTOP) }
func (n *syslogNG) resume() { n.proc.signal(syscall.SIGCONT) }

// spillOutage is how long the collector stays stopped in the outage test.
const spillOutage = 20 * time.Second

func TestSpillOutageRsyslog(t *testing.T) {
	testSpillOutage(t, startRsyslogd(t, false))
}

func TestSpillOutageSyslogNG(t *testing.T) {
	testSpillOutage(t, startSyslogNG(t))
}

func TestSpillSenderKilledRsyslog(t *testing.T) {
	testSpillSenderKilled(t, startRsyslogd(t, false))
}

func TestSpillSenderKilledSyslogNG(t *testing.T) {
	testSpillSenderKilled(t, startSyslogNG(t))
}

// spillEntry is entry n of writer w of a run.
func spillEntry(run string, w, n int) []byte {
	return fmt.Appendf(nil, `{"level":"info","msg":"served","run":"%s","w":%d,"n":%d}`+"\n", run, w, n)
}

var spillEntryRE = regexp.MustCompile(`^\{"level":"info","msg":"served","run":"([^"]+)","w":(\d+),"n":(\d+)\}$`)

// spillArrivals returns, per writer, the entry numbers of a run that the
// collector received, in arrival order.
func spillArrivals(t *testing.T, col liveCollector, run string) map[int][]int {
	t.Helper()
	out := map[int][]int{}
	for _, msg := range col.messages(t) {
		m := spillEntryRE.FindStringSubmatch(msg)
		if m == nil || m[1] != run {
			continue
		}
		w, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		out[w] = append(out[w], n)
	}
	return out
}

func countArrivals(a map[int][]int) int {
	n := 0
	for _, ns := range a {
		n += len(ns)
	}
	return n
}

func openSpillStream(t *testing.T, col liveCollector, dir string) *logsink.Stream {
	t.Helper()
	s, err := netsink.Open(netsink.Config{
		Address: col.addrFor(netsink.Octet), Framing: netsink.Octet,
		WriteTimeout: 2 * spillOutage, // a stopped collector is slow, not gone
		Config: logsink.Config{
			BufferSize: 256 << 10, FlushInterval: 100 * time.Millisecond,
			CloseTimeout: 20 * time.Second,
			SpillDir:     dir, SpillMaxSize: 512 << 20,
		},
	})
	require.NoError(t, err, "Open")
	return s
}

// testSpillOutage: 8 writers log while the collector is stopped for
// spillOutage. Under Block they finish while it is still stopped (the
// spill takes what it cannot), and once it reads again every entry
// arrives exactly once, in each writer's order.
func testSpillOutage(t *testing.T, col pausable) {
	const writers, before, during = 8, 1000, 20_000 // during: one a millisecond for the outage
	run := "outage"
	s := openSpillStream(t, col, t.TempDir())

	write := func(from, to int, paced bool) {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for n := from; n < to; n++ {
					_, err := s.Write(spillEntry(run, w, n))
					assert.NoError(t, err, "Write")
					if paced && n%10 == 9 {
						time.Sleep(10 * time.Millisecond) // a service's steady pace, not synchronisation
					}
				}
			})
		}
		wg.Wait()
	}
	write(0, before, false)
	poll(t, "the entries before the outage", func() bool {
		return countArrivals(spillArrivals(t, col, run)) == writers*before
	}, col.logs)

	col.pause()
	stopped := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		write(before, before+during, true)
	}()
	select {
	case <-done:
	case <-time.After(2 * spillOutage):
		col.resume()
		t.Fatalf("the writers did not finish while the collector was stopped: they waited for it")
	}
	// The writers are done, the collector still stopped: nobody waited
	// for it.
	st := s.Stats()
	assert.Positive(t, st.SpilledEntries, "the spill took what the stopped collector could not")
	assert.Zero(t, st.Dropped, "nothing dropped")
	if rest := spillOutage - time.Since(stopped); rest > 0 {
		time.Sleep(rest) // the rest of the outage
	}
	t.Logf("collector stopped for %s; %d entries went through the spill (%d bytes on disk at most %d)",
		time.Since(stopped).Round(time.Second), st.SpilledEntries, st.SpillBytes, 512<<20)
	col.resume()

	total := writers * (before + during)
	poll(t, "every entry after the outage", func() bool {
		return countArrivals(spillArrivals(t, col, run)) >= total
	}, col.logs)
	require.NoError(t, s.Close(), "Close")
	got := spillArrivals(t, col, run)
	for w := range writers {
		require.Len(t, got[w], before+during, "writer %d: every entry exactly once", w)
		for i, n := range got[w] {
			require.Equal(t, i, n, "writer %d: in order, none lost, none doubled", w)
		}
	}
	st = s.Stats()
	assert.Equal(t, st.SpilledEntries, st.ReplayedEntries, "everything spilled was replayed")
	assert.Zero(t, st.SpillBytes, "the spill is empty")
	assert.Zero(t, st.LostBytes, "nothing lost")
}

// testSpillSenderKilled: the sending process is killed with SIGKILL while
// the collector is stopped, then started again on the same spill: every
// entry that reached the spill arrives, in order; duplicates (the batch in
// flight when it was killed) are counted.
func testSpillSenderKilled(t *testing.T, col pausable) {
	dir := t.TempDir()
	col.pause()
	sender := startSpillSender(t, senderKilled, dir, col.addrFor(netsink.Octet))
	synced, err := strconv.Atoi(strings.TrimPrefix(sender.expect(t, "synced "), "synced "))
	require.NoError(t, err, "the sender's report")
	require.Positive(t, synced, "the sender spilled and synced its entries")
	sender.kill(t)
	col.resume()
	// What the killed sender had handed to its socket reaches the collector
	// on the old connection; wait for it to be read, so that the spill's
	// replay on a new connection does not interleave with it.
	last, stableSince := -1, time.Now()
	poll(t, "the old connection read to its end", func() bool {
		if n := countArrivals(spillArrivals(t, col, "killed")); n != last {
			last, stableSince = n, time.Now()
		}
		return time.Since(stableSince) > time.Second
	}, col.logs)

	s := openSpillStream(t, col, dir)
	assert.Positive(t, s.Stats().SpillBytes, "the new stream finds what the killed one spilled")
	poll(t, "the spill delivered", func() bool { return s.Stats().SpillBytes == 0 }, col.logs)
	require.NoError(t, s.Close(), "Close")
	poll(t, "every synced entry", func() bool {
		return uniqueUpTo(spillArrivals(t, col, "killed")[0]) >= synced
	}, col.logs)
	arrivals := spillArrivals(t, col, "killed")[0]
	seen := map[int]bool{}
	dups, next := 0, 0
	for _, n := range arrivals {
		if seen[n] {
			dups++
			continue
		}
		seen[n] = true
		require.Equal(t, next, n, "first arrivals in order, none missing")
		next++
	}
	t.Logf("%d entries synced before the kill, %d arrived, %d twice", synced, next, dups)
	assert.GreaterOrEqual(t, next, synced, "every entry that reached the spill arrived")
	assert.LessOrEqual(t, dups, 64<<10/len(spillEntry("killed", 0, 0)), "duplicates: at most a batch in flight")
}

// uniqueUpTo returns how many entries 0, 1, 2, ... arrived without a gap.
func uniqueUpTo(ns []int) int {
	seen := map[int]bool{}
	for _, n := range ns {
		seen[n] = true
	}
	k := 0
	for seen[k] {
		k++
	}
	return k
}
