package bench_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamsink/streamsink/bench/internal/measure"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// latencyProducers are the numbers of producer goroutines of
// BenchmarkLatency, whatever GOMAXPROCS is.
var latencyProducers = []int{4, 16}

// latencySinks are the sinks of BenchmarkLatency: the control (discard),
// the peers and the streams.
var latencySinks = []string{"discard", "bws-file", "diode", "stream-block", "stream-drop"}

// BenchmarkLatency times every Write zap makes into each sink while 4 or 16
// goroutines log the realistic entry as fast as they can into a file in
// the page cache, and reports the distribution of those Write latencies:
// p50-ns, p99-ns, p99.9-ns, p99.99-ns and max-ns, besides ns/op (the wall
// time per entry, all producers together), dropped/op and mutexwait-ns/op.
// The b.N entries are split evenly between the producers. discard is the
// control: a Write that does nothing still shows the preemptions and GC
// pauses that land between the two clock readings.
func BenchmarkLatency(b *testing.B) {
	for _, producers := range latencyProducers {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			for _, name := range latencySinks {
				sk := sinkNamed(b, name)
				b.Run(name, func(b *testing.B) { benchLatency(b, sk, producers) })
			}
		})
	}
}

// timedWriter times each Write into ws. Each producer has its own, so that
// recording a latency takes no lock and shares no cache line.
type timedWriter struct {
	ws  zapcore.WriteSyncer
	lat []time.Duration // preallocated for the producer's entries
}

func (w *timedWriter) Write(p []byte) (int, error) {
	start := time.Now()
	n, err := w.ws.Write(p)
	w.lat = append(w.lat, time.Since(start))
	return n, err
}

func (w *timedWriter) Sync() error { return w.ws.Sync() }

func benchLatency(b *testing.B, sk sink, producers int) {
	dir := b.TempDir()
	o := sk.open(b, dir)
	writers := make([]*timedWriter, producers)
	loggers := make([]*zap.Logger, producers)
	for i := range producers {
		n := b.N / producers
		if i < b.N%producers {
			n++
		}
		writers[i] = &timedWriter{ws: o.ws, lat: make([]time.Duration, 0, n)}
		loggers[i] = zap.New(zapcore.NewCore(newEncoder(), writers[i], zapcore.InfoLevel))
	}
	var wg sync.WaitGroup
	b.ReportAllocs()
	wait := startMutexWait()
	b.ResetTimer()
	for i := range producers {
		wg.Go(func() {
			for range cap(writers[i].lat) {
				logRequest(loggers[i])
			}
		})
	}
	wg.Wait()
	wait.stop(b)
	o.finish(b, dir, b.N)

	var all []time.Duration
	for _, w := range writers {
		all = append(all, w.lat...)
	}
	if len(all) != b.N {
		b.Fatalf("timed %d Writes, want one per entry, %d", len(all), b.N)
	}
	l := measure.Summarize(all)
	for _, m := range []struct {
		unit string
		d    time.Duration
	}{
		{"p50-ns", l.P50}, {"p99-ns", l.P99}, {"p99.9-ns", l.P999}, {"p99.99-ns", l.P9999}, {"max-ns", l.Max},
	} {
		b.ReportMetric(float64(m.d), m.unit)
	}
}
