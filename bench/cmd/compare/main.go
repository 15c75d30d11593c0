// Command compare runs the bench module's benchmarks several times,
// interleaved, and prints a Markdown table of medians with each sink's
// ratio to the floor (discard) and to BufferedWriteSyncer (bws-file).
//
//	cd bench
//	go run ./cmd/compare                        # 5 runs of every benchmark, 1s each
//	go run ./cmd/compare -n 7 -bench 'Zap|Raw' -benchtime 500ms -o raw.txt
//	go run ./cmd/compare -in raw.txt            # tables from saved output
//
// The test binary is built once and run n times, each run going through
// every benchmark once, so that all sinks see the same changes in machine
// load. Ratios are computed within each run (stream-block and discard from
// the same run) and then the median of those ratios is printed; ns/op, B/op,
// allocs/op, MB/s and dropped/op are medians across runs. The targets of
// issue 6 are checked at the end.
//
// # Output
//
// Every sub-benchmark named family/sink (BenchmarkZap/serial/stream-block)
// is compared with family/discard and family/bws-file of the same run. The
// ns/op column also shows the spread (min-max) across runs.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The sinks every other sink is compared with.
const (
	floorSink = "discard"
	bwsSink   = "bws-file"
)

func main() {
	var (
		n         = flag.Int("n", 5, "number of interleaved runs")
		bench     = flag.String("bench", ".", "benchmarks to run (go test -bench)")
		benchtime = flag.String("benchtime", "1s", "time or iterations per benchmark (go test -benchtime)")
		pkg       = flag.String("pkg", ".", "package holding the benchmarks")
		in        = flag.String("in", "", "comma-separated files of saved `go test -bench` output to read instead of running")
		out       = flag.String("o", "", "file to save the raw benchmark output to")
	)
	flag.Parse()
	if err := run(os.Stdout, *n, *bench, *benchtime, *pkg, *in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, n int, bench, benchtime, pkg, in, out string) error {
	if n < 1 {
		return fmt.Errorf("-n %d: need at least one run", n)
	}
	var raw bytes.Buffer
	var cond string
	if in != "" {
		for _, name := range strings.Split(in, ",") {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			raw.Write(b)
		}
		cond = fmt.Sprintf("from %s", in)
	} else {
		start := time.Now()
		load0 := loadAvg()
		if err := runBenchmarks(&raw, n, bench, benchtime, pkg); err != nil {
			return err
		}
		cond = fmt.Sprintf("%d interleaved runs, -benchtime %s, %s, load average %s at the start and %s at the end",
			n, benchtime, time.Since(start).Round(time.Second), load0, loadAvg())
	}
	if out != "" {
		if err := os.WriteFile(out, raw.Bytes(), 0o644); err != nil {
			return err
		}
	}
	res, err := parse(&raw)
	if err != nil {
		return err
	}
	if len(res.order) == 0 {
		return errors.New("no benchmark results")
	}
	printMachine(w, res, cond)
	printTables(w, res)
	printTargets(w, res)
	printSlogTargets(w, res)
	return nil
}

// runBenchmarks builds the test binary once and runs it n times.
func runBenchmarks(raw io.Writer, n int, bench, benchtime, pkg string) error {
	dir, err := os.MkdirTemp("", "compare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, pkg)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c %s: %w", pkg, err)
	}
	for i := range n {
		fmt.Fprintf(os.Stderr, "run %d/%d\n", i+1, n)
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", bench,
			"-test.benchtime", benchtime, "-test.count", "1")
		cmd.Dir = pkg
		cmd.Stderr = os.Stderr
		cmd.Stdout = io.MultiWriter(raw, os.Stderr)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
	}
	return nil
}

// A sample is one result line: metric unit to value.
type sample map[string]float64

// results holds every sample by benchmark name (without the GOMAXPROCS
// suffix), in the order of the runs, plus the header lines.
type results struct {
	order   []string            // benchmark names, first-seen order
	runs    map[string][]sample // name -> one sample per run
	cpu     string
	goos    string
	goarch  string
	procs   string
	headers map[string]bool
}

