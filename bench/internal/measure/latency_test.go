package measure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestQuantile(t *testing.T) {
	d := make([]time.Duration, 10000)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	tests := []struct {
		give float64
		want time.Duration
	}{
		{give: 0.5, want: 5000},
		{give: 0.99, want: 9900},
		{give: 0.999, want: 9990},
		{give: 0.9999, want: 9999},
		{give: 1, want: 10000},
		{give: 0, want: 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Quantile(d, tt.give), "quantile %v", tt.give)
	}
	assert.Zero(t, Quantile(nil, 0.5), "quantile of nothing")
}

func TestSummarize(t *testing.T) {
	// Unsorted on purpose: Summarize sorts.
	d := []time.Duration{3 * time.Millisecond, 100, SlowWrite, 200, SlowWrite + 1, 50}
	got := Summarize(d)
	assert.Equal(t, Latency{
		P50: 200, P99: 3 * time.Millisecond, P999: 3 * time.Millisecond, P9999: 3 * time.Millisecond,
		Max: 3 * time.Millisecond, Slow: 2, N: 6,
	}, got, "summary: a Write of exactly SlowWrite is not slow")
	assert.Equal(t, Latency{}, Summarize(nil), "summary of nothing")
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{give: 80, want: "80ns"},
		{give: 2800, want: "2.8µs"},
		{give: 12345, want: "12.3µs"},
		{give: 203 * time.Millisecond, want: "203ms"},
		{give: 9660 * time.Millisecond, want: "9.66s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FormatDuration(tt.give), "format %d", int64(tt.give))
	}
}
