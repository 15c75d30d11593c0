package netsink_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// liveCollector is a real collector process that a test can kill and
// start again on the same address.
type liveCollector interface {
	addrFor(netsink.Framing) string // where entries in this framing go, taken whole
	messages(t *testing.T) []string // every message received so far, in order
	kill()                          // SIGKILL, and wait for the exit
	restart()                       // start again on the same address
	logs() string                   // for failure reports
}

// rawEntry is entry n of a restart run, a JSON line written straight to
// the stream.
func rawEntry(run string, n int) []byte {
	return fmt.Appendf(nil, `{"level":"info","msg":"entry","run":"%s","n":%d,"pad":"%s"}`+"\n", run, n, strings.Repeat("r", 60))
}

// runNumbers returns the entry numbers of a run's messages (rawEntry
// form), failing the test on any message that is not a whole entry;
// messages marked "big" or "marker" are left out.
func runNumbers(t *testing.T, run string, msgs []string) []int {
	t.Helper()
	var out []int
	tag := `"run":"` + run + `"`
	for _, msg := range msgs {
		if !strings.Contains(msg, tag) || strings.Contains(msg, `"msg":"big"`) || strings.Contains(msg, `"msg":"marker"`) {
			continue
		}
		n := rsyslogRun{name: run}.numberOf(msg)
		require.Equal(t, strings.TrimSuffix(string(rawEntry(run, n)), "\n"), msg, "a whole entry")
		out = append(out, n)
	}
	return out
}

// testRestart kills the collector in the middle of a run, once it has
// read everything sent so far and the connection has confirmed it, keeps
// logging while it is down, and starts it again. Under Block the producer
// waits and nothing is lost; under Drop it never waits, and what arrived
// plus what was dropped is what was written. Nothing is counted as lost:
// the collector had read everything when it was killed.
func testRestart(t *testing.T, col liveCollector, framing netsink.Framing, policy logsink.Policy) {
	run := "restart-" + policy.String() + "-" + string(framing)
	const total, third, buffer = 6_000, 2_000, 32 << 10
	conn, err := netsink.NewConn(netsink.Config{Address: col.addrFor(framing), Framing: framing,
		ReconnectMin: 5 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.WithBufferSize(buffer), logsink.WithPolicy(policy),
		logsink.OnError(errs.add), logsink.WithFlushInterval(confirmTick))
	received := func() []int { return runNumbers(t, run, col.messages(t)) }

	write := func(from, to int) {
		for i := from; i < to; i++ {
			_, err := s.Write(rawEntry(run, i))
			require.NoError(t, err, "Write %d", i)
		}
	}
	write(0, third)
	require.NoError(t, s.Flush(), "Flush")
	accepted := int(s.Stats().Entries) // Drop may have dropped some already
	poll(t, "the first third", func() bool { return len(received()) >= accepted }, col.logs)
	waitConfirmed(t, conn)
	dropsBefore := s.Stats().Dropped
	col.kill()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := third; i < 2*third; i++ {
			_, _ = s.Write(rawEntry(run, i))
		}
	}()
	// The stream notices the closed connection and fails to dial.
	var ce *netsink.ConnError
	for {
		require.ErrorAs(t, errs.next(t), &ce, "OnError reports a ConnError")
		if ce.Op == "dial" {
			break
		}
	}
	if policy == logsink.Block {
		require.Eventually(t, func() bool { return s.Buffered()+len(rawEntry(run, total)) > buffer },
			waitLimit, time.Millisecond, "the buffer fills")
		select {
		case <-done:
			t.Fatal("the producer finished while the collector was down")
		default:
		}
	} else {
		select {
		case <-done: // Drop never waits
		case <-time.After(waitLimit):
			t.Fatal("the producer waited under Drop")
		}
		assert.Greater(t, s.Stats().Dropped, dropsBefore, "entries dropped while the collector was down")
	}

	col.restart()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("the producer did not finish after the collector came back")
	}
	write(2*third, total)
	require.NoError(t, s.Close(), "Close: the collector confirms it read everything")

	st := s.Stats()
	require.Equal(t, uint64(total), st.Entries+st.Dropped, "every entry accepted or dropped")
	assert.Zero(t, st.LostBytes, "nothing counted as lost")
	var got []int
	poll(t, "every accepted entry", func() bool {
		got = received()
		distinct := map[int]bool{}
		for _, i := range got {
			distinct[i] = true
		}
		return len(distinct) == int(st.Entries)
	}, col.logs)
	// At-least-once: an entry in flight when the connection was lost may
	// arrive twice; the first arrivals are the accepted entries, in order.
	var firsts []int
	seen := map[int]bool{}
	for _, i := range got {
		if !seen[i] {
			seen[i] = true
			firsts = append(firsts, i)
		}
	}
	if policy == logsink.Block {
		assertSeq(t, 0, total, firsts, "nothing lost, in order")
		assert.Zero(t, st.Dropped, "Block dropped nothing")
	} else {
		assert.Equal(t, total, len(firsts)+int(st.Dropped), "delivered + dropped = written")
		for i := 1; i < len(firsts); i++ {
			if !assert.Less(t, firsts[i-1], firsts[i], "in order") {
				break
			}
		}
	}
	assert.LessOrEqual(t, len(got)-len(firsts), int(conn.Stats().Resent), "duplicates only of entries in flight")
	assert.Equal(t, uint64(1), conn.Stats().Reconnects, "reconnected once")
}
