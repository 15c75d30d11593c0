package logsink_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/logsink/internal/spill"
	"go.uber.org/goleak"
)

// slack is what a call may take past its documented bound on a loaded
// machine under the race detector: generous, since a hang is forever.
const slack = 2 * time.Second

// callResult is what one call of the program did.
type callResult struct {
	call
	seq        int // the writer's sequence number of a named entry
	start, end time.Time
	err        error
	returned   bool
	done       chan struct{} // closed when the call has returned
	drainTook  time.Duration
	drainShut  bool // the drain channel closed while waited for
}

// modelRun is one program running against one stream.
type modelRun struct {
	t    testing.TB
	m    model
	dest *scripted
	s    *logsink.Stream

	mu       sync.Mutex
	results  []*callResult
	named    map[string]int // "A00001" -> length, for named entries whose Write returned nil
	okWrites int            // non-empty writes that returned nil (hooks and End included)
	seqs     [5]int

	hookSeq      atomic.Int64
	hookOK       atomic.Int64
	closeRan     atomic.Bool
	programEnded chan struct{} // closed once Close has returned

	// With a power cut: the simulated disk, the disk the machine finds on
	// restart, when the power went and what the destination had by then.
	disk    *spill.SimDisk
	cut     atomic.Bool // the power went: later results do not count
	opened  int         // the disk's calls when the stream had opened
	cutDisk *spill.SimDisk
	cutAt   time.Time
	cutTook []byte
}

// runModel runs the program and checks every invariant the stream
// documents. It fails t with the program and what broke.
func runModel(t testing.TB, m model) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	r := &modelRun{t: t, m: m, dest: newScripted(m), named: map[string]int{}, programEnded: make(chan struct{})}
	var spillDir string
	if m.spill {
		spillDir = t.TempDir()
	}
	opts := append(m.options(spillDir), logsink.OnClose(func() { r.closeRan.Store(true) }))
	if m.powerCut {
		r.disk = spill.NewSimDisk()
		opts = append(opts, logsink.WithSpillFS(r.disk))
	}
	if m.hookWrites {
		hookWrite := func() {
			seq := int(r.hookSeq.Add(1))
			p := modelEntry('H', seq, 24)
			r.mu.Lock()
			r.named[string(p[:6])] = len(p) // before the Write: it may be delivered at once
			r.mu.Unlock()
			if _, err := r.s.Write(p); err == nil {
				r.hookOK.Add(1)
			} else {
				r.mu.Lock()
				delete(r.named, string(p[:6]))
				r.mu.Unlock()
			}
		}
		opts = append(opts,
			logsink.OnDrop(func(int, int) { hookWrite() }),
			logsink.OnError(func(error) { hookWrite() }))
	}
	s, err := logsink.Open(r.dest.destination(m.dest), opts...)
	if err != nil {
		t.Fatalf("Open: %v\nprogram:\n%s", err, m)
	}
	r.s = s
	if m.cutAfter > 0 {
		r.opened = r.disk.Calls()
		r.disk.CutAfter(m.cutAfter) // counted from here: Open makes its own calls
	}

	closeTook, closeErr := r.play()
	r.finish(ignore)
	r.check(closeErr, closeTook, spillDir)
}

// play runs the calls, each on its writer's goroutine in program order: a
// call is handed over once the previous one has returned or had a moment,
// so a saved input replays the same program. It ends with Close or End.
func (r *modelRun) play() (closeTook time.Duration, closeErr error) {
	var writers [4]chan *callResult
	var wg sync.WaitGroup
	for w := range writers {
		writers[w] = make(chan *callResult, len(r.m.calls))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range writers[w] {
				r.do(c)
			}
		}()
	}
	for _, c := range r.m.calls {
		res := &callResult{call: c}
		r.mu.Lock()
		r.results = append(r.results, res)
		r.mu.Unlock()
		if c.kind == callRelease {
			r.dest.Release()
			continue
		}
		if c.kind == callPowerCut {
			r.powerCut()
			continue
		}
		res.done = make(chan struct{})
		writers[c.w] <- res
		// A moment for the call before the next is handed over: the
		// program's schedule, not a wait for a result.
		select {
		case <-res.done:
		case <-time.After(10 * time.Millisecond):
		}
	}

	r.powerCut() // if the program did not cut the power, before Close
	start := time.Now()
	var end []byte
	if len(r.m.end) > 0 {
		end = modelEntry('E', 1, len(r.m.end))
		r.mu.Lock()
		r.named[string(end[:6])] = len(end)
		r.mu.Unlock()
	}
	if end == nil {
		closeErr = r.s.Close()
	} else {
		closeErr = r.s.End(end)
	}
	closeTook = time.Since(start)
	if !r.closeRan.Load() {
		r.fail("OnClose had not run when Close returned (%v)", closeErr)
	}
	if end != nil {
		if closeErr != nil && errors.Is(closeErr, logsink.ErrClosed) {
			delete(r.named, string(end[:6]))
		} else {
			r.okWrites++ // End stores its entry before it ends, or fails with ErrClosed
		}
	}
	close(r.programEnded)
	for _, w := range writers {
		close(w)
	}

	// Release what hangs, until the calls and the flusher have returned.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.dest.Release()
		if waitTimeout(&wg, 50*time.Millisecond) {
			break
		}
		if time.Now().After(deadline) {
			r.fail("calls still running 10s after Close and with every destination call released: a hang")
			return closeTook, closeErr
		}
	}
	for {
		r.dest.Release()
		select {
		case <-logsink.FlusherDone(r.s):
			return closeTook, closeErr
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.fail("the flusher still runs 10s after Close with every destination call released")
			return closeTook, closeErr
		}
	}
}

