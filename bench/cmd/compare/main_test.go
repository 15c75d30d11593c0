package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/streamsink/streamsink/bench
cpu: AMD EPYC
BenchmarkZap/serial/discard-2         	  616249	      1000 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/bws-file-2        	  720003	      1100 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/lumberjack-2      	  257835	      4000 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/stream-block-2    	  701126	      1020 ns/op	     399 B/op	       1 allocs/op
BenchmarkZap/serial/stream-drop-newcore-2          	  645591	       886.2 ns/op	         0.002508 dropped/op	     400 B/op	       1 allocs/op
--- FAIL: BenchmarkSomething
    x_test.go:1: not a result line
BenchmarkPhysical/file-1MiB-2                      	    2401	   1369755 ns/op	 765.52 MB/s	       0 B/op	       0 allocs/op
PASS
BenchmarkZap/serial/discard-2         	  616249	      2000 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/bws-file-2        	  720003	      2000 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/lumberjack-2      	  257835	      6000 ns/op	     384 B/op	       1 allocs/op
BenchmarkZap/serial/stream-block-2    	  701126	      2200 ns/op	     399 B/op	       1 allocs/op
`

func TestParse(t *testing.T) {
	r, err := parse(strings.NewReader(sampleOutput))
	require.NoError(t, err, "parse")
	assert.Equal(t, []string{
		"BenchmarkZap/serial/discard",
		"BenchmarkZap/serial/bws-file",
		"BenchmarkZap/serial/lumberjack",
		"BenchmarkZap/serial/stream-block",
		"BenchmarkZap/serial/stream-drop-newcore",
		"BenchmarkPhysical/file-1MiB",
	}, r.order, "benchmark names without the GOMAXPROCS suffix, first-seen order")
	assert.Equal(t, "AMD EPYC", r.cpu, "cpu header")
	assert.Equal(t, "2", r.procs, "GOMAXPROCS suffix")
	assert.Len(t, r.runs["BenchmarkZap/serial/discard"], 2, "runs of discard")
	assert.Equal(t, sample{"ns/op": 886.2, "dropped/op": 0.002508, "B/op": 400, "allocs/op": 1},
		r.runs["BenchmarkZap/serial/stream-drop-newcore"][0], "extra metrics are kept")
	assert.Equal(t, 765.52, r.runs["BenchmarkPhysical/file-1MiB"][0]["MB/s"], "MB/s")

	// Ratios pair results of the same run: 1020/1000 and 2200/2000.
	assert.InDeltaSlice(t, []float64{1.02, 1.1},
		r.ratios("BenchmarkZap/serial/stream-block", "BenchmarkZap/serial/discard"), 1e-9, "ratios by run")
	assert.InDelta(t, 1.06, median(r.ratios("BenchmarkZap/serial/stream-block", "BenchmarkZap/serial/discard")), 1e-9, "median ratio")
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		give     string
		wantName string
		wantOK   bool
	}{
		{give: "BenchmarkRaw/serial/file-2 	 441246	      1148 ns/op	 223.01 MB/s", wantName: "BenchmarkRaw/serial/file", wantOK: true},
		{give: "BenchmarkRaw/serial/file 	 441246	      1148 ns/op", wantName: "BenchmarkRaw/serial/file", wantOK: true},
		{give: "BenchmarkPhysical/file-1MiB 	 2401	 1369755 ns/op", wantName: "BenchmarkPhysical/file-1MiB", wantOK: true},
		{give: "BenchmarkZap/serial/diode-2           	2026/11/26 06:04:34 Diode set collision", wantOK: false},
		{give: "BenchmarkZap/serial/diode-2 	 10	 12 B/op", wantOK: false},
		{give: "ok  	github.com/streamsink/streamsink/bench	75.844s", wantOK: false},
	}
	for _, tt := range tests {
		name, _, _, ok := parseLine(tt.give)
		assert.Equal(t, tt.wantOK, ok, "parse %q", tt.give)
		assert.Equal(t, tt.wantName, name, "name of %q", tt.give)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		give []float64
		want float64
	}{
		{give: []float64{3, 1, 2}, want: 2},
		{give: []float64{4, 1, 3, 2}, want: 2.5},
		{give: []float64{7}, want: 7},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, median(tt.give), "median of %v", tt.give)
	}
	assert.True(t, math.IsNaN(median(nil)), "median of nothing")
}

func TestTables(t *testing.T) {
	r, err := parse(strings.NewReader(sampleOutput))
	require.NoError(t, err, "parse")
	var buf bytes.Buffer
	printTables(&buf, r)
	printTargets(&buf, r)
	out := buf.String()
	assert.Contains(t, out, "| serial/stream-block | 1610 (1020-2200) | 1.06 | 1.01 | 399 | 1 |  |  |", "stream-block row")
	assert.Contains(t, out, "| serial: zap + stream-block / zap + discard | 1.06 | ≤ 1.05 | **missed** |", "missed target")
	assert.Contains(t, out, "| serial: zap + stream-block / zap + lumberjack | 0.31 | < 0.35 | met |", "met target")
	assert.Contains(t, out, "| serial/stream-drop-newcore | 886 (886-886) |", "a benchmark from one run only")
	assert.Contains(t, out, "| 0.3% |", "dropped/op as a percentage")
	assert.Contains(t, out, "| serial: raw stream-block allocs/op |  | 0 | not run |", "a target without results")
}
