package sinktest

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Flaky is a destination that fails now and then, as disks and pipes do
// under pressure: each Write, by a seeded pseudo-random draw, succeeds,
// fails with EIO or EAGAIN having written nothing, or writes part of p and
// fails with EIO. It records what it took. It is safe for concurrent use.
type Flaky struct {
	mu       sync.Mutex
	rnd      *rand.Rand
	failRate float64
	buf      bytes.Buffer
	failures int
	healed   bool
}

// NewFlaky returns a Flaky whose Writes fail with probability failRate,
// drawn from seed, so that a failing run can be repeated.
func NewFlaky(seed uint64, failRate float64) *Flaky {
	return &Flaky{rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), failRate: failRate}
}

// Write takes p, or part of it, or nothing, and says so.
func (f *Flaky) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.healed || f.rnd.Float64() >= f.failRate {
		return f.buf.Write(p)
	}
	f.failures++
	switch f.rnd.IntN(3) {
	case 0:
		return 0, syscall.EIO
	case 1:
		return 0, syscall.EAGAIN
	}
	n := f.rnd.IntN(len(p) + 1)
	f.buf.Write(p[:n])
	return n, syscall.EIO
}

// Heal makes every later Write succeed.
func (f *Flaky) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healed = true
}

// String returns everything written so far.
func (f *Flaky) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.String()
}

// Failures returns how many Writes failed.
func (f *Flaky) Failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failures
}

// Slow is a destination that takes its time: every Write costs perKiB for
// each KiB of p, like a slow disk or a congested network. It records what it
// took. It is safe for concurrent use.
type Slow struct {
	perKiB time.Duration
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

// NewSlow returns a Slow destination.
func NewSlow(perKiB time.Duration) *Slow { return &Slow{perKiB: perKiB} }

// Write waits as long as p takes, then records it.
func (s *Slow) Write(p []byte) (int, error) {
	time.Sleep(time.Duration(len(p)) * s.perKiB / 1024) // the destination's own pace, not synchronisation
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

// String returns everything written so far.
func (s *Slow) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Bounded runs f on a goroutine of its own and fails the test if it has not
// returned within d, so that a deadlock is a red test rather than a stalled
// CI. It returns when f has returned.
func Bounded(t testing.TB, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s did not return within %s: a hang", what, d)
	}
}

// Receive waits for a value from ch and returns it, or fails the test if
// none comes within d, naming what it waited for.
func Receive[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("%s did not happen within %s", what, d)
		var zero T
		return zero
	}
}
