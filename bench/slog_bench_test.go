package bench_test

import (
	"context"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/streamsink/streamsink/logsink"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// slogSinks lists what BenchmarkSlog and BenchmarkSlogWith log into, named
// as the rows of compare's table: the sink of sinks() a handler writes to,
// with a suffix for the handler when it is not slog.NewJSONHandler.
//
//   - discard, file, bws-file, stream-block: slog.NewJSONHandler over that
//     sink (the stream as a plain io.Writer).
//   - stream-block-handler, stream-drop-handler: logsink.NewSlogHandler
//     (JSON) over a Block or a Drop stream on the file.
//   - bws-file-zapslog, stream-block-zapslog: zap's bridge
//     (go.uber.org/zap/exp/zapslog) over zapcore.NewCore on
//     BufferedWriteSyncer, or over logsink.NewCore on a Block stream, with
//     zap's production JSON encoder.
//
// discard and bws-file are the columns' references: the floor, and
// slog.NewJSONHandler over zap's BufferedWriteSyncer. Serial runs also
// report caller-cpu-ns/op, the CPU time of the logging thread per record.
var slogSinks = []struct {
	name    string
	sink    string // of sinks()
	handler func(o *opened) slog.Handler
}{
	{"discard", "discard", slogJSON},
	{"file", "file", slogJSON},
	{"bws-file", "bws-file", slogJSON},
	{"stream-block", "stream-block", slogJSON},
	{"stream-block-handler", "stream-block", slogStreamHandler},
	{"stream-drop-handler", "stream-drop", slogStreamHandler},
	{"bws-file-zapslog", "bws-file", func(o *opened) slog.Handler {
		return zapslog.NewHandler(zapcore.NewCore(newEncoder(), o.ws, zapcore.InfoLevel))
	}},
	{"stream-block-zapslog", "stream-block", func(o *opened) slog.Handler {
		return zapslog.NewHandler(logsink.NewCore(newEncoder(), o.stream, zapcore.InfoLevel))
	}},
}

func slogJSON(o *opened) slog.Handler { return slog.NewJSONHandler(o.ws, nil) }

func slogStreamHandler(o *opened) slog.Handler { return logsink.NewSlogHandler(o.stream, nil) }

// slogRequest logs the realistic entry of BenchmarkZap through slog: a
// message and six attributes.
func slogRequest(l *slog.Logger) {
	l.LogAttrs(context.Background(), slog.LevelInfo, "request served",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/12345/items"),
		slog.Int("status", 200),
		slog.Duration("latency", 1234567*time.Nanosecond),
		slog.String("request_id", "01HZX3K5V7Q8R9S0T1U2V3W4X5"),
		slog.Int("bytes", 5120),
	)
}

// BenchmarkSlog logs the realistic entry through a slog.Logger into each
// of slogSinks.
func BenchmarkSlog(b *testing.B) { benchSlogModes(b, nil) }

// BenchmarkSlogWith is BenchmarkSlog through a logger made by With, with
// two attributes: slog's handlers format them once, NewSlogHandler with
// every record.
func BenchmarkSlogWith(b *testing.B) {
	benchSlogModes(b, func(l *slog.Logger) *slog.Logger {
		return l.With("service", "orders", "version", "1.4.2")
	})
}

func benchSlogModes(b *testing.B, with func(*slog.Logger) *slog.Logger) {
	all := sinks()
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for _, ss := range slogSinks {
				b.Run(ss.name, func(b *testing.B) {
					for _, sk := range all {
						if sk.name == ss.sink {
							benchSlog(b, sk, m.parallelism, ss.handler, with)
							return
						}
					}
					b.Fatalf("no sink %q", ss.sink)
				})
			}
		})
	}
}

func benchSlog(b *testing.B, sk sink, parallelism int, handler func(*opened) slog.Handler, with func(*slog.Logger) *slog.Logger) {
	dir := b.TempDir()
	o := sk.open(b, dir)
	l := slog.New(handler(o))
	if with != nil {
		l = with(l)
	}
	b.ReportAllocs()
	if parallelism == 0 {
		// The CPU time of the logging goroutine's thread: what a caller
		// pays per record, less sensitive than ns/op to other load on the
		// machine. Work a sink moves to a goroutine of its own (a
		// stream's flusher) is not in it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start, ok := threadCPU()
		loop(b, parallelism, func() { slogRequest(l) })
		if end, ok2 := threadCPU(); ok && ok2 {
			b.ReportMetric(float64(end-start)/float64(b.N), "caller-cpu-ns/op")
		}
	} else {
		loop(b, parallelism, func() { slogRequest(l) })
	}
	o.finish(b, dir, b.N)
}

// threadCPU returns the user and system CPU time of the calling thread
// (getrusage RUSAGE_THREAD, Linux), or false where that is not available.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
