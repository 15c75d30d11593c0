package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slogOutput holds two runs of some BenchmarkSlog rows.
const slogOutput = `goos: linux
BenchmarkSlog/serial/discard-2                   	1000	 1000 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/file-2                      	1000	 4000 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/bws-file-2                  	1000	 1200 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/stream-block-2              	1000	 1100 ns/op	 900.0 caller-cpu-ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/stream-block-handler-2      	1000	 1100 ns/op	 990.0 caller-cpu-ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/bws-file-zapslog-2          	1000	 1500 ns/op	 432 B/op	 2 allocs/op
BenchmarkSlog/serial/stream-block-zapslog-2      	1000	 1500 ns/op	 432 B/op	 2 allocs/op
BenchmarkSlog/serial/discard-2                   	1000	 2000 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/file-2                      	1000	 8000 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/bws-file-2                  	1000	 2000 ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/stream-block-2              	1000	 2000 ns/op	 1000 caller-cpu-ns/op	 48 B/op	 1 allocs/op
BenchmarkSlog/serial/stream-block-handler-2      	1000	 2200 ns/op	 1000 caller-cpu-ns/op	 48 B/op	 2 allocs/op
BenchmarkSlog/serial/bws-file-zapslog-2          	1000	 3000 ns/op	 432 B/op	 2 allocs/op
BenchmarkSlog/serial/stream-block-zapslog-2      	1000	 2700 ns/op	 432 B/op	 2 allocs/op
`

func TestSlogTargets(t *testing.T) {
	r, err := parse(strings.NewReader(slogOutput))
	require.NoError(t, err, "parse")
	var buf bytes.Buffer
	printSlogTargets(&buf, r)
	out := buf.String()
	assert.Contains(t, out, "### Targets (issue 15: log/slog)", "the slog table")
	// Allocation differences by run: 0 and 1; their median is 0.5.
	assert.Contains(t, out, "| BenchmarkSlog serial: NewSlogHandler allocs/op − slog.NewJSONHandler allocs/op, same stream | 0.50 | ≤ 0 | **missed** |", "allocation check")
	// Ratios by run: 1100/1100 and 2200/2000.
	assert.Contains(t, out, "| BenchmarkSlog serial: NewSlogHandler / slog.NewJSONHandler, same stream | 1.05 |  | reference |", "ratio to the same stream")
	assert.Contains(t, out, "| BenchmarkSlog serial: NewSlogHandler / slog.NewJSONHandler(file) | 0.28 |  | reference |", "ratio to the file")
	assert.Contains(t, out, "| BenchmarkSlog serial: zapslog over logsink.NewCore / zapslog over BufferedWriteSyncer | 0.95 |  | reference |", "zapslog ratio")
	// Caller CPU ratios by run: 990/900 and 1000/1000.
	assert.Contains(t, out, "| BenchmarkSlog serial: NewSlogHandler / slog.NewJSONHandler, same stream, caller thread CPU | 1.05 |  | reference |", "caller CPU ratio")
	assert.NotContains(t, out, "BenchmarkSlog parallel", "no rows for modes that did not run")
}

func TestSlogTargetsNotRun(t *testing.T) {
	r, err := parse(strings.NewReader(sampleOutput))
	require.NoError(t, err, "parse")
	var buf bytes.Buffer
	printSlogTargets(&buf, r)
	assert.Empty(t, buf.String(), "no slog table without slog benchmarks")
}
