//go:build !race

// The race detector makes sync.Pool drop items at random, so allocations
// are counted only without it; .ci/run runs this file that way.

package logsink_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/streamsink/streamsink/logsink"
)

// The handler adds no allocation to what slog's own handler makes for the
// same record, with and without WithAttrs and WithGroup.
func TestSlogHandlerAllocs(t *testing.T) {
	with := func(h slog.Handler) slog.Handler {
		return h.WithAttrs([]slog.Attr{slog.String("service", "api"), slog.Int("pid", 42)}).
			WithGroup("req").WithAttrs([]slog.Attr{slog.String("id", "01HZX3K5V7Q8R9S0T1U2V3W4X5")})
	}
	tests := []struct {
		name string
		text bool
		with func(slog.Handler) slog.Handler
	}{
		{name: "json"},
		{name: "json/with"},
		{name: "text", text: true},
		{name: "text/with", text: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apply := func(h slog.Handler) slog.Handler {
				if strings.HasSuffix(tt.name, "/with") {
					return with(h)
				}
				return h
			}
			var peer slog.Handler = slog.NewJSONHandler(io.Discard, nil)
			if tt.text {
				peer = slog.NewTextHandler(io.Discard, nil)
			}
			s := logsink.New(io.Discard, logsink.WithBufferSize(64<<20))
			defer s.Close()
			ours := logsink.NewSlogHandler(s, &logsink.SlogOptions{Text: tt.text})
			measure := func(h slog.Handler) float64 {
				logger := slog.New(apply(h))
				return testing.AllocsPerRun(1000, func() {
					logger.Info("request served", "method", "GET", "path", "/api/v1/orders/12345/items",
						"status", 200, "latency", 1234567*time.Nanosecond, "bytes", 5120)
					logger.Warn("slow", "took", time.Second) // WriteKeep
				})
			}
			want, got := measure(peer), measure(ours)
			assert.LessOrEqual(t, got, want, "allocations per record pair: NewSlogHandler %v, slog's handler %v", got, want)
		})
	}
}