// powerCut cuts the power of the spill's disk, once, in a program with a
// power cut: it keeps the disk a restarted machine would find, and what
// the destination had taken by then. The program goes on, its spill
// failing, as a process would until it notices; only what happened before
// the cut counts.
func (r *modelRun) powerCut() {
	if !r.m.powerCut || r.cutDisk != nil {
		return
	}
	rnd := rand.New(rand.NewPCG(r.m.seed, 0xc0ffee))
	r.cutAt = time.Now()
	r.cut.Store(true)
	r.cutDisk = r.disk.PowerCut(func(n int) int { return rnd.IntN(n) })
	r.dest.mu.Lock()
	r.cutTook = bytes.Clone(r.dest.took.Bytes())
	r.dest.mu.Unlock()
}

// diskDead reports whether the spill's simulated disk has lost its power,
// at a powercut call or by itself after cutAfter calls.
func (r *modelRun) diskDead() bool {
	if !r.m.powerCut {
		return false
	}
	return r.cut.Load() || r.m.cutAfter > 0 && r.disk.Calls()-r.opened >= r.m.cutAfter
}

// waitTimeout waits for wg at most d and reports whether it is done.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// do runs one call on the calling writer's goroutine and records it.
func (r *modelRun) do(c *callResult) {
	c.start = time.Now()
	var err error
	switch c.kind {
	case callWrite, callWriteKeep:
		err = r.write(c)
	case callFlush, callSync, callRotate, callReopen:
		err = r.request(c)
	case callDrained:
		if r.s.NeedDrain() {
			ch := r.s.Drained()
			start := time.Now()
			select {
			case <-ch:
				c.drainShut = true
			case <-r.programEnded:
				select {
				case <-ch:
					c.drainShut = true
				case <-time.After(slack):
				}
			}
			c.drainTook = time.Since(start)
		} else {
			c.drainShut = true
		}
	}
	r.mu.Lock()
	c.err, c.end, c.returned = err, time.Now(), true
	close(c.done)
	r.mu.Unlock()
}

