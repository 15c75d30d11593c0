package bench_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/streamsink/streamsink/logsink"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// backlogModes are the modes of BenchmarkBacklog and BenchmarkSlogBacklog:
// one goroutine, or GOMAXPROCS goroutines each with a logger of its own
// (a request logger each, for the request-backlog rows).
var backlogModes = []struct {
	name     string
	parallel bool
}{
	{"serial", false},
	{"parallel", true},
}

// backlogLevels are the two calls measured: logger.Debug (held by a
// backlog, written by zap at debug, skipped by zap at info) and
// logger.Info (written by all).
var backlogLevels = []struct {
	name  string
	level zapcore.Level
}{
	{"debug", zapcore.DebugLevel},
	{"info", zapcore.InfoLevel},
}

// zapBacklogConfigs are the loggers BenchmarkBacklog compares, each
// writing the realistic entry's JSON to io.Discard: zap's own core at
// info and at debug (the references: every row's ratio to both is
// computed within each run), logsink.NewCore on a Block stream at info
// without and with a process-wide backlog of debug entries, and with a
// request backlog (a logger made by With(RequestBacklog(64 KiB)) per
// goroutine). No error is logged, so the backlogs only hold.
var zapBacklogConfigs = []struct {
	name   string
	logger func(s *logsink.Stream) *zap.Logger
	with   func(l *zap.Logger) *zap.Logger // per goroutine
}{
	{name: "zap-info", logger: func(*logsink.Stream) *zap.Logger {
		return zap.New(zapcore.NewCore(newEncoder(), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	}},
	{name: "zap-debug", logger: func(*logsink.Stream) *zap.Logger {
		return zap.New(zapcore.NewCore(newEncoder(), zapcore.AddSync(io.Discard), zapcore.DebugLevel))
	}},
	{name: "newcore", logger: func(s *logsink.Stream) *zap.Logger {
		return zap.New(logsink.NewCore(newEncoder(), s, zapcore.InfoLevel))
	}},
	{name: "backlog", logger: func(s *logsink.Stream) *zap.Logger {
		return zap.New(logsink.NewCore(newEncoder(), s, zapcore.InfoLevel,
			logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	}},
	{name: "request-backlog", logger: func(s *logsink.Stream) *zap.Logger {
		return zap.New(logsink.NewCore(newEncoder(), s, zapcore.InfoLevel,
			logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))
	}, with: func(l *zap.Logger) *zap.Logger { return l.With(logsink.RequestBacklog(64 << 10)) }},
}

// BenchmarkBacklog measures what a backlog costs a zap user per
// logger.Debug and logger.Info call, against zap at info and at debug.
func BenchmarkBacklog(b *testing.B) {
	for _, m := range backlogModes {
		for _, lv := range backlogLevels {
			for _, cfg := range zapBacklogConfigs {
				b.Run(m.name+"/"+lv.name+"/"+cfg.name, func(b *testing.B) {
					s := logsink.New(io.Discard)
					defer s.Close()
					root := cfg.logger(s)
					mk := func() *zap.Logger {
						if cfg.with != nil {
							return cfg.with(root)
						}
						return root
					}
					backlogLoop(b, m.parallel, func() func() {
						l := mk()
						return func() { logRequestAt(l, lv.level) }
					})
				})
			}
		}
	}
}

// logRequestAt logs BenchmarkZap's realistic entry at level l.
func logRequestAt(l *zap.Logger, lvl zapcore.Level) {
	l.Log(lvl, "request served",
		zap.String("method", "GET"),
		zap.String("path", "/api/v1/orders/12345/items"),
		zap.Int("status", 200),
		zap.Duration("latency", 1234567*time.Nanosecond),
		zap.String("request_id", "01HZX3K5V7Q8R9S0T1U2V3W4X5"),
		zap.Int("bytes", 5120),
	)
}

// slogBacklogConfigs are BenchmarkSlogBacklog's handlers, as
// zapBacklogConfigs: slog.NewJSONHandler on io.Discard at info and at
// debug, and logsink.NewSlogHandler on a stream over io.Discard without
// and with backlogs.
var slogBacklogConfigs = []struct {
	name    string
	handler func(s *logsink.Stream) slog.Handler
	with    func(l *slog.Logger) *slog.Logger
}{
	{name: "slog-info", handler: func(*logsink.Stream) slog.Handler {
		return slog.NewJSONHandler(io.Discard, nil)
	}},
	{name: "slog-debug", handler: func(*logsink.Stream) slog.Handler {
		return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})
	}},
	{name: "handler", handler: func(s *logsink.Stream) slog.Handler { return logsink.NewSlogHandler(s, nil) }},
	{name: "backlog", handler: func(s *logsink.Stream) slog.Handler {
		return logsink.NewSlogHandler(s, &logsink.SlogOptions{Backlog: &logsink.SlogBacklog{}})
	}},
	{name: "request-backlog", handler: func(s *logsink.Stream) slog.Handler {
		return logsink.NewSlogHandler(s, &logsink.SlogOptions{Backlog: &logsink.SlogBacklog{}})
	}, with: func(l *slog.Logger) *slog.Logger { return l.With(logsink.SlogRequestBacklog(64 << 10)) }},
}

// BenchmarkSlogBacklog is BenchmarkBacklog for log/slog.
func BenchmarkSlogBacklog(b *testing.B) {
	for _, m := range backlogModes {
		for _, lv := range backlogLevels {
			level := slog.LevelInfo
			if lv.level == zapcore.DebugLevel {
				level = slog.LevelDebug
			}
			for _, cfg := range slogBacklogConfigs {
				b.Run(m.name+"/"+lv.name+"/"+cfg.name, func(b *testing.B) {
					s := logsink.New(io.Discard)
					defer s.Close()
					root := slog.New(cfg.handler(s))
					backlogLoop(b, m.parallel, func() func() {
						l := root
						if cfg.with != nil {
							l = cfg.with(root)
						}
						return func() { slogRequestAt(l, level) }
					})
				})
			}
		}
	}
}

// slogRequestAt logs the realistic entry through slog at level l.
func slogRequestAt(l *slog.Logger, level slog.Level) {
	l.LogAttrs(context.Background(), level, "request served",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/12345/items"),
		slog.Int("status", 200),
		slog.Duration("latency", 1234567*time.Nanosecond),
		slog.String("request_id", "01HZX3K5V7Q8R9S0T1U2V3W4X5"),
		slog.Int("bytes", 5120),
	)
}

// backlogLoop runs the op that newOp returns b.N times: on one goroutine,
// or on GOMAXPROCS goroutines, each calling newOp once (outside the
// timing of its calls, but inside the benchmark's).
func backlogLoop(b *testing.B, parallel bool, newOp func() func()) {
	b.ReportAllocs()
	if !parallel {
		op := newOp()
		b.ResetTimer()
		for range b.N {
			op()
		}
		return
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		op := newOp()
		for pb.Next() {
			op()
		}
	})
}
