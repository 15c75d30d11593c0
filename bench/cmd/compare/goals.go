package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/streamsink/streamsink/bench/internal/measure"
)

// The goals of issue 13 ("Drop keeps what the disk can take, and Write
// beats BufferedWriteSyncer in every mode"), one row per row of the issue's
// table, and the rows of issue 6 that still say something, each checked on
// the medians of the runs. Rows the issue gave no number for are shown for
// reference.

// The thresholds that are compare's reading of the issue where it gave no
// number.
const (
	// drainSlack is how far above one buffer's drain time the slowest Block
	// Write may be: the "≈ 200 ms" for a 200 ms stall, and its
	// "keep" for 203 ms.
	drainSlack = 1.25
	// dstWritesOverBWS is how many times BufferedWriteSyncer's count of
	// destination writes a stream may make for the same bytes: "as few as
	// throughput needs", read as batches no smaller than half of BWS's.
	dstWritesOverBWS = 2
)

// A target is one figure checked against its goal: the median of the
// interleaved runs and the test it must pass (nil: shown for reference).
type target struct {
	what string
	got  float64
	ok   func(float64) bool
	want string
}

// A goal is one row of the goals table: its figures (one per mode, say),
// each a target named by its what and shown by show, with the peers'
// figures beside them. Its want, if empty, is that of its figures.
type goal struct {
	measure string
	want    string
	figures []target
	show    func(float64) string
	peers   string // the peers' figures, formatted; may be empty
}

// verdict is "met" if every checked figure passes, "**missed**" naming the
// figures that do not, "reference" if none is checked, "not run" if there
// is no figure.
func (g goal) verdict() string {
	var missed, notRun []string
	checked, ran := false, false
	for _, f := range g.figures {
		if math.IsNaN(f.got) {
			notRun = append(notRun, f.what)
			continue
		}
		ran = true
		if f.ok == nil {
			continue
		}
		checked = true
		if !f.ok(f.got) {
			missed = append(missed, f.what)
		}
	}
	v := ""
	switch {
	case !ran:
		return "not run"
	case !checked:
		v = "reference"
	case len(missed) > 0:
		v = "**missed**"
		if len(missed) < len(g.figures) && missed[0] != "" {
			v += " (" + strings.Join(missed, ", ") + ")"
		}
	default:
		v = "met"
	}
	if len(notRun) > 0 && notRun[0] != "" {
		v += "; not run: " + strings.Join(notRun, ", ")
	}
	return v
}

// goalText is the goal's want or, if it has none, the distinct wants of its
// figures.
func (g goal) goalText() string {
	if g.want != "" {
		return g.want
	}
	var wants []string
	for _, f := range g.figures {
		if f.want != "" && !slices.Contains(wants, f.want) {
			wants = append(wants, f.want)
		}
	}
	return strings.Join(wants, " / ")
}

// got formats the figures, " / " between them, and the peers.
func (g goal) got() string {
	parts := make([]string, len(g.figures))
	for i, f := range g.figures {
		parts[i] = fig(g.show, f.got)
	}
	s := strings.Join(parts, " / ")
	if g.peers != "" {
		s += " (" + g.peers + ")"
	}
	return s
}

func atMost(x float64) func(float64) bool { return func(v float64) bool { return v <= x } }
func below(x float64) func(float64) bool  { return func(v float64) bool { return v < x } }

func showRatio(v float64) string { return fmt.Sprintf("%.2f", v) }
func showNs(v float64) string    { return measure.FormatDuration(time.Duration(v)) }

// fig formats a peer's figure with show, or a dash if it did not run.
func fig(show func(float64) string, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return show(v)
}

var modes = []string{"serial", "parallel", "parallel8"}

