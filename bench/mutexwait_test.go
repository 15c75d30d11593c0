package bench_test

import (
	"runtime/metrics"
	"testing"
)

// mutexWaitMetric is the runtime's estimate of the time goroutines have
// spent blocked on a sync.Mutex, a sync.RWMutex or a runtime-internal lock,
// summed over goroutines (so it can exceed the wall time). The runtime
// samples one goroutine state change in eight and scales up, so it is an
// estimate; spinning before parking is not counted.
const mutexWaitMetric = "/sync/mutex/wait/total:seconds"

// mutexWaitUnit is the unit under which the benchmarks report the mutex
// wait per operation, and cmd/compare's column for it.
const mutexWaitUnit = "mutexwait-ns/op"

// A mutexWait measures the mutex wait of a benchmark's timed loop. Its
// sample is allocated up front, so that reading it allocates nothing.
type mutexWait struct {
	s     []metrics.Sample
	start float64
}

// startMutexWait reads the metric now.
func startMutexWait() *mutexWait {
	m := &mutexWait{s: []metrics.Sample{{Name: mutexWaitMetric}}}
	m.start = m.read()
	return m
}

func (m *mutexWait) read() float64 {
	metrics.Read(m.s)
	if m.s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return m.s[0].Value.Float64()
}

// stop stops the benchmark's timer, so that nothing after the loop counts
// in its time or allocations, and reports the mutex wait since
// startMutexWait per operation, in nanoseconds.
func (m *mutexWait) stop(b *testing.B) {
	b.StopTimer()
	waited := m.read() - m.start
	b.ReportMetric(waited*1e9/float64(b.N), mutexWaitUnit)
}