func (r *modelRun) write(c *callResult) error {
	w := byte('A' + c.w)
	r.mu.Lock()
	r.seqs[c.w]++
	c.seq = r.seqs[c.w]
	p := modelEntry(w, c.seq, c.n)
	if len(p) >= 8 {
		r.named[string(p[:6])] = len(p)
	}
	r.mu.Unlock()
	var err error
	if c.kind == callWrite {
		_, err = r.s.Write(p)
	} else {
		_, err = r.s.WriteKeep(p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if len(p) >= 8 {
			delete(r.named, string(p[:6]))
		}
		if !errors.Is(err, logsink.ErrClosed) {
			r.failLocked("%s(%d) by writer %d returned %v: only ErrClosed is allowed", callNames[c.kind], c.n, c.w, err)
		}
	} else if len(p) > 0 {
		r.okWrites++
	}
	return err
}

// request runs Flush, Sync, Rotate or Reopen and checks what a nil result
// promises: everything whose Write returned before the call is in the
// destination (or, for Flush and Sync with a spill, in the spill).
func (r *modelRun) request(c *callResult) error {
	before := r.s.Stats().Bytes
	switched := 0
	r.dest.mu.Lock()
	switched = len(r.dest.switchedAt)
	r.dest.mu.Unlock()
	var err error
	switch c.kind {
	case callFlush:
		err = r.s.Flush()
	case callSync:
		err = r.s.Sync()
	case callRotate:
		err = r.s.Rotate()
	case callReopen:
		err = r.s.Reopen()
	}
	if r.diskDead() {
		return err // a dead disk under a live process: only what came before the cut counts
	}
	if err != nil {
		if c.kind != callRotate && c.kind != callReopen || r.m.dest == destFile {
			return err
		}
		if !errors.Is(err, logsink.ErrNotRotatable) && !errors.Is(err, logsink.ErrNotReopenable) && !errors.Is(err, logsink.ErrClosed) {
			r.fail("%s on a destination without it returned %v", callNames[c.kind], err)
		}
		return err
	}
	switch c.kind {
	case callFlush, callSync:
		st := r.s.Stats()
		took := uint64(r.dest.taken())
		if took-min(took, st.ReplayedBytes)+st.SpilledBytes < before {
			r.fail("%s returned nil with %d bytes accepted before it, but the destination took %d (%d of them replayed from the spill) and the spill %d",
				callNames[c.kind], before, took, st.ReplayedBytes, st.SpilledBytes)
		}
	case callRotate, callReopen:
		r.dest.mu.Lock()
		points := append([]switchPoint(nil), r.dest.switchedAt[switched:]...)
		r.dest.mu.Unlock()
		ok := false
		for _, p := range points {
			ok = ok || p.took >= int(before)
		}
		if !ok {
			r.fail("%s returned nil with %d bytes accepted before it, but the destination switched at %v", callNames[c.kind], before, points)
		}
	}
	return err
}

// finish checks that the stream's goroutines are gone.
func (r *modelRun) finish(ignore goleak.Option) {
	if err := goleak.Find(ignore); err != nil {
		r.fail("goroutines left after Close and every destination call released: %v", err)
	}
}

func (r *modelRun) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failLocked(format, args...)
}

func (r *modelRun) failLocked(format string, args ...any) {
	r.t.Helper()
	r.t.Errorf("%s\nprogram:\n%s", fmt.Sprintf(format, args...), r.m)
}

// check verifies the invariants after the program: bounds, ends,
// accounting, and what reached the destination (and the spill).
func (r *modelRun) check(closeErr error, closeTook time.Duration, spillDir string) {
	m, d, s := r.m, r.dest, r.s
	st := s.Stats()
	if closeTook > m.closeTimeout+slack {
		r.fail("Close took %s with a close timeout of %s", closeTook, m.closeTimeout)
	}
	if _, err := s.Write([]byte("late\n")); !errors.Is(err, logsink.ErrClosed) {
		r.fail("Write after Close returned %v, want ErrClosed", err)
	}
	if _, err := s.Write(nil); !errors.Is(err, logsink.ErrClosed) {
		r.fail("an empty Write after Close returned %v, want ErrClosed", err)
	}
	if err := s.Sync(); !errors.Is(err, logsink.ErrClosed) {
		r.fail("Sync after Close returned %v, want ErrClosed", err)
	}
	if s.NeedDrain() {
		r.fail("NeedDrain is true after Close")
	}
	select {
	case <-s.Drained():
	default:
		r.fail("Drained is not closed after Close")
	}
	r.checkCalls()

	d.mu.Lock()
	delivered := bytes.Clone(d.took.Bytes())
	badEnds := d.badEnds
	d.mu.Unlock()
	if len(badEnds) > 0 {
		r.fail("an EntryWriter was handed bad ends: %v", badEnds)
	}

	if m.powerCut {
		r.checkPowerCut(spillDir)
		return
	}
	left := 0
	if m.spill {
		replay := r.replaySpill(spillDir, nil)
		left = len(replay)
		delivered = append(delivered, replay...)
	}
	abandoned := errors.Is(closeErr, os.ErrDeadlineExceeded)
	dupAllowed := 0
	if m.spill && (abandoned || left > 0) {
		// The batch in flight when Close gave up is saved in the spill and
		// may also reach the destination once its call returns; a spilled
		// batch the destination took part of before the stream ended is
		// sent whole by the next. The spill package documents the bound:
		// the batch in flight, at most a quarter of the buffer (or one
		// larger entry).
		dupAllowed = max(m.bufferSize/4, r.largest())
	}
	parsed := r.parse(delivered, st.LostBytes > 0 || dupAllowed > 0, dupAllowed)

	// Every byte accepted is delivered, lost (counted), or left in the spill.
	unique := uint64(len(delivered) - parsed.dupBytes)
	if dupAllowed == 0 && unique+st.LostBytes != st.Bytes {
		r.fail("accounting: delivered %d (%d of them replayed from the spill afterwards) + lost %d != accepted %d (close: %v)\nstats: %s",
			unique, left, st.LostBytes, st.Bytes, closeErr, st)
	}
	if dupAllowed > 0 && uint64(len(delivered))+st.LostBytes < st.Bytes {
		r.fail("accounting: delivered %d + lost %d < accepted %d (close: %v)", len(delivered), st.LostBytes, st.Bytes, closeErr)
	}
	// Every call that returned nil is an entry or a drop; the stream adds
	// its drop summaries.
	writes := uint64(r.okWrites) + uint64(r.hookOK.Load())
	if !m.summary && st.Entries+st.Dropped != writes {
		r.fail("Entries %d + Dropped %d != %d non-empty writes that returned nil\nstats: %s", st.Entries, st.Dropped, writes, st)
	}
	if m.summary && st.LostBytes == 0 && dupAllowed == 0 && st.Entries+st.Dropped != writes+uint64(parsed.summaries) {
		r.fail("Entries %d + Dropped %d != %d non-empty writes + %d summaries delivered\nstats: %s",
			st.Entries, st.Dropped, writes, parsed.summaries, st)
	}
	if closeErr == nil && (st.LostBytes > 0 || left > 0) {
		r.fail("Close returned nil, but %d bytes were lost and %d left in the spill", st.LostBytes, left)
	}
	if left > 0 && !errors.Is(closeErr, logsink.ErrLeftInSpill) {
		r.fail("%d bytes were left in the spill, but Close's error does not say so: %v", left, closeErr)
	}
}

