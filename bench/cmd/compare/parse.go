package main

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/streamsink/streamsink/bench/internal/measure"
)

// A sample is one result line: metric unit to value.
type sample map[string]float64

// A stallKey names one row of cmd/stall: with or without stalls, a sink, a
// number of producers.
type stallKey struct {
	stalls    bool
	sink      string
	producers int
}

// results holds every sample by benchmark name (without the GOMAXPROCS
// suffix) and every stall record by row, in the order of the runs, plus
// the header lines.
type results struct {
	order      []string            // benchmark names, first-seen order
	runs       map[string][]sample // name -> one sample per run
	stallOrder []stallKey          // stall rows, first-seen order
	stall      map[stallKey][]measure.StallRecord
	cpu        string
	goos       string
	goarch     string
	procs      string
	conditions []string // how the runs were made, as compare saved them with -o
}

// conditionsKey starts the line in which compare saves the conditions of
// its runs with the raw output.
const conditionsKey = "compare-conditions"

// parse reads `go test -bench` output and cmd/stall -json records. The k-th
// result of a benchmark, and the k-th record of a stall row, belong to run k.
func parse(r io.Reader) (*results, error) {
	res := &results{runs: map[string][]sample{}, stall: map[stallKey][]measure.StallRecord{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rec, ok := measure.ParseStallRecord(line); ok {
			k := stallKey{rec.Stalls, rec.Sink, rec.Producers}
			if _, seen := res.stall[k]; !seen {
				res.stallOrder = append(res.stallOrder, k)
			}
			res.stall[k] = append(res.stall[k], rec)
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
			switch k {
			case "cpu":
				res.cpu = strings.TrimSpace(v)
			case "goos":
				res.goos = strings.TrimSpace(v)
			case "goarch":
				res.goarch = strings.TrimSpace(v)
			case conditionsKey:
				res.conditions = append(res.conditions, strings.TrimSpace(v))
			}
			continue
		}
		name, s, procs, ok := parseLine(line)
		if !ok {
			continue
		}
		if procs != "" {
			res.procs = procs
		}
		if _, seen := res.runs[name]; !seen {
			res.order = append(res.order, name)
		}
		res.runs[name] = append(res.runs[name], s)
	}
	return res, sc.Err()
}

// parseLine parses "BenchmarkX/y-2  1000  12.5 ns/op  3 B/op ...".
func parseLine(line string) (name string, s sample, procs string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return "", nil, "", false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, "", false
	}
	name = f[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name, procs = name[:i], name[i+1:]
		}
	}
	s = sample{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, "", false
		}
		s[f[i+1]] = v
	}
	if _, ok := s["ns/op"]; !ok {
		return "", nil, "", false
	}
	return name, s, procs, true
}

// runCount is the number of runs: the most results any benchmark or stall
// row has.
func (r *results) runCount() int {
	n := 0
	for _, name := range r.order {
		n = max(n, len(r.runs[name]))
	}
	for _, k := range r.stallOrder {
		n = max(n, len(r.stall[k]))
	}
	return n
}

// split returns the family and the sink of a benchmark name:
// BenchmarkZap/serial/discard is BenchmarkZap/serial and discard.
func split(name string) (family, sink string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

// ratios returns name's ns/op over other's, run by run, for the runs both
// have.
func (r *results) ratios(name, other string) []float64 {
	a, b := r.runs[name], r.runs[other]
	var out []float64
	for i := range min(len(a), len(b)) {
		if b[i]["ns/op"] > 0 {
			out = append(out, a[i]["ns/op"]/b[i]["ns/op"])
		}
	}
	return out
}

// metric returns the values of one metric across runs.
func (r *results) metric(name, unit string) []float64 {
	var out []float64
	for _, s := range r.runs[name] {
		if v, ok := s[unit]; ok {
			out = append(out, v)
		}
	}
	return out
}

// stallField returns one figure of a stall row across runs.
func (r *results) stallField(k stallKey, field func(measure.StallRecord) float64) []float64 {
	var out []float64
	for _, rec := range r.stall[k] {
		out = append(out, field(rec))
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
