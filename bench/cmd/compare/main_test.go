package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsink/streamsink/bench/internal/measure"

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

// render parses input and returns what print writes for it.
func render(t *testing.T, input string, print func(io.Writer, *results)) string {
	t.Helper()
	r, err := parse(strings.NewReader(input))
	require.NoError(t, err, "parse")
	var buf bytes.Buffer
	print(&buf, r)
	return buf.String()
}

func TestTables(t *testing.T) {
	out := render(t, sampleOutput, printTables)
	assert.Contains(t, out, "| benchmark | ns/op (min-max) | × discard | × bws-file | B/op | allocs/op | dropped |\n", "zap columns: only the metrics the rows have")
	assert.Contains(t, out, "| serial/stream-block | 1610 (1020-2200) | 1.06 | 1.01 | 399 | 1 |  |\n", "stream-block row")
	assert.Contains(t, out, "| serial/stream-drop-newcore | 886 (886-886) |", "a benchmark from one run only")
	assert.Contains(t, out, "| 0.3% |", "dropped/op as a percentage")
	assert.Contains(t, out, "| benchmark | ns/op (min-max) | B/op | allocs/op | MB/s |\n|---|---:|---:|---:|---:|\n| file-1MiB |", "no ratio columns without peers in the family")
	assert.NotContains(t, out, "cmd/stall", "no stall table without stall records")
}

// latencyOutput holds two runs of two BenchmarkLatency rows and of a
// parallel zap row with the mutex wait.
const latencyOutput = `BenchmarkLatency/producers=4/discard-2 	 100	 500 ns/op	 2000 max-ns	 0 mutexwait-ns/op	 50.00 p50-ns	 100 p99-ns	 900 p99.9-ns	 1500 p99.99-ns
BenchmarkLatency/producers=4/stream-drop-2 	 100	 1000 ns/op	 0.01 dropped/op	 3000000 max-ns	 12 mutexwait-ns/op	 90.00 p50-ns	 300 p99-ns	 2800 p99.9-ns	 1000000 p99.99-ns
BenchmarkZap/parallel/stream-block-2 	 100	 1000 ns/op	 40 mutexwait-ns/op	 384 B/op	 1 allocs/op
BenchmarkLatency/producers=4/discard-2 	 100	 500 ns/op	 4000 max-ns	 0 mutexwait-ns/op	 50.00 p50-ns	 100 p99-ns	 900 p99.9-ns	 1500 p99.99-ns
BenchmarkLatency/producers=4/stream-drop-2 	 100	 1000 ns/op	 0.03 dropped/op	 5000000 max-ns	 14 mutexwait-ns/op	 110.00 p50-ns	 300 p99-ns	 3200 p99.9-ns	 1000000 p99.99-ns
BenchmarkZap/parallel/stream-block-2 	 100	 1000 ns/op	 60 mutexwait-ns/op	 384 B/op	 1 allocs/op
`

func TestTablesMetricColumns(t *testing.T) {
	out := render(t, latencyOutput, printTables)
	assert.Contains(t, out, "| benchmark | ns/op (min-max) | × discard | dropped | mutex wait ns/op | p50 | p99 | p99.9 | p99.99 | max |\n",
		"latency columns in their order, × discard from the control, no × bws-file")
	assert.Contains(t, out, "| producers=4/stream-drop | 1000 (1000-1000) | 2.00 | 2.0% | 13 | 100ns | 300ns | 3µs | 1ms | 4ms |", "medians, latencies as durations")
	assert.Contains(t, out, "| parallel/stream-block | 1000 (1000-1000) | 384 | 1 | 50 |", "mutex wait column")
	assert.Less(t, strings.Index(out, "### BenchmarkZap"), strings.Index(out, "### BenchmarkLatency"), "the zap table comes first, whatever ran first")
}

// stallLine is one cmd/stall -json line.
func stallLine(t *testing.T, stalls bool, sink string, p999, maxLat time.Duration, slow, delivered, dstWrites int) string {
	t.Helper()
	rec := measure.StallRecord{Kind: measure.StallKind, Stalls: stalls, Sink: sink, Producers: 4,
		Entries: 200000, Size: 256, BufferSize: 1 << 20, Written: 200000, Delivered: delivered,
		P50: 80, P99: 200, P999: p999, P9999: p999 * 2, Max: maxLat, Slow: slow, DstWrites: dstWrites, Total: time.Second}
	if stalls {
		rec.Every, rec.Pause = 1<<20, 200*time.Millisecond
	}
	b, err := json.Marshal(rec)
	require.NoError(t, err, "marshal")
	return string(b) + "\n"
}

