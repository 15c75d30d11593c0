package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/streamsink/streamsink/bench/internal/measure"
)

// mutexWaitUnit is the benchmarks' metric for the writers' mutex wait.
const mutexWaitUnit = "mutexwait-ns/op"

// metricColumns are the metrics the benchmarks report, in the order of the
// tables' columns, with their headings. A table shows a column only if one
// of its rows has the metric; metrics not listed here follow, by name.
var metricColumns = []struct{ unit, title string }{
	{"B/op", "B/op"},
	{"allocs/op", "allocs/op"},
	{"MB/s", "MB/s"},
	{"dropped/op", "dropped"},
	{mutexWaitUnit, "mutex wait ns/op"},
	{"p50-ns", "p50"},
	{"p99-ns", "p99"},
	{"p99.9-ns", "p99.9"},
	{"p99.99-ns", "p99.99"},
	{"max-ns", "max"},
}

// tableOrder is the order of the tables of the benchmarks it names; the
// others follow in the order they ran.
var tableOrder = []string{"BenchmarkZap", "BenchmarkDropDelivery", "BenchmarkLatency", "BenchmarkRaw", "BenchmarkPhysical"}

// printTables prints one table per top-level benchmark, then the stall
// program's table.
func printTables(w io.Writer, r *results) {
	var tops []string
	byTop := map[string][]string{}
	for _, name := range r.order {
		top, _, _ := strings.Cut(name, "/")
		if _, ok := byTop[top]; !ok {
			tops = append(tops, top)
		}
		byTop[top] = append(byTop[top], name)
	}
	rank := func(top string) int {
		if i := slices.Index(tableOrder, top); i >= 0 {
			return i
		}
		return len(tableOrder)
	}
	slices.SortStableFunc(tops, func(a, b string) int { return rank(a) - rank(b) })
	for _, top := range tops {
		printBenchTable(w, r, top, byTop[top])
	}
	printStallTable(w, r)
}

// printBenchTable prints the rows of one top-level benchmark: ns/op with
// its spread, the ratios to discard and bws-file where the row's family
// has them, and the medians of the metrics the rows report.
func printBenchTable(w io.Writer, r *results, top string, names []string) {
	hasPeer := map[string]bool{}
	units := map[string]bool{}
	for _, name := range names {
		family, _ := split(name)
		for _, peer := range []string{floorSink, bwsSink} {
			if _, ok := r.runs[family+"/"+peer]; ok {
				hasPeer[peer] = true
			}
		}
		for _, s := range r.runs[name] {
			for u := range s {
				units[u] = true
			}
		}
	}
	delete(units, "ns/op")
	var cols []string
	titles := map[string]string{}
	for _, c := range metricColumns {
		if units[c.unit] {
			cols = append(cols, c.unit)
			titles[c.unit] = c.title
			delete(units, c.unit)
		}
	}
	rest := make([]string, 0, len(units))
	for u := range units {
		rest = append(rest, u)
	}
	slices.Sort(rest)
	cols = append(cols, rest...)

	head := []string{"benchmark", "ns/op (min-max)"}
	for _, peer := range []string{floorSink, bwsSink} {
		if hasPeer[peer] {
			head = append(head, "× "+peer)
		}
	}
	for _, u := range cols {
		head = append(head, cmp.Or(titles[u], u))
	}
	fmt.Fprintf(w, "### %s\n\n", top)
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|---%s|\n", strings.Repeat("|---:", len(head)-1))
	for _, name := range names {
		family, _ := split(name)
		ns := r.metric(name, "ns/op")
		row := []string{strings.TrimPrefix(name, top+"/"),
			fmt.Sprintf("%s (%s-%s)", num(median(ns)), num(slices.Min(ns)), num(slices.Max(ns)))}
		for _, peer := range []string{floorSink, bwsSink} {
			if hasPeer[peer] {
				row = append(row, ratio(r.ratios(name, family+"/"+peer)))
			}
		}
		for _, u := range cols {
			row = append(row, formatMetric(u, median(r.metric(name, u))))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}

// formatMetric formats a median of unit: fractions as percentages,
// latencies (units ending in -ns) as durations, the rest as numbers.
func formatMetric(unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case unit == "dropped/op":
		return frac(v)
	case strings.HasSuffix(unit, "-ns"):
		return measure.FormatDuration(time.Duration(v))
	default:
		return num(v)
	}
}

// printStallTable prints the medians of cmd/stall's rows, if it ran.
func printStallTable(w io.Writer, r *results) {
	if len(r.stallOrder) == 0 {
		return
	}
	fmt.Fprintf(w, "### cmd/stall\n\n")
	if recs := r.stall[r.stallOrder[0]]; len(recs) > 0 {
		c := recs[0]
		fmt.Fprintf(w, "%d entries of %d bytes per row; with stalls the destination sleeps %v after every %d bytes; medians of the runs, max with its spread.\n\n",
			c.Entries, c.Size, r.stallPause(), r.stallEvery())
	}
	fmt.Fprintln(w, "| destination | sink | producers | p50 | p99 | p99.9 | p99.99 | max (min-max) | Writes > 1ms | delivered | dst writes | wall+close |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, k := range r.stallOrder {
		d := func(f func(measure.StallRecord) time.Duration) []float64 {
			return r.stallField(k, func(rec measure.StallRecord) float64 { return float64(f(rec)) })
		}
		md := func(f func(measure.StallRecord) time.Duration) string {
			return measure.FormatDuration(time.Duration(median(d(f))))
		}
		maxes := d(func(rec measure.StallRecord) time.Duration { return rec.Max })
		dest := "no stall"
		if k.stalls {
			dest = "stalls"
		}
		delivered := frac(median(r.stallField(k, func(rec measure.StallRecord) float64 {
			return float64(rec.Delivered) / float64(rec.Written)
		})))
		writes := num(median(r.stallField(k, func(rec measure.StallRecord) float64 { return float64(rec.DstWrites) })))
		if k.sink == "discard" {
			delivered, writes = "(control)", ""
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s (%s-%s) | %s | %s | %s | %s |\n",
			dest, k.sink, k.producers,
			md(func(rec measure.StallRecord) time.Duration { return rec.P50 }),
			md(func(rec measure.StallRecord) time.Duration { return rec.P99 }),
			md(func(rec measure.StallRecord) time.Duration { return rec.P999 }),
			md(func(rec measure.StallRecord) time.Duration { return rec.P9999 }),
			measure.FormatDuration(time.Duration(median(maxes))), measure.FormatDuration(time.Duration(slices.Min(maxes))), measure.FormatDuration(time.Duration(slices.Max(maxes))),
			num(median(r.stallField(k, func(rec measure.StallRecord) float64 { return float64(rec.Slow) }))),
			delivered, writes,
			md(func(rec measure.StallRecord) time.Duration { return rec.Total }))
	}
	fmt.Fprintln(w)
}

// stallPause and stallEvery return the stall of the rows with stalls (the
// first such record's), or zero.
func (r *results) stallPause() time.Duration {
	for _, k := range r.stallOrder {
		if k.stalls && len(r.stall[k]) > 0 {
			return r.stall[k][0].Pause
		}
	}
	return 0
}

func (r *results) stallEvery() int64 {
	for _, k := range r.stallOrder {
		if k.stalls && len(r.stall[k]) > 0 {
			return r.stall[k][0].Every
		}
	}
	return 0
}
