// Package logsink is a buffered, backpressured log sink modelled on Node.js
// Writable streams, for services that log with zap.
//
// A [Stream] copies each Write into a bounded in-memory buffer and returns at
// once; a background flusher writes the buffer to the destination when it
// reaches the high-water mark, on a flush interval, and on Sync, Flush,
// Rotate and End. What happens when the buffer is full is a [Policy]:
// [Block] waits for room and loses nothing, [Drop] never waits and counts
// every entry it refuses.
//
//	f, _ := os.OpenFile("app.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
//	s := logsink.New(f, logsink.WithPolicy(logsink.Drop))
//	defer s.Close() // flushes, syncs and closes f
//	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(cfg), s, zap.InfoLevel))
//
// # Entries
//
// One Write call is one entry. An entry is buffered whole or dropped whole,
// bytes reach the destination in the order the Write calls returned, and a
// rotating destination never splits an entry across two files. The caller's
// slice is copied, never kept, so zap may reuse it.
//
// # Events
//
// The Node.js events map onto hooks and channels: 'drain' is [OnDrain] and
// [Stream.Drained], 'error' is [OnError], 'finish' is [OnFinish] and 'close'
// is [OnClose]. Hooks run on the flusher goroutine, without the stream's lock
// held, and must not block it for long. A hook must not call the stream's
// Sync, Flush, Rotate, Reopen, End or Close: those wait for the flusher that
// is running the hook.
//
// # Failure
//
// When the destination fails, the unwritten bytes stay buffered, the error
// is counted and reported through OnError, and the flusher retries with
// capped exponential backoff (an error with a RetryAfter() time.Duration
// method, such as a connection waiting to redial, can ask for a longer
// wait); the buffer fills and the policy decides. The
// next Sync returns the error. Errors that cannot heal (EPIPE, EBADF, a
// closed file) stop the retries: OnError fires once and later entries are
// dropped and counted. Close waits a bounded time for the final flush and
// then reports how many bytes it could not write.
//
// # Destinations
//
// A destination is an io.Writer. The stream also uses, when the destination
// has them, Sync() error (called by [Stream.Sync] and before a rotation),
// Close() error (called once by Close), and the methods of [Rotator],
// [Reopener], [SizeRotator] and [TimeRotator], through which package rotate
// builds rotating files whose rotations are ordered with the data.
//
// # Configs and URLs
//
// [Config] holds a stream's settings for config files; the destination
// packages' configs embed it. Packages rotate, stdout and netsink register
// URL schemes (rotate:, stream:, net:) whose query parameters are the same
// settings: [OpenURL] opens a stream from such a URL, and [Build] and
// [BuildStreams] build a zap logger from a zap.Config whose OutputPaths use
// them, giving each stream a [NewCore] and the caller a way to close them.
//
// # log/slog
//
// [NewSlogHandler] gives services that log with log/slog what [NewCore]
// gives zap users: slog's own JSON or text output, one entry per record,
// warnings and errors kept under Drop, and drop summaries where records
// went missing.
//
//	logger := slog.New(logsink.NewSlogHandler(s, nil))
package logsink
