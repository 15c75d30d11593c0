// Command compare runs the bench module's benchmarks and the stall program
// several times, interleaved, and prints Markdown tables of medians, each
// sink's ratio to the floor (discard) and to BufferedWriteSyncer
// (bws-file), the stall program's figures, and the goals of issue 13, each
// met or missed.
//
//	cd bench
//	go run ./cmd/compare                        # 5 runs of every benchmark (500ms each) and of cmd/stall
//	go run ./cmd/compare -n 7 -bench 'Zap|Raw' -stall '' -o raw.txt
//	go run ./cmd/compare -in raw.txt            # tables from saved output
//	go run ./cmd/compare -core /tmp/before      # the same against another checkout of the library
//
// The test binary and cmd/stall are built once; each run then goes through
// every benchmark once and runs cmd/stall -json once, so that all sinks see
// the same changes in machine load. Ratios are computed within each run
// (stream-block and discard from the same run) and then the median of those
// ratios is printed; every other figure is a median across runs.
//
// # Output
//
// Every sub-benchmark named family/sink (BenchmarkZap/serial/stream-block)
// is compared with family/discard and family/bws-file of the same run, when
// the family has them. The ns/op column also shows the spread (min-max)
// across runs; the other columns are the metrics the benchmarks report
// (allocations, MB/s, dropped/op, mutexwait-ns/op, the latency quantiles).
// The stall table holds the medians of cmd/stall's rows, and the goals
// table the figures with their peers.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// The sinks every other sink is compared with.
const (
	floorSink = "discard"
	bwsSink   = "bws-file"
)

// config is what the flags ask for.
type config struct {
	n         int    // interleaved runs
	bench     string // go test -bench; "" runs no benchmark
	benchtime string
	pkg       string // the package holding the benchmarks
	stall     string // cmd/stall's arguments; "" does not run it
	core      string // another checkout of the library to build against; "" for the bench module's own replace
	in        string // saved output to read instead of running
	out       string // file to save the raw output to
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 5, "number of interleaved runs")
	flag.StringVar(&c.bench, "bench", ".", "benchmarks to run (go test -bench); '' runs none")
	flag.StringVar(&c.benchtime, "benchtime", "500ms", "time or iterations per benchmark (go test -benchtime)")
	flag.StringVar(&c.pkg, "pkg", ".", "package holding the benchmarks")
	flag.StringVar(&c.stall, "stall", "-producers 4", "arguments for cmd/stall, run once per run with -json; '' runs it not")
	flag.StringVar(&c.core, "core", "", "directory of another checkout of the library to measure (the replace in a temporary copy of go.mod points at it)")
	flag.StringVar(&c.in, "in", "", "comma-separated files of saved output (-o) to read instead of running")
	flag.StringVar(&c.out, "o", "", "file to save the raw output to (benchmark lines and stall records)")
	flag.Parse()
	if err := run(os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, c config) error {
	if c.n < 1 {
		return fmt.Errorf("-n %d: need at least one run", c.n)
	}
	var raw bytes.Buffer
	var cond string
	if c.in != "" {
		for _, name := range strings.Split(c.in, ",") {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			raw.Write(b)
		}
		cond = fmt.Sprintf("from %s", c.in)
	} else {
		var err error
		if cond, err = runAll(&raw, c); err != nil {
			return err
		}
		// Saved with the output, so that -in can say how it was made.
		fmt.Fprintf(&raw, "%s: %s\n", conditionsKey, cond)
	}
	if c.out != "" {
		if err := os.WriteFile(c.out, raw.Bytes(), 0o644); err != nil {
			return err
		}
	}
	res, err := parse(&raw)
	if err != nil {
		return err
	}
	if len(res.order) == 0 && len(res.stallOrder) == 0 {
		return errors.New("no benchmark results and no stall records")
	}
	if c.in != "" && len(res.conditions) > 0 {
		cond += ": " + strings.Join(res.conditions, "; ")
	}
	printMachine(w, res, cond)
	printTables(w, res)
	printTargets(w, res)
	printSlogTargets(w, res)
	return nil
}

func printMachine(w io.Writer, r *results, cond string) {
	cpu := r.cpu
	if m := cpuModel(); m != "" {
		cpu = m
	}
	procs := r.procs
	if procs == "" {
		procs = strconv.Itoa(runtime.GOMAXPROCS(0))
	}
	fmt.Fprintf(w, "Machine: %s, %d CPUs (GOMAXPROCS %s), %s/%s, %s. Runs: %d (%s).\n\n",
		cpu, runtime.NumCPU(), procs, r.goos, r.goarch, goVersion(), r.runCount(), cond)
}

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
