package sinktest

import (
	"sync"
	"time"
)

// MockClock is a zapcore.Clock whose time moves only when Add is called.
// Its tickers fire from Add, so tests control every timer of a stream.
type MockClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	tickers []*mockTicker
	made    int
}

type mockTicker struct {
	d    time.Duration
	next time.Time
	c    chan time.Time
}

// NewMockClock returns a MockClock set to start.
func NewMockClock(start time.Time) *MockClock {
	c := &MockClock{now: start}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Now returns the clock's current time.
func (c *MockClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTicker returns a ticker that fires when Add moves the clock past each
// multiple of d. Like a real ticker, it drops ticks nobody received.
func (c *MockClock) NewTicker(d time.Duration) *time.Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &mockTicker{d: d, next: c.now.Add(d), c: make(chan time.Time, 1)}
	c.tickers = append(c.tickers, t)
	c.made++
	c.cond.Broadcast()
	return &time.Ticker{C: t.c}
}

// Add moves the clock forward by d and fires the tickers that are due.
func (c *MockClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		for !t.next.After(c.now) {
			select {
			case t.c <- t.next:
			default:
			}
			t.next = t.next.Add(t.d)
		}
	}
}

// Set moves the clock to t (forward only) and fires the tickers that are due.
func (c *MockClock) Set(t time.Time) {
	d := t.Sub(c.Now())
	if d > 0 {
		c.Add(d)
	}
}

// WaitTickers blocks until at least n tickers have been made in all, so a
// test can advance the clock only once the code under test is waiting on it.
func (c *MockClock) WaitTickers(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.made < n {
		c.cond.Wait()
	}
}

// Tickers returns how many tickers have been made so far.
func (c *MockClock) Tickers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.made
}

// Periods returns the period of every ticker made so far, in order.
func (c *MockClock) Periods() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, len(c.tickers))
	for i, t := range c.tickers {
		out[i] = t.d
	}
	return out
}
