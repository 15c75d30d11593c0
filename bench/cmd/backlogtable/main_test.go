package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoRuns = `goos: linux
BenchmarkBacklog/serial/debug/zap-info-2     	 1000	   10.0 ns/op	   0 B/op	   0 allocs/op
BenchmarkBacklog/serial/debug/zap-debug-2    	 1000	  100.0 ns/op	 384 B/op	   1 allocs/op
BenchmarkBacklog/serial/debug/backlog-2      	 1000	  200.0 ns/op	 388 B/op	   1 allocs/op
PASS
BenchmarkBacklog/serial/debug/zap-info-2     	 1000	   20.0 ns/op	   0 B/op	   0 allocs/op
BenchmarkBacklog/serial/debug/zap-debug-2    	 1000	  100.0 ns/op	 384 B/op	   1 allocs/op
BenchmarkBacklog/serial/debug/backlog-2      	 1000	  400.0 ns/op	 390 B/op	   1 allocs/op
`

func TestTable(t *testing.T) {
	rs, err := parse(strings.NewReader(twoRuns))
	require.NoError(t, err, "parse")
	require.Len(t, rs.names, 3, "three benchmarks")
	info, debug := rs.refs("BenchmarkBacklog/serial/debug/backlog")
	assert.Equal(t, "BenchmarkBacklog/serial/debug/zap-info", info, "the info reference")
	assert.Equal(t, "BenchmarkBacklog/serial/debug/zap-debug", debug, "the debug reference")
	// Ratios within each run: 200/10 = 20 and 400/20 = 20 against info;
	// 2 and 4 against debug, median 3.
	assert.Contains(t, rs.table(), "| Backlog/serial/debug/backlog | 2 | 300 (200-400) | 389 | 1 | 20.00 | 3.00 |",
		"medians of the runs, ratios within each run")
}
