package netsink_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/netsink"
)

// Issue 23, point 1: a Sync while the collector is stopped must cover the
// batch the flusher is stuck writing to it, not only the ring. The sender
// process writes, the collector is stopped (SIGSTOP), the sender calls
// Sync once its flusher is stuck in a write and is killed (SIGKILL) as
// soon as Sync returns; a second sender on the same spill delivers what
// is there, the collector goes on (SIGCONT), and every entry the Sync
// covered (every entry whose Write returned before Sync was called) must
// arrive. A Sync that returns an error promised nothing: that run counts
// as refused. Duplicates (a batch written in part before the kill and
// again from the spill) are counted, at most a batch.

// syncStoppedRuns is how many times each collector goes through it, and
// syncStoppedOutage how long the collector stays stopped each time, as in
// the report.
const (
	syncStoppedRuns   = 10
	syncStoppedOutage = 10 * time.Second
)

func TestSpillSyncStoppedRsyslog(t *testing.T) {
	rsyslogdPath(t) // skip (or fail under CI) before the runs, not in each
	testSpillSyncStopped(t, func(t *testing.T) pausable { return startRsyslogd(t, false) })
}

func TestSpillSyncStoppedSyslogNG(t *testing.T) {
	syslogNGPath(t)
	testSpillSyncStopped(t, func(t *testing.T) pausable { return startSyslogNG(t) })
}

// syncStoppedResult is what one run saw.
type syncStoppedResult struct {
	syncNil   bool // Sync returned nil
	stuck     bool // the flusher was stuck in a write when Sync was called
	delivered bool // every entry the Sync covered arrived
}

func testSpillSyncStopped(t *testing.T, start func(*testing.T) pausable) {
	results := make([]syncStoppedResult, syncStoppedRuns)
	for i := range syncStoppedRuns {
		t.Run(fmt.Sprintf("run %d", i+1), func(t *testing.T) {
			runSpillSyncStopped(t, start(t), fmt.Sprintf("sync-%d", i+1), &results[i])
		})
	}
	var nils, stuck, delivered int
	for _, r := range results {
		if r.syncNil {
			nils++
			if r.delivered {
				delivered++
			}
		}
		if r.stuck {
			stuck++
		}
	}
	t.Logf("%d runs: Sync returned nil in %d (the flusher stuck in a write at the Sync in %d of all runs); every entry a nil Sync covered arrived in %d of %d",
		syncStoppedRuns, nils, stuck, delivered, nils)
	// A test that every run's Sync refuses proves nothing: with writes
	// timing out well within the close timeout, the batch in flight lands
	// in the spill in time, and Sync has no reason to refuse.
	assert.Equal(t, syncStoppedRuns, nils, "Sync returns nil: a write times out (%s) well within the close timeout (%s)",
		syncSenderWriteTimeout, syncSenderCloseTimeout)
	assert.Positive(t, stuck, "in some run the flusher was stuck in a write when Sync was called, the case of issue 23")
}

var syncReportRE = regexp.MustCompile(`^sync (nil|refused) (-?\d+) stuck=(true|false)`)

// runSpillSyncStopped is one run, entries tagged run; it fills in res as
// it learns, so that a run that fails still counts in the summary.
func runSpillSyncStopped(t *testing.T, col pausable, run string, res *syncStoppedResult) {
	dir := t.TempDir()
	sender := startSpillSender(t, senderSyncStopped, dir, col.addrFor(netsink.Octet), run)
	sender.expect(t, "ready ")
	col.pause()
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			col.resume() // a stopped collector would not die of the kill at the end
		}
	}()
	sender.send(t, "sync")
	report := sender.expect(t, "sync ")
	sender.kill(t)
	m := syncReportRE.FindStringSubmatch(report)
	require.NotNil(t, m, "the sender's report: %q", report)
	last, _ := strconv.Atoi(m[2])
	res.syncNil, res.stuck = m[1] == "nil", m[3] == "true"
	held := spillListing(dir)

	drain := startSpillSender(t, senderDrain, dir, col.addrFor(netsink.Octet))
	found := drain.expect(t, "found ")
	if rest := syncStoppedOutage - time.Since(paused); rest > 0 {
		time.Sleep(rest) // the rest of the outage, not synchronisation
	}
	col.resume()
	resumed = true
	drain.send(t, "close")
	drained := drain.expect(t, "drained ")
	assert.NoError(t, drain.wait(t), "the second sender delivered the spill and closed: %s", drained)
	t.Logf("%s\n\tspill after the kill: %s\n\t%s; %s", report, held, found, drained)

	if !res.syncNil {
		t.Logf("Sync refused: it covered nothing")
		return
	}
	// Wait for entries 0 to last, polling the collector's file (another
	// process writes it); on timeout, say which are missing.
	var got []int
	deadline := time.Now().Add(waitLimit)
	for {
		got = spillArrivals(t, col, run)[0]
		if uniqueUpTo(got) > last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entries a nil Sync covered (0 to %d) missing after %s: %s\n\tsender: %s\n\tspill after the kill: %s\n\tsecond sender: %s; %s",
				last, waitLimit, missingRanges(got, last), report, held, found, drained)
		}
		time.Sleep(100 * time.Millisecond) // polling another process's file
	}
	res.delivered = true
	seen := map[int]int{}
	for _, n := range got {
		seen[n]++
	}
	dups := len(got) - len(seen)
	t.Logf("0 to %d covered by Sync: all arrived; %d entries arrived in all, %d of them twice", last, len(got), dups)
	assert.LessOrEqual(t, dups, syncSenderBatch/len(spillEntry(run, 0, 0)), "duplicates: at most a batch")
}

// spillListing describes the files in a spill directory: name and size.
func spillListing(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			parts = append(parts, e.Name()+" "+err.Error())
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %dB", e.Name(), fi.Size()))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// missingRanges lists the numbers 0 to last absent from got, as ranges.
func missingRanges(got []int, last int) string {
	seen := map[int]bool{}
	for _, n := range got {
		seen[n] = true
	}
	var missing []int
	for n := 0; n <= last; n++ {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	sort.Ints(missing)
	var parts []string
	for i := 0; i < len(missing); {
		j := i
		for j+1 < len(missing) && missing[j+1] == missing[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(missing[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", missing[i], missing[j]))
		}
		i = j + 1
	}
	return fmt.Sprintf("%d missing: %s", len(missing), strings.Join(parts, " "))
}
