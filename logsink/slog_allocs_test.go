//go:build !race

// The race detector makes sync.Pool drop items at random, so allocations
// are counted only without it; .ci/run runs this file that way.

package logsink_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/streamsink/streamsink/logsink"
)

// The handler adds no allocation to what slog's own handler makes for the
// same records: on a plain logger, on one made once with With and
// WithGroup, and on a logger made with With for every request.
func TestSlogHandlerAllocs(t *testing.T) {
	record := func(l *slog.Logger) {
		l.Info("request served", "method", "GET", "path", "/api/v1/orders/12345/items",
			"status", 200, "latency", 1234567*time.Nanosecond, "bytes", 5120)
		l.Warn("slow", "took", time.Second) // WriteKeep
	}
	tests := []struct {
		name string
		with func(*slog.Logger) *slog.Logger // once, before measuring
		log  func(*slog.Logger)              // measured
	}{
		{name: "plain", log: record},
		{name: "With and WithGroup once", with: func(l *slog.Logger) *slog.Logger {
			return l.With("service", "api", "pid", 42).WithGroup("req").With("id", "01HZX3K5V7Q8R9S0T1U2V3W4X5")
		}, log: record},
		{name: "With per request", with: func(l *slog.Logger) *slog.Logger {
			return l.With("service", "api")
		}, log: func(l *slog.Logger) {
			record(l.WithGroup("req").With("id", "01HZX3K5V7Q8R9S0T1U2V3W4X5"))
		}},
	}
	for _, f := range slogFormats {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				var peer slog.Handler = slog.NewJSONHandler(io.Discard, nil)
				if f.text {
					peer = slog.NewTextHandler(io.Discard, nil)
				}
				s := logsink.New(io.Discard, logsink.WithBufferSize(64<<20))
				defer s.Close()
				ours := logsink.NewSlogHandler(s, &logsink.SlogOptions{Text: f.text})
				measure := func(h slog.Handler) float64 {
					logger := slog.New(h)
					if tt.with != nil {
						logger = tt.with(logger)
					}
					return testing.AllocsPerRun(1000, func() { tt.log(logger) })
				}
				want, got := measure(peer), measure(ours)
				assert.LessOrEqual(t, got, want, "allocations: NewSlogHandler %v, slog's own handler %v", got, want)
				t.Logf("allocations: NewSlogHandler %v, slog's own handler %v", got, want)
			})
		}
	}
}
