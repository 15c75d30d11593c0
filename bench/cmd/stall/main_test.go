package main

import (
	"bytes"
	"io"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/streamsink/streamsink/bench/internal/measure"
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
			assert.Equal(t, cfg.entries, r.lat.N, "every=%d, %s: every Write timed", every, r.sink)
			assert.LessOrEqual(t, r.lat.P50, r.lat.P99, "every=%d, %s: p50 <= p99", every, r.sink)
			assert.LessOrEqual(t, r.lat.P9999, r.lat.Max, "every=%d, %s: p99.99 <= max", every, r.sink)
			if r.stats != nil {
				assert.Equal(t, uint64(r.written), uint64(r.delivered)+r.stats.Dropped, "every=%d, %s: delivered + Stats().Dropped", every, r.sink)
			}
		}
	}
}

func TestPrintJSON(t *testing.T) {
	cfg := small
	cfg.sinks = []string{"bws", "diode", "stream-drop"}
	cfg.producers = []int{4}
	results, err := runAll(cfg)
	require.NoError(t, err, "runs")
	var buf bytes.Buffer
	require.NoError(t, printJSON(&buf, cfg, results), "print")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, len(results), "one line per result:\n%s", buf.String())
	for i, line := range lines {
		rec, ok := measure.ParseStallRecord(line)
		require.True(t, ok, "line %d is a stall record: %s", i, line)
		r := results[i]
		assert.Equal(t, r.sink, rec.Sink, "sink")
		assert.Equal(t, 4, rec.Producers, "producers")
		assert.True(t, rec.Stalls, "%s: stalls", r.sink)
		assert.Equal(t, cfg.every, rec.Every, "%s: stall size", r.sink)
		assert.Equal(t, cfg.pause, rec.Pause, "%s: stall length", r.sink)
		assert.Equal(t, streamBuffer, rec.BufferSize, "%s: buffer size", r.sink)
		assert.Equal(t, r.lat.P999, rec.P999, "%s: p99.9", r.sink)
		assert.Equal(t, r.lat.Max, rec.Max, "%s: max", r.sink)
		assert.Equal(t, r.lat.Slow, rec.Slow, "%s: slow writes", r.sink)
		assert.Equal(t, cfg.entries, rec.Written, "%s: written", r.sink)
		assert.Equal(t, r.delivered, rec.Delivered, "%s: delivered", r.sink)
		assert.Equal(t, r.dstWrites, rec.DstWrites, "%s: destination writes", r.sink)
		switch r.sink {
		case "bws":
			assert.Equal(t, int64(-1), rec.SinkDropped, "bws cannot say what it dropped")
		case "diode":
			assert.Equal(t, r.alerts, rec.SinkDropped, "the diode's alerts")
		default:
			assert.Equal(t, int64(r.stats.Dropped), rec.SinkDropped, "the stream's Stats().Dropped")
		}
	}
}

func TestPrintTable(t *testing.T) {
	cfg := small
	cfg.sinks = []string{"discard", "stream-block"}
	cfg.producers = []int{1}
	results, err := runAll(cfg)
	require.NoError(t, err, "runs")
	var buf bytes.Buffer
	printTable(&buf, "With stalls", results)
	out := buf.String()
	assert.Contains(t, out, "| p99.99 ", "p99.99 column")
	assert.Contains(t, out, "| Writes > 1ms ", "slow Writes column")
	assert.Regexp(t, `\| stream-block +\| 1 +\|.*\| 2000 +\| 2000 \(100\.0%\) +\| 0 +\| 0 \(Stats\)`, out, "stream-block row")
	assert.Contains(t, out, "(control)", "discard row")
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
