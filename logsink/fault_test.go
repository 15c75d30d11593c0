package logsink_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// The fault-injection suite: destinations that hang, fail for good, fail now
// and then (EIO, EAGAIN, short writes), or are slow, with concurrent writers,
// hooks that write through the stream, and rotation. Every call is bounded;
// the accounting is exact (Entries + Dropped = accepted Write calls, bytes
// delivered + LostBytes = Bytes); every delivered entry is whole and each
// writer's entries arrive in the order it wrote them.

// faultDest is a destination whose delivered bytes can be read back.
type faultDest interface {
	Write([]byte) (int, error)
	String() string
}

type faultCase struct {
	name   string
	policy logsink.Policy
	dest   func() faultDest
	// stall, if set, stops the destination before the writers start and
	// returns a function that lets it go again, called after Close.
	stall func(d faultDest) (release func())
	// wantClean says Close must succeed and nothing may be lost.
	wantClean bool
	// blockTimeout bounds Block writers.
	blockTimeout time.Duration
}

func faultCases() []faultCase {
	var cases []faultCase
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		cases = append(cases,
			faultCase{
				name: "flaky", policy: policy, wantClean: true,
				dest: func() faultDest { return sinktest.NewFlaky(7, 0.3) },
			},
			faultCase{
				name: "slow", policy: policy, wantClean: true,
				dest: func() faultDest { return sinktest.NewSlow(200 * time.Microsecond) },
			},
			faultCase{
				name: "broken-pipe", policy: policy,
				dest: func() faultDest {
					w := sinktest.NewWriter()
					w.FailWrites(syscall.EPIPE, 0)
					return w
				},
			},
			faultCase{
				name: "hang", policy: policy, blockTimeout: 5 * time.Millisecond,
				dest: func() faultDest { return sinktest.NewWriter() },
				stall: func(d faultDest) func() {
					d.(*sinktest.Writer).Hold()
					return d.(*sinktest.Writer).Release
				},
			},
		)
	}
	return cases
}

func TestFaultInjection(t *testing.T) {
	for _, fc := range faultCases() {
		t.Run(fc.name+"/"+fc.policy.String(), func(t *testing.T) {
			dst := fc.dest()
			release := func() {}
			if fc.stall != nil {
				release = fc.stall(dst)
			}
			run := newFaultRun(t, dst, fc.policy, fc.blockTimeout)
			run.writeConcurrently(4, 300)
			closeErr := run.close()
			if fc.wantClean {
				assert.NoError(t, closeErr, "Close")
			} else {
				assert.Error(t, closeErr, "Close reports the failure")
			}
			release()
			run.waitFlusher()
			run.check(dst.String(), fc.wantClean && fc.policy == logsink.Block)
		})
	}
}

// Size rotation, explicit rotations and a flaky destination together: no
// entry is split across two files, none is lost under Block.
func TestFaultInjectionRotation(t *testing.T) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		t.Run(policy.String(), func(t *testing.T) {
			f := newFakeFile(2048, 0)
			run := newFaultRun(t, f, policy, 0)
			stop := make(chan struct{})
			rotated := make(chan struct{})
			go func() {
				defer close(rotated)
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = run.s.Rotate() // may race Close: ErrClosed is fine
				}
			}()
			run.writeConcurrently(4, 300)
			close(stop)
			sinktest.Receive(t, rotated, hangBound, "the rotating goroutine stopping")
			require.NoError(t, run.close(), "Close")
			run.waitFlusher()
			files := f.contents()
			assert.Greater(t, len(files), 3, "the files rotated")
			for i, file := range files {
				assert.True(t, file == "" || strings.HasSuffix(file, "\n"), "file %d ends with a whole entry", i)
			}
			run.check(strings.Join(files, ""), policy == logsink.Block)
		})
	}
}

// faultRun is one stream under test, its writers and its hooks.
type faultRun struct {
	t        *testing.T
	s        *logsink.Stream
	calls    atomic.Uint64 // Write calls that returned nil
	hookLogs atomic.Uint64
}

var faultLine = regexp.MustCompile(`^(w(\d+)-(\d{6})|hook (error|drop \d+))\n$`)

// newFaultRun makes a stream over dst whose hooks write through it. Block
// writers wait at most blockTimeout, or 200ms if it is 0.
func newFaultRun(t *testing.T, dst faultDest, policy logsink.Policy, blockTimeout time.Duration) *faultRun {
	if blockTimeout == 0 {
		blockTimeout = 200 * time.Millisecond
	}
	r := &faultRun{t: t}
	hookWrite := func(line string) {
		if _, err := r.s.Write([]byte(line)); err == nil {
			r.calls.Add(1)
			r.hookLogs.Add(1)
		}
	}
	r.s = logsink.New(dst,
		logsink.WithPolicy(policy),
		logsink.WithBufferSize(4096),
		logsink.WithFlushInterval(5*time.Millisecond),
		logsink.WithBlockTimeout(blockTimeout),
		logsink.WithCloseTimeout(2*time.Second),
		logsink.OnError(func(error) { hookWrite("hook error\n") }),
		logsink.OnDrop(func(entries, _ int) { hookWrite(fmt.Sprintf("hook drop %d\n", entries)) }),
	)
	return r
}

// writeConcurrently runs writers that each write n numbered entries; each
// Write is bounded.
func (r *faultRun) writeConcurrently(writers, n int) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range n {
				sinktest.Bounded(r.t, hangBound, "Write", func() {
					if _, err := r.s.Write(entry(w, i)); err == nil {
						r.calls.Add(1)
					}
				})
			}
		})
	}
	wg.Wait()
}

func (r *faultRun) close() (err error) {
	sinktest.Bounded(r.t, hangBound, "Close", func() { err = r.s.Close() })
	return err
}

// waitFlusher waits for the flusher to exit, so the counters are final.
func (r *faultRun) waitFlusher() {
	select {
	case <-logsink.FlusherDone(r.s):
	case <-time.After(hangBound):
		r.t.Fatal("the flusher did not exit after the destination was released")
	}
}

// check verifies the accounting against what the destination holds.
func (r *faultRun) check(delivered string, wantAll bool) {
	t := r.t
	st := r.s.Stats()
	assert.Equal(t, r.calls.Load(), st.Entries+st.Dropped, "Entries + Dropped = Write calls accepted")
	assert.Equal(t, st.Bytes, uint64(len(delivered))+st.LostBytes, "bytes delivered + LostBytes = Bytes")

	last := map[int]int{}
	got := 0
	for _, line := range strings.SplitAfter(delivered, "\n") {
		if line == "" {
			continue
		}
		m := faultLine.FindStringSubmatch(line)
		require.NotNil(t, m, "every delivered entry is whole: %q", line)
		if m[2] == "" {
			continue // a hook's entry
		}
		w, _ := strconv.Atoi(m[2])
		seq, _ := strconv.Atoi(m[3])
		if prev, ok := last[w]; ok {
			require.Greater(t, seq, prev, "writer %d's entries arrive in order", w)
		}
		last[w] = seq
		got++
	}
	if wantAll {
		assert.Zero(t, st.Dropped, "Block with a healthy end drops nothing")
		assert.Zero(t, st.LostBytes, "nothing lost")
		assert.Equal(t, int(st.Entries-r.hookLogs.Load()), got, "every writer entry delivered")
	}
}
