package netsink_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// The spill tests that kill a sender with SIGKILL run it as a child
// process: the test binary started again, which TestMain turns into a
// sender when SPILL_SENDER_MODE is set. It talks to the test in lines on
// stdout, and reads its cues from stdin.

// senderMode is what a sending process does.
type senderMode string

const (
	// senderKilled writes into a spill while the collector is stopped,
	// syncs, says "synced N", and goes on writing until it is killed
	// (testSpillSenderKilled).
	senderKilled senderMode = "killed"
	// senderSyncStopped writes while the collector reads, says "ready",
	// and on the cue "sync" (the collector is stopped by then) waits until
	// its flusher is stuck in a write, calls Sync, reports it, and goes on
	// writing until it is killed (testSpillSyncStopped).
	senderSyncStopped senderMode = "sync"
	// senderDrain opens a stream on the spill, writes nothing, waits until
	// the spill is delivered and for the cue "close" (the collector reads
	// again by then), closes, and exits.
	senderDrain senderMode = "drain"
)

// runSpillSender runs a sending process if this is one, and reports
// whether it was (TestMain).
func runSpillSender() bool {
	mode := senderMode(os.Getenv("SPILL_SENDER_MODE"))
	dir, addr, run := os.Getenv("SPILL_SENDER_DIR"), os.Getenv("SPILL_SENDER_ADDR"), os.Getenv("SPILL_SENDER_RUN")
	switch mode {
	case "":
		return false
	case senderKilled:
		spillSender(dir, addr)
	case senderSyncStopped:
		syncStoppedSender(dir, addr, run)
	case senderDrain:
		drainSender(dir, addr)
	default:
		senderFail("unknown SPILL_SENDER_MODE %q", mode)
	}
	return true
}

// senderFail reports a sender's failure on stdout, where the test reads
// it, and exits.
func senderFail(format string, args ...any) {
	fmt.Printf("fail: "+format+"\n", args...)
	os.Exit(1)
}

// senderProc is a sending process the test started.
type senderProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // its stdout, closed at EOF
	seen   []string    // the lines expect has read, for failure reports
	killed bool
}

// startSpillSender starts the test binary as a sender in mode on the spill
// dir, sending to addr; run tags its entries (senderSyncStopped). It is
// killed when the test ends.
func startSpillSender(t *testing.T, mode senderMode, dir, addr string, run ...string) *senderProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "SPILL_SENDER_MODE="+string(mode), "SPILL_SENDER_DIR="+dir,
		"SPILL_SENDER_ADDR="+addr, "SPILL_SENDER_RUN="+strings.Join(run, ""))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "start the %s sender", mode)
	p := &senderProc{cmd: cmd, stdin: stdin, lines: make(chan string, 64)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { p.kill(t) })
	return p
}

// expect returns the sender's next line that starts with prefix, failing
// the test if the sender fails, exits or says nothing of the kind within
// waitLimit.
func (p *senderProc) expect(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("the sender exited without saying %q; it said %q", prefix, p.seen)
			}
			p.seen = append(p.seen, line)
			if strings.HasPrefix(line, "fail: ") {
				t.Fatalf("the sender failed: %s", line)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline.C:
			t.Fatalf("the sender did not say %q within %s; it said %q", prefix, waitLimit, p.seen)
		}
	}
}

// send gives the sender a cue.
func (p *senderProc) send(t *testing.T, cue string) {
	t.Helper()
	_, err := io.WriteString(p.stdin, cue+"\n")
	require.NoError(t, err, "cue %q to the sender", cue)
}

// wait waits for the sender to exit by itself and returns its error.
func (p *senderProc) wait(t *testing.T) error {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if ok {
				p.seen = append(p.seen, line)
				continue
			}
		case <-deadline.C:
			p.kill(t)
			t.Fatalf("the sender did not exit within %s; it said %q", waitLimit, p.seen)
		}
		p.killed = true
		return p.cmd.Wait()
	}
}

// kill kills the sender with SIGKILL and waits for it; a second call does
// nothing.
func (p *senderProc) kill(t *testing.T) {
	t.Helper()
	if p.killed {
		return
	}
	p.killed = true
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL), "kill the sender")
	for range p.lines { // its stdout ends with it
	}
	_ = p.cmd.Wait()
}

// spillSender is the sending process that testSpillSenderKilled kills
// (senderKilled): it writes into a spill while the collector is stopped,
// syncs, says how many entries, and goes on writing until it is killed.
func spillSender(dir, addr string) {
	s, err := netsink.Open(netsink.Config{Address: addr, Framing: netsink.Octet, WriteTimeout: time.Minute,
		Config: logsink.Config{BufferSize: 256 << 10, SpillDir: dir, SpillMaxSize: 512 << 20}})
	if err != nil {
		senderFail("open: %v", err)
	}
	const n = 250_000 // more than the sockets' buffers hold: most goes to the spill
	for i := range n {
		_, _ = s.Write(spillEntry("killed", 0, i))
	}
	if err := s.Sync(); err != nil {
		senderFail("sync: %v", err)
	}
	fmt.Printf("synced %d\n", n)
	for i := n; ; i++ {
		_, _ = s.Write(spillEntry("killed", 0, i))
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // keep writing, gently, until killed
		}
	}
}