// goals builds the goals table from the results.
func goals(r *results) []goal {
	const zap = "BenchmarkZap/"
	perMode := func(f func(mode string) float64, ok func(float64) bool, ms ...string) []target {
		if len(ms) == 0 {
			ms = modes
		}
		ts := make([]target, len(ms))
		for i, m := range ms {
			ts[i] = target{what: m, got: f(m), ok: ok}
		}
		return ts
	}
	zapRatio := func(sink, peer string) func(string) float64 {
		return func(m string) float64 { return median(r.ratios(zap+m+"/"+sink, zap+m+"/"+peer)) }
	}
	med := func(name, unit string) float64 { return median(r.metric(name, unit)) }
	zapDropped := func(m string) float64 { return med(zap+m+"/stream-drop", "dropped/op") }

	gs := []goal{
		{measure: "zap + Stream(file, Block) ÷ zap + BWS(file), serial / parallel / parallel8", want: "≤ 0.95 in every mode",
			figures: perMode(zapRatio("stream-block", bwsSink), atMost(0.95)), show: showRatio},
		{measure: "the same through logsink.NewCore (stream-block-newcore)", want: "≤ 0.95 in every mode",
			figures: perMode(zapRatio("stream-block-newcore", bwsSink), atMost(0.95)), show: showRatio},
		{measure: "zap + Stream(file, Block) ÷ zap + io.Discard, serial", want: "≤ 1.05",
			figures: perMode(zapRatio("stream-block", floorSink), atMost(1.05), "serial"), show: showRatio,
			peers: "BWS(file) ÷ io.Discard " + fig(showRatio, zapRatio(bwsSink, floorSink)("serial"))},
		{measure: "zap + Stream(file, Drop): entries dropped, serial / parallel / parallel8, nothing stalled", want: "< 1% in every mode",
			figures: perMode(zapDropped, below(0.01)), show: frac},
	}
	for _, procs := range []int{1, 2, 8} {
		fam := fmt.Sprintf("BenchmarkDropDelivery/procs=%d/", procs)
		gs = append(gs, goal{measure: fmt.Sprintf("the same at GOMAXPROCS %d (BenchmarkDropDelivery), serial / parallel / parallel8", procs),
			want: "< 1% in every mode", show: frac,
			figures: perMode(func(m string) float64 { return med(fam+m, "dropped/op") }, below(0.01))})
	}
	gs = append(gs,
		goal{measure: "zap + Stream(file, Drop) ÷ zap + Stream(file, Block), serial, nothing dropped", want: "≤ 1.0",
			figures: perMode(zapRatio("stream-drop", "stream-block"), atMost(1), "serial"), show: showRatio,
			peers: "Drop dropped " + fig(frac, zapDropped("serial"))},
		goal{measure: "the same, parallel / parallel8 (Drop is never slower than Block)", want: "≤ 1.0",
			figures: perMode(zapRatio("stream-drop", "stream-block"), atMost(1), "parallel", "parallel8"), show: showRatio,
			peers: "Drop dropped " + fig(frac, zapDropped("parallel")) + " / " + fig(frac, zapDropped("parallel8"))},
	)
	gs = append(gs, stallGoals(r)...)
	for _, sk := range []struct{ name, policy string }{{"stream-block", "Block"}, {"stream-drop", "Drop"}} {
		gs = append(gs, goal{measure: "allocations per Write, Stream(" + sk.policy + "), BenchmarkRaw serial / parallel / parallel8",
			want: "0", show: num,
			figures: perMode(func(m string) float64 { return med("BenchmarkRaw/"+m+"/"+sk.name, "allocs/op") }, atMost(0))})
	}
	gs = append(gs, goal{measure: "issue 6: raw 256-byte lines, Stream(file, Block) ÷ BWS(file), serial / parallel / parallel8",
		want: "≤ 1 in every mode", show: showRatio,
		figures: perMode(func(m string) float64 {
			return median(r.ratios("BenchmarkRaw/"+m+"/stream-block", "BenchmarkRaw/"+m+"/"+bwsSink))
		}, atMost(1))})
	gs = append(gs, referenceGoals(r)...)
	return gs
}

// stallGoals are the rows measured by cmd/stall: 4 producers, with and
// without stalls. Latency rows show the discard control beside the peers:
// what the machine adds to any Write (a producer preempted between its two
// clock readings) bounds what a sink can show.
func stallGoals(r *results) []goal {
	const producers = 4
	field := func(stalls bool, sink string, f func(measure.StallRecord) float64) float64 {
		return median(r.stallField(stallKey{stalls, sink, producers}, f))
	}
	p999 := func(rec measure.StallRecord) float64 { return float64(rec.P999) }
	slow := func(rec measure.StallRecord) float64 { return float64(rec.Slow) }
	maxLat := func(rec measure.StallRecord) float64 { return float64(rec.Max) }
	writes := func(rec measure.StallRecord) float64 { return float64(rec.DstWrites) }
	dropped := func(rec measure.StallRecord) float64 {
		return float64(rec.Written-rec.Delivered) / float64(rec.Written)
	}

	stall := "cmd/stall"
	drain := time.Duration(0)
	if pause, every := r.stallPause(), r.stallEvery(); every > 0 {
		stall = fmt.Sprintf("cmd/stall, %v per %s", pause, bytesText(every))
		drain = time.Duration(float64(pause) * float64(r.stallBuffer()) / float64(every))
	}
	diodeSlow := field(true, "diode", slow)
	bwsWrites := field(false, "bws", writes)
	same := "the same bytes"
	if n := r.stallWritten(); n > 0 {
		same = fmt.Sprintf("the same %.0f MB", float64(n)/1e6)
	}
	return []goal{
		{measure: fmt.Sprintf("%s, %d producers, Drop: p99.9", stall, producers), want: "< 5 µs", show: showNs,
			figures: []target{{got: field(true, "stream-drop", p999), ok: below(float64(5 * time.Microsecond))}},
			peers:   "diode " + fig(showNs, field(true, "diode", p999)) + "; control " + fig(showNs, field(true, "discard", p999))},
		{measure: fmt.Sprintf("%s, %d producers, Drop: Writes over 1 ms", stall, producers), want: "≤ diode's in the same runs", show: num,
			figures: []target{{got: field(true, "stream-drop", slow), ok: atMost(diodeSlow)}},
			peers:   "diode " + fig(num, diodeSlow) + "; control " + fig(num, field(true, "discard", slow))},
		{measure: fmt.Sprintf("%s, %d producers, Block: slowest Write", stall, producers),
			want: fmt.Sprintf("≤ 1 buffer's drain time (%v; checked ≤ %v)", drain, time.Duration(drainSlack*float64(drain))), show: showNs,
			figures: []target{{got: field(true, "stream-block", maxLat), ok: atMost(drainSlack * float64(drain))}},
			peers:   "BWS " + fig(showNs, field(true, "bws", maxLat))},
		{measure: fmt.Sprintf("write calls to the destination for %s, no stall, %d producers, Block / Drop", same, producers),
			want: fmt.Sprintf("as few as throughput needs (checked ≤ %d× BWS's)", dstWritesOverBWS), show: num,
			figures: []target{
				{what: "Block", got: field(false, "stream-block", writes), ok: atMost(dstWritesOverBWS * bwsWrites)},
				{what: "Drop", got: field(false, "stream-drop", writes), ok: atMost(dstWritesOverBWS * bwsWrites)},
			},
			peers: "BWS " + fig(num, bwsWrites)},
		{measure: fmt.Sprintf("issue 6: cmd/stall, no stall, %d producers, Drop: entries dropped", producers), want: "< 1%", show: frac,
			figures: []target{{got: field(false, "stream-drop", dropped), ok: below(0.01)}},
			peers:   "diode " + fig(frac, field(false, "diode", dropped))},
	}
}

