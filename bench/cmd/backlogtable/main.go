// Command backlogtable reads the output of several runs of BenchmarkBacklog
// and BenchmarkSlogBacklog (go test -bench, one after the other, so that
// the runs interleave) and prints bench/README.md's backlog table: for
// each row the median ns/op across runs with the spread, the median
// allocations and bytes, and the median of the row's ratios to the
// family's info and debug references (zap-info and zap-debug, or slog-info
// and slog-debug), each ratio computed within one run.
//
//	for i in 1 2 3 4 5; do go test -run '^$' -bench 'Backlog' -benchtime 300ms . ; done > backlog.txt
//	go run ./cmd/backlogtable < backlog.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	rs, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backlogtable:", err)
		os.Exit(1)
	}
	fmt.Print(rs.table())
}

// A result is one benchmark line.
type result struct {
	nsOp, bytesOp, allocsOp float64
}

// results holds every run of every benchmark, in the order first seen.
type results struct {
	names []string
	runs  map[string][]result // by name, run by run
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

func parse(r io.Reader) (*results, error) {
	rs := &results{runs: map[string][]result{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var res result
		var err error
		if res.nsOp, err = strconv.ParseFloat(m[2], 64); err != nil {
			return nil, fmt.Errorf("ns/op in %q: %w", sc.Text(), err)
		}
		res.bytesOp, _ = strconv.ParseFloat(m[3], 64)
		res.allocsOp, _ = strconv.ParseFloat(m[4], 64)
		if _, ok := rs.runs[m[1]]; !ok {
			rs.names = append(rs.names, m[1])
		}
		rs.runs[m[1]] = append(rs.runs[m[1]], res)
	}
	return rs, sc.Err()
}

// refs returns the names of the info and debug references of name's
// family: the rows of the same family whose last element ends in -info and
// -debug.
func (rs *results) refs(name string) (info, debug string) {
	family := name[:strings.LastIndexByte(name, '/')+1]
	for _, n := range rs.names {
		if !strings.HasPrefix(n, family) || strings.Contains(n[len(family):], "/") {
			continue
		}
		switch last := n[len(family):]; {
		case strings.HasSuffix(last, "-info") && info == "":
			info = n
		case strings.HasSuffix(last, "-debug") && debug == "":
			debug = n
		}
	}
	return info, debug
}

// ratio returns the median of name's ns/op over ref's, run by run.
func (rs *results) ratio(name, ref string) string {
	a, b := rs.runs[name], rs.runs[ref]
	var rats []float64
	for i := range min(len(a), len(b)) {
		if b[i].nsOp > 0 {
			rats = append(rats, a[i].nsOp/b[i].nsOp)
		}
	}
	if len(rats) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", median(rats))
}

func (rs *results) table() string {
	var b strings.Builder
	b.WriteString("| benchmark | runs | ns/op (min-max) | B/op | allocs/op | × info ref | × debug ref |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range rs.names {
		runs := rs.runs[name]
		ns := values(runs, func(r result) float64 { return r.nsOp })
		info, debug := rs.refs(name)
		fmt.Fprintf(&b, "| %s | %d | %.0f (%.0f-%.0f) | %.0f | %.0f | %s | %s |\n",
			strings.TrimPrefix(name, "Benchmark"), len(runs), median(ns), slices.Min(ns), slices.Max(ns),
			median(values(runs, func(r result) float64 { return r.bytesOp })),
			median(values(runs, func(r result) float64 { return r.allocsOp })),
			rs.ratio(name, info), rs.ratio(name, debug))
	}
	return b.String()
}

func values(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
