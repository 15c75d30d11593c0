package main

import (
	"bytes"
	"io"
	"log"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain silences the diode's collision reports and checks that every
// run stops its sink's goroutines.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	goleak.VerifyTestMain(m)
}

// small is a run that takes milliseconds: 2,000 entries of 64 bytes
// against a destination that stalls 1ms after every 16 KiB.
var small = config{
	entries:   2000,
	size:      64,
	every:     16 << 10,
	pause:     time.Millisecond,
	producers: []int{1, 4},
	sinks:     sinkNames,
}

func TestStallWriter(t *testing.T) {
	tests := []struct {
		name       string
		give       []int // sizes of the writes
		wantStalls int
	}{
		{name: "below the boundary", give: []int{100, 200}, wantStalls: 0},
		{name: "reaching the boundary", give: []int{1000, 24}, wantStalls: 1},
		{name: "one write across two boundaries", give: []int{2100}, wantStalls: 2},
		{name: "many small writes", give: []int{512, 512, 512, 512, 512, 512}, wantStalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &stallWriter{every: 1024, pause: 5 * time.Millisecond}
			start := time.Now()
			for _, n := range tt.give {
				p := bytes.Repeat([]byte("x"), n)
				p[n-1] = '\n'
				got, err := w.Write(p)
				require.NoError(t, err, "write")
				require.Equal(t, n, got, "bytes written")
			}
			elapsed := time.Since(start)
			lines, writes, _ := w.counts()
			assert.Equal(t, len(tt.give), lines, "lines counted")
			assert.Equal(t, len(tt.give), writes, "writes counted")
			// Sleeping is the simulated slow disk: it takes at least its pauses.
			assert.GreaterOrEqual(t, elapsed, time.Duration(tt.wantStalls)*w.pause, "time stalled")
		})
	}
}

func TestRunAccounting(t *testing.T) {
	for _, every := range []int64{small.every, 0} {
		cfg := small
		cfg.every = every
		results, err := runAll(cfg)
		require.NoError(t, err, "every=%d: runs", every)
		require.Len(t, results, len(sinkNames)*len(cfg.producers), "every=%d: one result per sink and producer count", every)
		for _, r := range results {
			assert.NoError(t, r.check(), "every=%d, %s, %d producers: accounting", every, r.sink, r.producers)
			assert.Equal(t, cfg.entries, r.written, "every=%d, %s: written", every, r.sink)
			assert.LessOrEqual(t, r.p50, r.p99, "every=%d, %s: p50 <= p99", every, r.sink)
			assert.LessOrEqual(t, r.p999, r.max, "every=%d, %s: p99.9 <= max", every, r.sink)
			if r.stats != nil {
				assert.Equal(t, uint64(r.written), uint64(r.delivered)+r.stats.Dropped, "every=%d, %s: delivered + Stats().Dropped", every, r.sink)
			}
		}
	}
}

func TestQuantile(t *testing.T) {
	d := make([]time.Duration, 1000)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	tests := []struct {
		give float64
		want time.Duration
	}{
		{give: 0.5, want: 500},
		{give: 0.99, want: 990},
		{give: 0.999, want: 999},
		{give: 1, want: 1000},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quantile(d, tt.give), "quantile %v", tt.give)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		give func(*config)
		want string
	}{
		{name: "no entries", give: func(c *config) { c.entries = 0 }, want: "-entries 0"},
		{name: "tiny entries", give: func(c *config) { c.size = 1 }, want: "-size 1"},
		{name: "negative stall size", give: func(c *config) { c.every = -1 }, want: "-every -1"},
		{name: "no producers", give: func(c *config) { c.producers = []int{0} }, want: "-producers 0"},
		{name: "unknown sink", give: func(c *config) { c.sinks = []string{"nope"} }, want: `-sinks "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := small
			tt.give(&c)
			err := c.validate()
			require.Error(t, err, "validate")
			assert.Contains(t, err.Error(), tt.want, "error names the flag and value")
		})
	}
	assert.NoError(t, small.validate(), "the small config is valid")
}

// BenchmarkStall runs the small configuration, so that CI's
// `go test -run '^$' -bench .` exercises the program's logic and checks
// its accounting.
func BenchmarkStall(b *testing.B) {
	cfg := small
	cfg.producers = []int{4}
	for range b.N {
		results, err := runAll(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if err := r.check(); err != nil {
				b.Fatalf("%s: %v", r.sink, err)
			}
		}
	}
}