// stallOutput returns three runs of cmd/stall -json with 4 producers, with
// and without stalls.
func stallOutput(t *testing.T) string {
	var b strings.Builder
	ms := time.Millisecond
	for run := range 3 {
		d := time.Duration(run) // a little spread between the runs
		b.WriteString(stallLine(t, true, "bws", 5*time.Microsecond, 400*ms+d, 40, 200000, 200))
		b.WriteString(stallLine(t, true, "diode", 50*time.Microsecond, 13*ms, 15+run, 5000, 5000))
		b.WriteString(stallLine(t, true, "stream-block", 8*time.Microsecond, 240*ms+d*ms, 20, 200000, 150))
		b.WriteString(stallLine(t, true, "stream-drop", (2800+d*1000)*time.Nanosecond, 12*ms, 7+2*run, 6000, 20))
		b.WriteString(stallLine(t, false, "bws", 5*time.Microsecond, ms, 0, 200000, 196))
		b.WriteString(stallLine(t, false, "diode", 50*time.Microsecond, ms, 1, 8000, 8000))
		b.WriteString(stallLine(t, false, "stream-block", 5*time.Microsecond, ms, 0, 200000, 1748-run))
		b.WriteString(stallLine(t, false, "stream-drop", 5*time.Microsecond, ms, 0, 199000+run*500, 300))
	}
	return b.String()
}

func TestStallTable(t *testing.T) {
	r, err := parse(strings.NewReader(sampleOutput + stallOutput(t)))
	require.NoError(t, err, "parse")
	assert.Equal(t, 3, r.runCount(), "runs: the stall records count")
	require.Len(t, r.stallOrder, 8, "stall rows")
	assert.Equal(t, stallKey{true, "bws", 4}, r.stallOrder[0], "first stall row")
	assert.Len(t, r.stall[stallKey{false, "stream-drop", 4}], 3, "records of a row, one per run")

	out := render(t, sampleOutput+stallOutput(t), printTables)
	assert.Contains(t, out, "### cmd/stall", "stall table")
	assert.Contains(t, out, "with stalls the destination sleeps 200ms after every 1048576 bytes", "stall configuration")
	assert.Contains(t, out, "| stalls | stream-drop | 4 | 80ns | 200ns | 3.8µs | 7.6µs | 12ms (12ms-12ms) | 9 | 3.0% | 20 | 1.00s |", "medians of the stream-drop row")
	assert.Contains(t, out, "| stalls | stream-block | 4 | 80ns | 200ns | 8µs | 16µs | 241ms (240ms-242ms) |", "max with its spread")
	assert.Contains(t, out, "| no stall | stream-block | 4 |", "rows without stalls")
}

func TestGoals(t *testing.T) {
	out := render(t, sampleOutput+stallOutput(t), printTargets)
	for _, want := range []string{
		"### Goals (issue 13)",
		// 1020/1100 and 2200/2000: median 1.01.
		"| zap + Stream(file, Block) ÷ zap + BWS(file), serial / parallel / parallel8 | 1.01 / – / – | ≤ 0.95 in every mode | **missed** (serial); not run: parallel, parallel8 |",
		"| zap + Stream(file, Block) ÷ zap + io.Discard, serial | 1.06 (BWS(file) ÷ io.Discard 1.05) | ≤ 1.05 | **missed** |",
		"| the same at GOMAXPROCS 8 (BenchmarkDropDelivery), serial / parallel / parallel8 | – / – / – | < 1% in every mode | not run |",
		"| cmd/stall, 200ms per 1 MiB, 4 producers, Drop: p99.9 | 3.8µs (diode 50µs; control –) | < 5 µs | met |",
		"| cmd/stall, 200ms per 1 MiB, 4 producers, Drop: Writes over 1 ms | 9 (diode 16; control –) | ≤ diode's in the same runs | met |",
		"| cmd/stall, 200ms per 1 MiB, 4 producers, Block: slowest Write | 241ms (BWS 400ms) | ≤ 1 buffer's drain time (200ms; checked ≤ 250ms) | met |",
		"| write calls to the destination for the same 51 MB, no stall, 4 producers, Block / Drop | 1747 / 300 (BWS 196) | as few as throughput needs (checked ≤ 2× BWS's) | **missed** (Block) |",
		"| issue 6: cmd/stall, no stall, 4 producers, Drop: entries dropped | 0.2% (diode 96.0%) | < 1% | met |",
		"| allocations per Write, Stream(Block), BenchmarkRaw serial / parallel / parallel8 | – / – / – | 0 | not run |",
	} {
		assert.Contains(t, out, want+"\n", "goal row")
	}
}

func TestGoalsMutexWaitAndLatency(t *testing.T) {
	out := render(t, latencyOutput, printTargets)
	assert.Contains(t, out, "| writers' mutex wait per entry (ns), zap + Stream(file, Block), parallel / parallel8 | 50 / – (BWS(file) – / –) | down (compare before and after) | reference; not run: parallel8 |", "mutex wait row")
	assert.Contains(t, out, "| the same, zap + Stream(file, Drop) | 100ns / 300ns / 3µs / 1ms / 4ms (diode – / – / – / – / –; control 50ns / 100ns / 900ns / 1.5µs / 3µs; dropped 2.0%, diode –) | diode's or better | reference |", "latency row")
}

