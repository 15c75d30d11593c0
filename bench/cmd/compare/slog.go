package main

import (
	"fmt"
	"io"
	"math"
)

// The log/slog rows (issue 15). BenchmarkSlog and BenchmarkSlogWith get
// compare's usual tables, whose × discard and × bws-file columns there are
// slog.NewJSONHandler over io.Discard and over BufferedWriteSyncer. This
// file adds their checks: NewSlogHandler adds no allocation to what
// slog.NewJSONHandler makes over the same stream, and its time against the
// peers, for reference: wall time, and for serial runs the CPU time of the
// logging thread.

// cpuUnit is the CPU time of the logging thread per record, which the
// serial slog benchmarks report: steadier than ns/op on a loaded machine.
const cpuUnit = "caller-cpu-ns/op"

// slogFamilies are the benchmarks of bench/slog_bench_test.go.
var slogFamilies = []string{"BenchmarkSlog", "BenchmarkSlogWith"}

// printSlogTargets prints the slog checks, if the slog benchmarks ran.
func printSlogTargets(w io.Writer, r *results) {
	var ts []target
	for _, fam := range slogFamilies {
		for _, mode := range []string{"serial", "parallel", "parallel8"} {
			f := fam + "/" + mode + "/"
			handler := f + "stream-block-handler"
			if _, ok := r.runs[handler]; !ok {
				continue
			}
			what := fam + " " + mode + ": "
			ts = append(ts,
				target{what + "NewSlogHandler allocs/op − slog.NewJSONHandler allocs/op, same stream",
					median(r.diffs(handler, f+"stream-block", "allocs/op")), atMost(0), "≤ 0"},
				target{what + "NewSlogHandler / slog.NewJSONHandler, same stream",
					median(r.ratios(handler, f+"stream-block")), nil, ""},
				target{what + "NewSlogHandler / slog.NewJSONHandler(BufferedWriteSyncer)",
					median(r.ratios(handler, f+bwsSink)), nil, ""},
				target{what + "NewSlogHandler / slog.NewJSONHandler(file)",
					median(r.ratios(handler, f+"file")), nil, ""},
				target{what + "zapslog over logsink.NewCore / zapslog over BufferedWriteSyncer",
					median(r.ratios(f+"stream-block-zapslog", f+"bws-file-zapslog")), nil, ""},
			)
			if mode == "serial" {
				ts = append(ts, target{what + "NewSlogHandler / slog.NewJSONHandler, same stream, caller thread CPU",
					median(r.unitRatios(handler, f+"stream-block", cpuUnit)), nil, ""})
			}
		}
	}
	if len(ts) == 0 {
		return
	}
	fmt.Fprintln(w, "### Targets (issue 15: log/slog)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | median | want | |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, t := range ts {
		verdict := "reference"
		switch {
		case math.IsNaN(t.got):
			verdict = "not run"
		case t.ok == nil:
		case t.ok(t.got):
			verdict = "met"
		default:
			verdict = "**missed**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.what, num(t.got), t.want, verdict)
	}
	fmt.Fprintln(w)
}

// diffs returns name's unit minus other's, run by run, for the runs both
// have.
func (r *results) diffs(name, other, unit string) []float64 {
	return r.pairs(name, other, unit, func(x, y float64) (float64, bool) { return x - y, true })
}

// unitRatios returns name's unit over other's, run by run, for the runs
// both have.
func (r *results) unitRatios(name, other, unit string) []float64 {
	return r.pairs(name, other, unit, func(x, y float64) (float64, bool) { return x / y, y > 0 })
}

// pairs applies f to name's and other's unit, run by run, keeping the
// results f reports ok.
func (r *results) pairs(name, other, unit string, f func(x, y float64) (float64, bool)) []float64 {
	a, b := r.runs[name], r.runs[other]
	var out []float64
	for i := range min(len(a), len(b)) {
		x, okx := a[i][unit]
		y, oky := b[i][unit]
		if !okx || !oky {
			continue
		}
		if v, ok := f(x, y); ok {
			out = append(out, v)
		}
	}
	return out
}