// referenceGoals are figures the issue asks to see, with no number to
// meet: the writers' mutex wait and the latency distribution.
func referenceGoals(r *results) []goal {
	med := func(name, unit string) float64 { return median(r.metric(name, unit)) }
	var gs []goal
	for _, sk := range []struct{ name, policy string }{{"stream-block", "Block"}, {"stream-drop", "Drop"}} {
		wait := func(mode string) target {
			return target{what: mode, got: med("BenchmarkZap/"+mode+"/"+sk.name, mutexWaitUnit), want: "down (compare before and after)"}
		}
		gs = append(gs, goal{measure: "writers' mutex wait per entry (ns), zap + Stream(file, " + sk.policy + "), parallel / parallel8",
			show:    num,
			figures: []target{wait("parallel"), wait("parallel8")},
			peers: "BWS(file) " + fig(num, med("BenchmarkZap/parallel/"+bwsSink, mutexWaitUnit)) + " / " +
				fig(num, med("BenchmarkZap/parallel8/"+bwsSink, mutexWaitUnit))})
	}
	units := []string{"p50-ns", "p99-ns", "p99.9-ns", "p99.99-ns", "max-ns"}
	for _, producers := range []int{4, 16} {
		fam := fmt.Sprintf("BenchmarkLatency/producers=%d/", producers)
		quantiles := func(sink string) []target {
			ts := make([]target, len(units))
			for i, u := range units {
				ts[i] = target{what: u, got: med(fam+sink, u), want: "diode's or better"}
			}
			return ts
		}
		show := func(ts []target) string {
			return goal{figures: ts, show: showNs}.got()
		}
		diode := "diode " + show(quantiles("diode")) + "; control " + show(quantiles("discard"))
		gs = append(gs,
			goal{measure: fmt.Sprintf("Write latency p50 / p99 / p99.9 / p99.99 / max, %d producers, zap + Stream(file, Block)", producers),
				show: showNs, figures: quantiles("stream-block"), peers: diode},
			goal{measure: "the same, zap + Stream(file, Drop)",
				show: showNs, figures: quantiles("stream-drop"),
				peers: diode + "; dropped " + fig(frac, med(fam+"stream-drop", "dropped/op")) +
					", diode " + fig(frac, med(fam+"diode", "dropped/op"))})
	}
	return gs
}

// printTargets prints the goals table.
func printTargets(w io.Writer, r *results) {
	fmt.Fprintln(w, "### Goals (issue 13)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| measure | median (peers) | goal | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, g := range goals(r) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", g.measure, g.got(), g.goalText(), g.verdict())
	}
	fmt.Fprintln(w)
}

// stallBuffer and stallWritten return the streams' buffer size and the
// entries' bytes of the stall records (the first record's), or zero.
func (r *results) stallBuffer() int {
	for _, k := range r.stallOrder {
		if len(r.stall[k]) > 0 {
			return r.stall[k][0].BufferSize
		}
	}
	return 0
}

func (r *results) stallWritten() int {
	for _, k := range r.stallOrder {
		if len(r.stall[k]) > 0 {
			return r.stall[k][0].Written * r.stall[k][0].Size
		}
	}
	return 0
}

// bytesText writes a size in KiB or MiB when it is a whole number of them.
func bytesText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