// checkCalls checks that every call returned within its documented bound.
func (r *modelRun) checkCalls() {
	m := r.m
	healthy := len(m.writes) == 0 && len(m.syncs) == 0
	var closedAt time.Time
	for _, c := range r.results {
		if c.end.After(closedAt) {
			closedAt = c.end
		}
	}
	for _, c := range r.results {
		if c.kind == callRelease || !c.returned {
			continue
		}
		took := c.end.Sub(c.start)
		var bound time.Duration // 0: until Close returns
		switch c.kind {
		case callWrite:
			if m.policy == logsink.Drop {
				bound = slack
			} else if m.blockTimeout > 0 {
				bound = m.blockTimeout + slack
			}
		case callWriteKeep:
			if m.policy == logsink.Drop {
				bound = m.keepTimeout + slack
			}
		case callFlush, callSync, callRotate, callReopen:
			bound = m.closeTimeout + slack
		case callDrained:
			if !c.drainShut {
				r.fail("a Drained channel waited for by writer %d was never closed", c.w)
			}
			if healthy && c.drainTook > slack {
				r.fail("Drained took %s to close with a destination that takes everything", c.drainTook)
			}
		}
		if bound > 0 && took > bound {
			r.fail("%s(%d) by writer %d took %s, more than its bound %s (result %v)", callNames[c.kind], c.n, c.w, took, bound-slack, c.err)
		}
	}
}

// parsed is what the destination holds, entry by entry.
type parsed struct {
	summaries int
	dupBytes  int
	seen      map[string]bool // the named entries
	torn      map[string]bool // named entries that arrived cut by a failed write, and then more of them
}

