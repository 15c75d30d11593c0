// Command stall measures Write latency when the destination stalls: a slow
// disk, or a stdout whose reader stopped reading. The destination takes
// bytes at once but sleeps 200 ms each time the running byte count crosses
// a 1 MiB boundary, so the size of each write neither helps nor hurts, and
// it counts the newline-terminated lines it receives.
//
//	cd bench
//	go run ./cmd/stall                   # 200,000 256-byte entries, about 40s
//	go run ./cmd/stall -entries 20000    # a quicker look
//
// Each sink (BufferedWriteSyncer, zerolog's diode, Stream with Block, Stream
// with Drop, Stream with Block and a spill on disk) is fed the entries by 1
// and by 4 goroutines, and the program
// prints the p50, p99, p99.9, p99.99 and max latency of Write, the number of
// Writes over 1 ms, the wall time until the producers finished and until
// Close returned, and the entries delivered and dropped. A second table
// repeats the runs against the same destination without stalls (-every 0
// runs only that one): a drop policy should drop only under real pressure.
// The first row of each table, discard, is the control: io.Discard through
// the same timing loop shows what the machine and the Go scheduler add to
// every latency (a producer preempted between its two clock readings).
//
// Dropped is written minus delivered; for the streams it is also checked
// against Stats().Dropped (delivered + Stats().Dropped must equal written).
// The last columns count the destination's Write calls and the longest time
// it went without one: with no stall, a long gap means the flusher was
// waiting for a CPU.
//
// With -json the program prints one JSON object per row instead of the
// tables (measure.StallRecord): cmd/compare runs it that way in each of its
// interleaved runs and checks the goals on the medians.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog/diode"
	"github.com/streamsink/streamsink/bench/internal/measure"
	"github.com/streamsink/streamsink/logsink"
	"go.uber.org/zap/zapcore"
)

// config describes one set of runs.
type config struct {
	entries   int           // entries written in all, split between the producers
	size      int           // bytes per entry, newline included
	every     int64         // the destination stalls each time its byte count crosses a multiple of every; 0: never
	pause     time.Duration // how long each stall lasts
	producers []int
	sinks     []string
}

// sinkNames are the sinks, in the order of the tables. discard is the
// control: a Write that does nothing, through the same timing loop, shows
// what the machine and the Go scheduler add to every latency.
var sinkNames = []string{"discard", "bws", "diode", "stream-block", "stream-drop", "stream-spill"}

// streamBuffer is the streams' buffer size: logsink's default, which the
// streams here keep.
const streamBuffer = 1 << 20