// parse reads `go test -bench` output. The k-th result of a benchmark
// belongs to run k.
func parse(r io.Reader) (*results, error) {
	res := &results{runs: map[string][]sample{}, headers: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
			switch k {
			case "cpu":
				res.cpu = strings.TrimSpace(v)
			case "goos":
				res.goos = strings.TrimSpace(v)
			case "goarch":
				res.goarch = strings.TrimSpace(v)
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

func printMachine(w io.Writer, r *results, cond string) {
	cpu := r.cpu
	if m := cpuModel(); m != "" {
		cpu = m
	}
	procs := r.procs
	if procs == "" {
		procs = "1"
	}
	runs := 0
	for _, name := range r.order {
		runs = max(runs, len(r.runs[name]))
	}
	fmt.Fprintf(w, "Machine: %s, %d CPUs (GOMAXPROCS %s), %s/%s, %s. Runs: %d (%s).\n\n",
		cpu, runtime.NumCPU(), procs, r.goos, r.goarch, goVersion(), runs, cond)
}

func printTables(w io.Writer, r *results) {
	// One table per top-level benchmark.
	var tops []string
	byTop := map[string][]string{}
	for _, name := range r.order {
		top, _, _ := strings.Cut(name, "/")
		if _, ok := byTop[top]; !ok {
			tops = append(tops, top)
		}
		byTop[top] = append(byTop[top], name)
	}
	for _, top := range tops {
		fmt.Fprintf(w, "### %s\n\n", top)
		fmt.Fprintln(w, "| benchmark | ns/op (min-max) | × discard | × bws-file | B/op | allocs/op | MB/s | dropped/op |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, name := range byTop[top] {
			family, _ := split(name)
			ns := r.metric(name, "ns/op")
			fmt.Fprintf(w, "| %s | %s (%s-%s) | %s | %s | %s | %s | %s | %s |\n",
				strings.TrimPrefix(name, top+"/"),
				num(median(ns)), num(slices.Min(ns)), num(slices.Max(ns)),
				ratio(r.ratios(name, family+"/"+floorSink)),
				ratio(r.ratios(name, family+"/"+bwsSink)),
				num(median(r.metric(name, "B/op"))),
				num(median(r.metric(name, "allocs/op"))),
				num(median(r.metric(name, "MB/s"))),
				frac(median(r.metric(name, "dropped/op"))))
		}
		fmt.Fprintln(w)
	}
}

// A target is one check from issue 6.
type target struct {
	what string
	got  float64 // NaN when the benchmarks were not run
	ok   func(float64) bool
	want string
}

func printTargets(w io.Writer, r *results) {
	var ts []target
	for _, mode := range []string{"serial", "parallel", "parallel8"} {
		fam := "BenchmarkZap/" + mode + "/"
		for _, sk := range []string{"stream-block", "stream-block-newcore"} {
			ts = append(ts,
				target{mode + ": zap + " + sk + " / zap + discard",
					median(r.ratios(fam+sk, fam+floorSink)), atMost(1.05), "≤ 1.05"},
				target{mode + ": zap + " + sk + " / zap + lumberjack",
					median(r.ratios(fam+sk, fam+"lumberjack")), below(0.35), "< 0.35"})
		}
		ts = append(ts, target{mode + ": zap + bws-file / zap + discard (peer; the issue measured ≤ 1.05)",
			median(r.ratios(fam+bwsSink, fam+floorSink)), nil, ""})
	}
	for _, mode := range []string{"serial", "parallel", "parallel8"} {
		fam := "BenchmarkRaw/" + mode + "/"
		for _, sk := range []string{"stream-block", "stream-drop"} {
			ts = append(ts, target{mode + ": raw " + sk + " allocs/op",
				median(r.metric(fam+sk, "allocs/op")), atMost(0), "0"})
		}
		ts = append(ts, target{mode + ": raw 256-byte lines, stream-block / bws-file",
			median(r.ratios(fam+"stream-block", fam+bwsSink)), atMost(1), "≤ 1"})
	}
	fmt.Fprintln(w, "### Targets (issue 6)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | median | want | |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, t := range ts {
		verdict := ""
		switch {
		case math.IsNaN(t.got):
			verdict = "not run"
		case t.ok == nil:
			verdict = "reference"
		case t.ok(t.got):
			verdict = "met"
		default:
			verdict = "**missed**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.what, num(t.got), t.want, verdict)
	}
	fmt.Fprintln(w)
}

func atMost(x float64) func(float64) bool { return func(v float64) bool { return v <= x } }
func below(x float64) func(float64) bool  { return func(v float64) bool { return v < x } }

func ratio(v []float64) string {
	if len(v) == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", median(v))
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func frac(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
