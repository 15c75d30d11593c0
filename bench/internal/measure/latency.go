package measure

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// SlowWrite is the latency above which a Write counts as slow: a service
// notices a millisecond.
const SlowWrite = time.Millisecond

// Latency summarises a distribution of Write latencies.
type Latency struct {
	P50, P99, P999, P9999, Max time.Duration
	Slow                       int // Writes that took longer than SlowWrite
	N                          int // Writes measured
}

// Summarize sorts d in place and returns its quantiles (nearest rank), its
// maximum and the number of Writes slower than SlowWrite. An empty d gives a
// zero Latency.
func Summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	i, _ := slices.BinarySearch(d, SlowWrite+1)
	return Latency{
		P50:   Quantile(d, 0.50),
		P99:   Quantile(d, 0.99),
		P999:  Quantile(d, 0.999),
		P9999: Quantile(d, 0.9999),
		Max:   d[len(d)-1],
		Slow:  len(d) - i,
		N:     len(d),
	}
}

// Quantile returns the q-quantile of sorted durations by nearest rank: the
// smallest value at least a fraction q of the values do not exceed.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// FormatDuration formats a duration with three significant digits, in the
// largest unit below it: 80ns, 2.8µs, 203ms, 9.66s.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'g', 3, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'g', 3, 64) + "ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
}
