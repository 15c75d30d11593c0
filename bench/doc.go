// Package bench measures streamsink side by side with what a zap user would
// use instead, in the same run, on the same machine. It is its own module,
// so that benchmark-only dependencies (zerolog's diode) never reach the
// library's go.mod.
//
//	cd bench
//	go test -run '^$' -bench . -benchtime 500ms # one run of every benchmark
//	go run ./cmd/compare                        # 5 interleaved runs with cmd/stall: medians, ratios, the goals
//	go run ./cmd/stall                          # Write latency against a stalling destination
//
// # Benchmarks
//
// BenchmarkZap logs a realistic request entry (a message and six fields:
// method, path, status, latency, request id, bytes) through a zap logger
// with the production JSON encoder config into each sink. BenchmarkRaw
// writes pre-encoded 256-byte lines into each sink and reports MB/s, and
// BenchmarkPhysical writes 1 MiB chunks to a file: the disk's reference
// rate. Every sub-benchmark is named mode/sink, where mode is serial (one
// goroutine), parallel (b.RunParallel, GOMAXPROCS goroutines) or parallel8
// (b.SetParallelism(8)). Sinks that can lose entries report dropped/op, the
// fraction of entries that never reached the file, and every benchmark that
// drives a sink reports mutexwait-ns/op, the growth of the runtime/metrics
// estimate /sync/mutex/wait/total:seconds per entry.
//
// BenchmarkDropDelivery runs BenchmarkZap's stream-drop at GOMAXPROCS 1, 2
// and 8: with the file in the page cache, a Drop stream should deliver every
// entry. BenchmarkLatency times every Write zap makes from 4 and 16
// producers and reports p50-ns, p99-ns, p99.9-ns, p99.99-ns and max-ns.
//
// # Sinks
//
//   - discard: io.Discard, the floor.
//   - file: an unbuffered *os.File opened with O_APPEND.
//   - bws-file: zapcore.BufferedWriteSyncer over the file, Size 256 KiB,
//     FlushInterval 1s.
//   - lumberjack: an unbuffered lumberjack.Logger, MaxSize 100 MB.
//   - bws-lumberjack: BufferedWriteSyncer (256 KiB, 1s) over lumberjack.
//   - diode: zerolog's diode.NewWriter(file, 1000, 10ms, alert).
//   - stream-block, stream-drop: logsink.New(file) with the Block or Drop
//     policy and default options (1 MiB buffer, 16 KiB high-water mark, 1s
//     flush interval).
//   - rotate: rotate.Open with MaxSize 100 MiB (Block).
//
// The peers get zapcore.NewCore(enc, ws, level). The streams are measured
// both with zapcore.NewCore and, as the -newcore rows, with logsink.NewCore.
// Each benchmark closes or stops its sink with the timer stopped, then
// checks what reached the file; the package's TestMain fails the run if a
// goroutine outlives its sink.
package bench