// parse checks that the destination holds whole entries, each writer's in
// its order, each at most once (but for dupAllowed bytes), and only entries
// that were written; a torn last entry is allowed only when bytes were lost.
func (r *modelRun) parse(b []byte, lost bool, dupAllowed int) parsed {
	seen := map[string]bool{}
	out := parsed{seen: seen, torn: map[string]bool{}}
	last := map[byte]int{}
	r.mu.Lock()
	named := r.named
	r.mu.Unlock()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if !lost {
				r.fail("the destination ends inside an entry (%q) with no byte lost", b)
			}
			break
		}
		line := b[:i+1]
		b = b[i+1:]
		switch {
		case bytes.Count(line, []byte{'x'}) == len(line)-1:
			// an anonymous short entry
		case line[0] == 'S':
			if _, err := strconv.Atoi(string(line[1 : len(line)-1])); err != nil {
				if !lost {
					r.fail("a malformed summary %q", line)
				}
				continue // a summary a write cut, then again
			}
			out.summaries++
		case len(line) >= 8 && line[6] == '.':
			id := string(line[:6])
			n, ok := named[id]
			if (!ok || n != len(line)) && dupAllowed > 0 {
				// A fragment a failed write left, then the entry again.
				if k := wholeSuffix(line, named); k > 0 {
					out.dupBytes += k
					line = line[k:]
					id = string(line[:6])
					n, ok = named[id]
				}
			}
			if !ok || n != len(line) {
				if !lost {
					r.fail("the destination holds %q (%d bytes), never written as such (written: %d bytes)", truncate(line), len(line), n)
				}
				if ok {
					out.torn[id] = true // a write cut it: its start, then more of it
				}
				continue
			}
			if seen[id] {
				out.dupBytes += len(line)
				continue
			}
			seen[id] = true
			seq, _ := strconv.ParseInt(id[1:], 16, 64)
			if int(seq) <= last[id[0]] && dupAllowed == 0 {
				r.fail("entry %s arrived after %c%05x: out of its writer's order", id, id[0], last[id[0]])
			}
			last[id[0]] = max(last[id[0]], int(seq))
		default:
			if !lost {
				r.fail("the destination holds %q, not an entry", truncate(line))
			}
		}
	}
	if out.dupBytes > dupAllowed {
		r.fail("%d bytes delivered twice (allowed: %d)", out.dupBytes, dupAllowed)
	}
	return out
}

// wholeSuffix returns where a whole named entry starts inside line, after
// a fragment, or 0.
func wholeSuffix(line []byte, named map[string]int) int {
	for k := 1; k+7 < len(line); k++ {
		if line[k+6] == '.' && named[string(line[k:k+6])] == len(line)-k {
			return k
		}
	}
	return 0
}

// largest returns the length of the largest entry written.
func (r *modelRun) largest() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.results {
		n = max(n, c.n)
	}
	return n
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%s...(%d bytes)", b[:80], len(b))
	}
	return string(b)
}

// replaySpill opens a new stream on the spill directory with a destination
// that takes everything, closes it, and returns what it delivered: what the
// first stream left in the spill.
func (r *modelRun) replaySpill(dir string, disk *spill.SimDisk) []byte {
	d := newScripted(model{})
	opts := []logsink.Option{logsink.WithSpill(dir, 0), logsink.WithCloseTimeout(10 * time.Second)}
	if disk != nil {
		opts = append(opts, logsink.WithSpillFS(disk))
	}
	s, err := logsink.Open(d.destination(destPlain), opts...)
	if err != nil {
		r.fail("a new stream on the spill: %v", err)
		return nil
	}
	if err := s.Close(); err != nil {
		r.fail("closing the stream that replays the spill: %v", err)
	}
	if st := s.Stats(); st.SpillCorrupt > 0 && disk == nil {
		r.fail("the spill left by Close holds %d corrupt bytes", st.SpillCorrupt)
	}
	return d.took.Bytes()
}

// checkPowerCut checks what a restarted machine delivers: a new stream on
// the disk the power cut left sends what the spill kept. With what the
// destination had taken before the cut, that covers every entry whose
// Write returned before a Sync or Flush that returned nil before the cut;
// nothing arrives that was never written, and duplicates stay within the
// batch in flight. One entry may arrive torn: the one a short write had
// cut when the power went (its start before the cut, all of its rest
// after the restart, which may repeat what was written of it since the
// last acknowledgement), as a torn write in a file would be.
func (r *modelRun) checkPowerCut(dir string) {
	m := r.m
	got := append(bytes.Clone(r.cutTook), r.replaySpill(dir, r.cutDisk)...)
	dupAllowed := max(m.bufferSize/4, r.largest())
	p := r.parse(got, true, dupAllowed)
	if len(p.torn) > 1 {
		r.fail("%d entries arrived torn after one power cut (%v): only the one a write was cutting may", len(p.torn), p.torn)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.results {
		if c.err != nil || !c.returned || !c.end.Before(r.cutAt) || c.kind != callSync && c.kind != callFlush {
			continue
		}
		for _, w := range r.results {
			if w.kind != callWrite && w.kind != callWriteKeep || w.err != nil || !w.returned || w.n < 8 || !w.end.Before(c.start) {
				continue
			}
			id := fmt.Sprintf("%c%05x", 'A'+w.w, w.seq&0xfffff)
			if !p.seen[id] && !p.torn[id] {
				r.failLocked("%s returned nil before the power cut, but entry %s, whose Write returned before it, is neither at the destination nor in the spill after the restart (%d bytes delivered before the cut, %d after)",
					callNames[c.kind], id, len(r.cutTook), len(got)-len(r.cutTook))
				return
			}
		}
	}
}