// The settings of the senders of testSpillSyncStopped: a write to the
// stopped collector times out well within the close timeout, so that a
// Sync can wait for the batch in flight to land in the spill.
const (
	syncSenderWriteTimeout = 2 * time.Second
	syncSenderCloseTimeout = 10 * time.Second
	syncSenderBuffer       = 256 << 10
	syncSenderBatch        = syncSenderBuffer / 4 // the most a write takes from the ring
)

// openSyncSender opens the stream of senderSyncStopped and senderDrain on
// the spill dir, Block, with the Conn to read its Stats.
func openSyncSender(dir, addr string) (*logsink.Stream, *netsink.Conn) {
	conn, err := netsink.NewConn(netsink.Config{Address: addr, Framing: netsink.Octet, WriteTimeout: syncSenderWriteTimeout})
	if err != nil {
		senderFail("conn: %v", err)
	}
	s, err := logsink.Open(conn, logsink.WithPolicy(logsink.Block), logsink.WithBufferSize(syncSenderBuffer),
		logsink.WithSpill(dir, 512<<20), logsink.WithCloseTimeout(syncSenderCloseTimeout),
		logsink.WithFlushInterval(100*time.Millisecond))
	if err != nil {
		senderFail("open: %v", err)
	}
	return s, conn
}

// syncStoppedSender is senderSyncStopped. It says:
//
//	ready N                         N entries written, the collector reading
//	sync nil LAST stuck=B ...       Sync returned nil; it covered entries 0 to LAST
//	sync refused LAST stuck=B: ERR  Sync returned ERR
//
// stuck says whether the flusher was stuck in a write when Sync was
// called: no byte written for stuckFor and no write timed out yet.
func syncStoppedSender(dir, addr, run string) {
	s, conn := openSyncSender(dir, addr)
	var returned atomic.Int64 // entries whose Write returned
	go func() {
		for i := 0; ; i++ {
			if _, err := s.Write(spillEntry(run, 0, i)); err != nil {
				senderFail("write %d: %v", i, err)
			}
			returned.Store(int64(i + 1))
			if i%100 == 99 {
				time.Sleep(time.Millisecond) // a busy service's pace, not synchronisation: at most 100 entries a millisecond
			}
		}
	}()
	for returned.Load() < 10_000 {
		time.Sleep(time.Millisecond) // polling the writer's counter
	}
	fmt.Printf("ready %d\n", returned.Load())

	cue, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || cue != "sync\n" {
		senderFail("cue %q: %v", cue, err)
	}
	// The collector is stopped: the sockets' buffers fill, then the
	// flusher's write waits. Call Sync while it does.
	const stuckFor = 300 * time.Millisecond // well within syncSenderWriteTimeout
	stuck := false
	errs0 := conn.Stats().WriteErrors
	bytes, since := conn.Stats().Bytes, time.Now()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // polling the Conn's counters
		st := conn.Stats()
		if st.Bytes != bytes || st.WriteErrors != errs0 {
			bytes, since, errs0 = st.Bytes, time.Now(), st.WriteErrors
			continue
		}
		if time.Since(since) >= stuckFor {
			stuck = true
			break
		}
	}
	covered := returned.Load()
	start := time.Now()
	err = s.Sync()
	took := time.Since(start).Round(time.Millisecond)
	st, cst := s.Stats(), conn.Stats()
	if err != nil {
		fmt.Printf("sync refused %d stuck=%t took=%s: %v\n", covered-1, stuck, took, err)
	} else {
		fmt.Printf("sync nil %d stuck=%t took=%s spilled=%d spillbytes=%d writeerrors=%d\n",
			covered-1, stuck, took, st.SpilledEntries, st.SpillBytes, cst.WriteErrors)
	}
	select {} // the writer goes on until the test kills this process
}

// drainSender is senderDrain. It says "found B" (bytes in the spill at
// the start), then "drained ..." once the spill is empty and the stream
// closed. It closes on the cue "close", not as soon as the spill is empty:
// a small spill fits in the sockets' buffers while the collector is still
// stopped, and Close would wait for the collector to confirm through the
// rest of the outage, longer than the part of the close timeout it has
// for that (logsink.Binding.CloseTimeout).
func drainSender(dir, addr string) {
	s, _ := openSyncSender(dir, addr)
	found := s.Stats().SpillBytes
	fmt.Printf("found %d\n", found)
	deadline := time.Now().Add(waitLimit)
	for s.Stats().SpillBytes > 0 {
		if time.Now().After(deadline) {
			senderFail("the spill not delivered within %s: %+v", waitLimit, s.Stats())
		}
		time.Sleep(10 * time.Millisecond) // polling the stream's counter
	}
	if cue, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || cue != "close\n" {
		senderFail("cue %q: %v", cue, err)
	}
	start := time.Now()
	err := s.Close()
	took := time.Since(start).Round(time.Millisecond)
	st := s.Stats()
	fmt.Printf("drained found=%d replayed=%d corrupt=%d lost=%d close=%v (took %s)\n",
		found, st.ReplayedEntries, st.SpillCorrupt, st.LostBytes, err, took)
	if err != nil {
		os.Exit(1)
	}
}
