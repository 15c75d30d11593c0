// Command stdout shows container-style logging: a zap logger writing JSON to
// standard output through a buffered stream with the Drop policy, so a slow
// log reader never slows the service, while warnings and errors are kept.
//
//	go run ./examples/stdout
//	go run ./examples/stdout | head -3   # the reader goes away; the program survives
//
// It serves a burst of fake requests, then a trickle, shuts down after about
// a second (or on SIGTERM or Ctrl-C, as a container would), closes the
// stream, and prints the stream's Stats on standard error.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/stdout"
)

func main() {
	// Keep running if whoever reads our stdout goes away: the stream then
	// reports EPIPE once and counts what it drops. Without this, Go kills
	// the process with SIGPIPE on the first write after the reader left.
	stdout.SurviveBrokenPipe()

	var pipeErrs atomic.Int64
	stream := stdout.New(
		logsink.WithPolicy(logsink.Drop), // never block the service on logging
		logsink.WithBufferSize(64<<10),   // small, so a slow terminal shows drops
		logsink.OnError(func(err error) { // runs on the flusher goroutine
			pipeErrs.Add(1)
			fmt.Fprintln(os.Stderr, "log stream:", err)
		}),
	)

	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	// Info may be dropped under pressure; Warn and above use WriteKeep and
	// wait for room, under Drop at most the keep timeout (1s), after which
	// they are dropped and counted too. After drops, the core logs one
	// summary entry.
	core := logsink.NewCore(enc, stream, zapcore.InfoLevel, logsink.KeepAtOrAbove(zapcore.WarnLevel))
	logger := zap.New(core).With(zap.String("service", "demo"))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()

	logger.Info("starting", zap.Int("pid", os.Getpid()))

	// A burst: far more than the buffer holds if the reader is slow.
	for i := range 5000 {
		logger.Info("request served", zap.Int("id", i), zap.String("path", "/api/items"), zap.Int("status", 200))
		if i%1000 == 999 {
			logger.Warn("slow upstream", zap.Int("id", i), zap.Duration("took", 1500*time.Millisecond))
		}
	}

	// A trickle: each line shows up within the 100ms flush interval, as
	// `kubectl logs -f` would see it.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			logger.Info("shutting down", zap.NamedError("reason", context.Cause(ctx)))
			// Sync flushes; it returns nil on a pipe or terminal.
			if err := logger.Sync(); err != nil {
				fmt.Fprintln(os.Stderr, "sync:", err)
			}
			// Close flushes what is left; stdout stays open.
			if err := stream.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "close:", err)
			}
			st := stream.Stats()
			fmt.Fprintf(os.Stderr, "stats: %s\n", st)
			fmt.Fprintf(os.Stderr, "kept %d entries, dropped %d, %d stream errors (OnError fired %d times)\n",
				st.Entries, st.Dropped, st.Errors, pipeErrs.Load())
			return
		case <-tick.C:
			logger.Info("heartbeat", zap.Int("n", n))
		}
	}
}