func main() {
	cfg := config{}
	var producers, sinks string
	flag.IntVar(&cfg.entries, "entries", 200_000, "entries to write per run")
	flag.IntVar(&cfg.size, "size", 256, "bytes per entry, newline included")
	flag.Int64Var(&cfg.every, "every", 1<<20, "stall each time the destination has taken this many more bytes; 0: never")
	flag.DurationVar(&cfg.pause, "pause", 200*time.Millisecond, "length of each stall")
	flag.StringVar(&producers, "producers", "1,4", "comma-separated numbers of producer goroutines")
	flag.StringVar(&sinks, "sinks", strings.Join(sinkNames, ","), "comma-separated sinks to run")
	nostall := flag.Bool("nostall", true, "also run every sink against the destination without stalls")
	asJSON := flag.Bool("json", false, "print one JSON object per row (for cmd/compare) instead of the tables")
	flag.Parse()

	var err error
	if cfg.producers, err = parseInts(producers); err != nil {
		fatalf("-producers %q: %v", producers, err)
	}
	cfg.sinks = strings.Split(sinks, ",")
	if err := cfg.validate(); err != nil {
		fatalf("%v", err)
	}
	// zerolog's diode reports every set collision on the standard logger.
	log.SetOutput(io.Discard)

	if !*asJSON {
		stalls := "never stalls"
		if cfg.every > 0 {
			stalls = fmt.Sprintf("stalls %v after every %d bytes", cfg.pause, cfg.every)
		}
		fmt.Printf("%d entries of %d bytes per run; the destination %s; GOMAXPROCS %d, %d CPUs, %s\n\n",
			cfg.entries, cfg.size, stalls, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	}
	var runs []config // with stalls, then without
	if cfg.every > 0 {
		runs = append(runs, cfg)
	}
	if *nostall || cfg.every == 0 {
		nc := cfg
		nc.every = 0
		runs = append(runs, nc)
	}
	for _, c := range runs {
		rs, err := runAll(c)
		if err != nil {
			fatalf("%v", err)
		}
		if *asJSON {
			if err := printJSON(os.Stdout, c, rs); err != nil {
				fatalf("%v", err)
			}
			continue
		}
		title := "Without stalls"
		if c.every > 0 {
			title = fmt.Sprintf("With stalls (%v after every %d bytes)", c.pause, c.every)
		}
		printTable(os.Stdout, title, rs)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "stall: "+format+"\n", args...)
	os.Exit(2)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (c config) validate() error {
	switch {
	case c.entries <= 0:
		return fmt.Errorf("-entries %d: must be positive", c.entries)
	case c.size < 2:
		return fmt.Errorf("-size %d: need at least 2 bytes", c.size)
	case c.every < 0:
		return fmt.Errorf("-every %d: must not be negative", c.every)
	case c.pause < 0:
		return fmt.Errorf("-pause %v: must not be negative", c.pause)
	}
	for _, p := range c.producers {
		if p <= 0 || p > c.entries {
			return fmt.Errorf("-producers %d: must be between 1 and the number of entries", p)
		}
	}
	for _, s := range c.sinks {
		if !slices.Contains(sinkNames, s) {
			return fmt.Errorf("-sinks %q: unknown sink, want one of %s", s, strings.Join(sinkNames, ", "))
		}
	}
	return nil
}

// stallWriter is the destination: it sleeps pause each time its running
// byte count crosses a multiple of every, and counts the lines it takes.
type stallWriter struct {
	every int64
	pause time.Duration

	mu     sync.Mutex
	n      int64
	lines  int
	writes int
	last   time.Time     // when the previous Write returned, or the run started
	gap    time.Duration // the longest time between two Writes
}

func (w *stallWriter) Write(p []byte) (int, error) {
	start := time.Now()
	w.mu.Lock()
	w.gap = max(w.gap, start.Sub(w.last))
	before := w.n
	w.n += int64(len(p))
	w.writes++
	w.lines += bytes.Count(p, []byte{'\n'})
	stalls := int64(0)
	if w.every > 0 {
		stalls = w.n/w.every - before/w.every
	}
	w.mu.Unlock()
	if stalls > 0 {
		time.Sleep(time.Duration(stalls) * w.pause) // the simulated slow disk
	}
	w.mu.Lock()
	w.last = time.Now()
	w.mu.Unlock()
	return len(p), nil
}

// start marks the start of a run: the first gap counts from now.
func (w *stallWriter) start() {
	w.mu.Lock()
	w.last = time.Now()
	w.mu.Unlock()
}

// counts returns the lines and the Write calls the destination took, and
// the longest time it went without a Write.
func (w *stallWriter) counts() (lines, writes int, gap time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines, w.writes, w.gap
}

// sink is an open sink under test.
type sink struct {
	w      io.Writer
	close  func() error
	stream *logsink.Stream // the streams only
	alerts *atomic.Int64   // the diode only: drops it reported
}

func open(name string, dst *stallWriter) sink {
	switch name {
	case "discard":
		return sink{w: io.Discard, close: func() error { return nil }}
	case "bws":
		// The settings of the benchmarks: zap's default size, 1s interval.
		w := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(dst), Size: 256 << 10, FlushInterval: time.Second}
		return sink{w: w, close: w.Stop}
	case "diode":
		var missed atomic.Int64
		w := diode.NewWriter(dst, 1000, 10*time.Millisecond, func(n int) { missed.Add(int64(n)) })
		return sink{w: w, close: w.Close, alerts: &missed}
	case "stream-block":
		s := logsink.New(dst)
		return sink{w: s, close: s.Close, stream: s}
	case "stream-spill":
		// Block with a spill on disk: the writers never wait for the
		// stalls; Close waits while the spill drains into the stalling
		// destination, so its close timeout is long.
		dir, err := os.MkdirTemp("", "stall-spill-*")
		if err != nil {
			fatalf("spill directory: %v", err)
		}
		s, err := logsink.Open(dst, logsink.WithSpill(dir, 1<<30), logsink.WithCloseTimeout(5*time.Minute))
		if err != nil {
			fatalf("open the spill stream: %v", err)
		}
		return sink{w: s, close: func() error { return errors.Join(s.Close(), os.RemoveAll(dir)) }, stream: s}
	default: // stream-drop
		s := logsink.New(dst, logsink.WithPolicy(logsink.Drop))
		return sink{w: s, close: s.Close, stream: s}
	}
}

// result is one row of a table.
type result struct {
	sink        string
	producers   int
	lat         measure.Latency
	wall, total time.Duration // producers done; Close returned
	written     int
	delivered   int
	dstWrites   int            // Write calls the destination took
	dstGap      time.Duration  // the longest time the destination went without a Write
	stats       *logsink.Stats // the streams only
	alerts      int64          // the diode only
}

func (r result) dropped() int { return r.written - r.delivered }

// check returns an error if the accounting does not add up: every sink
// delivers whole lines, no more than were written, Block and the
// BufferedWriteSyncer deliver all of them, and a stream's delivered plus
// Stats().Dropped equals written.
func (r result) check() error {
	var errs []error
	if r.delivered > r.written {
		errs = append(errs, fmt.Errorf("delivered %d of %d written", r.delivered, r.written))
	}
	if r.sink == "discard" {
		return nil // nothing reaches the destination
	}
	if (r.sink == "bws" || r.sink == "stream-block") && r.delivered != r.written {
		errs = append(errs, fmt.Errorf("lossless sink delivered %d of %d", r.delivered, r.written))
	}
	if st := r.stats; st != nil {
		if got := uint64(r.delivered) + st.Dropped; got != uint64(r.written) {
			errs = append(errs, fmt.Errorf("delivered %d + Stats().Dropped %d = %d, written %d", r.delivered, st.Dropped, got, r.written))
		}
		if st.Entries+st.Dropped != uint64(r.written) {
			errs = append(errs, fmt.Errorf("Stats().Entries %d + Dropped %d != written %d", st.Entries, st.Dropped, r.written))
		}
		if st.Errors != 0 || st.LostBytes != 0 {
			errs = append(errs, fmt.Errorf("stream stats %v", *st))
		}
	}
	return errors.Join(errs...)
}

func runAll(cfg config) ([]result, error) {
	var out []result
	for _, name := range cfg.sinks {
		for _, p := range cfg.producers {
			r, err := run(cfg, name, p)
			if err != nil {
				return nil, fmt.Errorf("%s, %d producers: %w", name, p, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// line returns one entry of size bytes ending in a newline.
func line(size int) []byte {
	p := bytes.Repeat([]byte{'x'}, size)
	copy(p, `{"level":"info","msg":"request served","pad":"`)
	p[size-1] = '\n'
	return p
}

// run writes cfg.entries entries through one sink from producers
// goroutines, timing every Write, then closes the sink.
func run(cfg config, name string, producers int) (result, error) {
	dst := &stallWriter{every: cfg.every, pause: cfg.pause}
	sk := open(name, dst)
	entry := line(cfg.size)
	lat := make([][]time.Duration, producers)
	for i := range lat {
		n := cfg.entries / producers
		if i < cfg.entries%producers {
			n++
		}
		lat[i] = make([]time.Duration, n)
	}
	runtime.GC() // nothing is allocated while the producers run

	var (
		wg       sync.WaitGroup
		writeErr atomic.Pointer[error]
	)
	dst.start()
	start := time.Now()
	for i := range producers {
		wg.Go(func() {
			l := lat[i]
			for j := range l {
				t := time.Now()
				_, err := sk.w.Write(entry)
				l[j] = time.Since(t)
				if err != nil {
					writeErr.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	closeErr := sk.close()
	total := time.Since(start)
	if p := writeErr.Load(); p != nil {
		return result{}, fmt.Errorf("write: %w", *p)
	}
	if closeErr != nil {
		return result{}, fmt.Errorf("close: %w", closeErr)
	}

	r := result{
		sink:      name,
		producers: producers,
		lat:       measure.Summarize(slices.Concat(lat...)),
		wall:      wall,
		total:     total,
		written:   cfg.entries,
	}
	r.delivered, r.dstWrites, r.dstGap = dst.counts()
	if sk.stream != nil {
		st := sk.stream.Stats()
		r.stats = &st
	}
	if sk.alerts != nil {
		r.alerts = sk.alerts.Load()
	}
	return r, r.check()
}

func printTable(w io.Writer, title string, rs []result) {
	dur := measure.FormatDuration
	fmt.Fprintf(w, "%s\n\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| sink\t| producers\t| p50\t| p99\t| p99.9\t| p99.99\t| max\t| Writes > 1ms\t| wall\t| wall+close\t| written\t| delivered\t| dropped\t| sink says dropped\t| dst writes\t| dst max gap\t|")
	fmt.Fprintln(tw, "|---\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|---:\t|")
	for _, r := range rs {
		says := ""
		switch {
		case r.stats != nil:
			says = fmt.Sprintf("%d (Stats)", r.stats.Dropped)
		case r.sink == "diode":
			says = fmt.Sprintf("%d (alert)", r.alerts)
		}
		delivered := fmt.Sprintf("%d (%.1f%%)", r.delivered, 100*float64(r.delivered)/float64(r.written))
		dropped, writes, gap := strconv.Itoa(r.dropped()), strconv.Itoa(r.dstWrites), dur(r.dstGap)
		if r.sink == "discard" {
			delivered, dropped, writes, gap = "(control)", "", "", ""
		}
		fmt.Fprintf(tw, "| %s\t| %d\t| %s\t| %s\t| %s\t| %s\t| %s\t| %d\t| %s\t| %s\t| %d\t| %s\t| %s\t| %s\t| %s\t| %s\t|\n",
			r.sink, r.producers, dur(r.lat.P50), dur(r.lat.P99), dur(r.lat.P999), dur(r.lat.P9999), dur(r.lat.Max), r.lat.Slow,
			dur(r.wall), dur(r.total), r.written, delivered, dropped, says, writes, gap)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// record returns r as a machine-readable record of a run with cfg.
func (r result) record(cfg config) measure.StallRecord {
	rec := measure.StallRecord{
		Kind:        measure.StallKind,
		Stalls:      cfg.every > 0,
		Sink:        r.sink,
		Producers:   r.producers,
		Entries:     cfg.entries,
		Size:        cfg.size,
		Every:       cfg.every,
		Pause:       cfg.pause,
		BufferSize:  streamBuffer,
		Wall:        r.wall,
		Total:       r.total,
		Written:     r.written,
		Delivered:   r.delivered,
		SinkDropped: -1,
		DstWrites:   r.dstWrites,
		DstMaxGap:   r.dstGap,
	}
	rec.SetLatency(r.lat)
	switch {
	case r.stats != nil:
		rec.SinkDropped = int64(r.stats.Dropped)
	case r.sink == "diode":
		rec.SinkDropped = r.alerts
	}
	if !rec.Stalls {
		rec.Pause = 0
	}
	return rec
}

// printJSON prints one JSON object per result, a line each.
func printJSON(w io.Writer, cfg config, rs []result) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		if err := enc.Encode(r.record(cfg)); err != nil {
			return err
		}
	}
	return nil
}