func TestGoalVerdict(t *testing.T) {
	nan := math.NaN()
	checked := func(what string, got float64) target { return target{what: what, got: got, ok: atMost(1)} }
	tests := []struct {
		name string
		give []target
		want string
	}{
		{name: "all met", give: []target{checked("a", 0.5), checked("b", 1)}, want: "met"},
		{name: "one missed", give: []target{checked("a", 0.5), checked("b", 2)}, want: "**missed** (b)"},
		{name: "all missed", give: []target{checked("a", 3), checked("b", 2)}, want: "**missed**"},
		{name: "unnamed figure missed", give: []target{checked("", 3)}, want: "**missed**"},
		{name: "partly run", give: []target{checked("a", 0.5), checked("b", nan)}, want: "met; not run: b"},
		{name: "not run", give: []target{checked("a", nan)}, want: "not run"},
		{name: "reference", give: []target{{what: "a", got: 7}}, want: "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, goal{figures: tt.give, show: num}.verdict(), "verdict")
		})
	}
}

func TestRunFromSavedOutput(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "raw.txt")
	require.NoError(t, os.WriteFile(saved, []byte(sampleOutput+stallOutput(t)+conditionsKey+": 3 runs on a quiet machine\n"), 0o644), "save")
	again := filepath.Join(t.TempDir(), "again.txt")
	var buf bytes.Buffer
	require.NoError(t, run(&buf, config{n: 1, in: saved, out: again}), "run from saved output")
	out := buf.String()
	assert.Contains(t, out, "Runs: 3 (from "+saved+": 3 runs on a quiet machine)", "conditions saved with the output")
	assert.Contains(t, out, "### BenchmarkZap", "benchmark table")
	assert.Contains(t, out, "### cmd/stall", "stall table")
	assert.Contains(t, out, "### Goals (issue 13)", "goals")
	b, err := os.ReadFile(again)
	require.NoError(t, err, "-o file")
	assert.Equal(t, sampleOutput+stallOutput(t)+conditionsKey+": 3 runs on a quiet machine\n", string(b), "-o saves what it read")

	err = run(&buf, config{n: 1, in: filepath.Join(t.TempDir(), "empty.txt")})
	require.Error(t, err, "a missing file")
	empty := filepath.Join(t.TempDir(), "empty.txt")
	require.NoError(t, os.WriteFile(empty, []byte("PASS\n"), 0o644), "save")
	assert.ErrorContains(t, run(&buf, config{n: 1, in: empty}), "no benchmark results", "output without results")
	assert.ErrorContains(t, run(&buf, config{n: 0}), "-n 0", "no runs")
}

func TestCoreModfile(t *testing.T) {
	core := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(core, "go.mod"), []byte("module "+libraryModule+"\n\ngo 1.26\n"), 0o644), "fake core")
	dir := t.TempDir()
	modfile, err := coreModfile(dir, core)
	require.NoError(t, err, "modfile")
	b, err := os.ReadFile(modfile)
	require.NoError(t, err, "read modfile")
	assert.Contains(t, string(b), "replace "+libraryModule+" => "+core+"\n", "the replace points at the core")
	assert.FileExists(t, filepath.Join(dir, "bench.sum"), "go.sum copied beside it")
	own, err := os.ReadFile("../../go.mod")
	require.NoError(t, err, "the bench module's go.mod")
	assert.Contains(t, string(own), "replace "+libraryModule+" => ../\n", "the bench module's own go.mod is unchanged")

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644), "other module")
	_, err = coreModfile(t.TempDir(), other)
	assert.ErrorContains(t, err, "is not module "+libraryModule, "another module")
	_, err = coreModfile(t.TempDir(), t.TempDir())
	assert.ErrorContains(t, err, "not a checkout of the library", "no go.mod")
}

func TestDescribeCore(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...).CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	write := func(name, text string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755), "mkdir")
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644), "write %s", name)
	}
	git("init", "-q")
	write("logsink/stream.go", "package logsink\n")
	git("add", ".")
	git("commit", "-qm", "library")
	library := git("rev-parse", "--short", "HEAD")
	write("bench/README.md", "results\n")
	git("add", ".")
	git("commit", "-qm", "bench")

	assert.Equal(t, "at "+dir+" (last library commit "+library+")", describeCore(dir), "a bench commit is not the library's")
	write("bench/README.md", "more results\n")
	assert.Equal(t, "at "+dir+" (last library commit "+library+")", describeCore(dir), "uncommitted bench changes do not count")
	write("logsink/stream.go", "package logsink // changed\n")
	assert.Equal(t, "at "+dir+" (last library commit "+library+", with uncommitted changes)", describeCore(dir), "uncommitted library changes")
	assert.Equal(t, "at "+filepath.Join(dir, "nope"), describeCore(filepath.Join(dir, "nope")), "not a checkout")
}
