// Package logsink is a buffered, backpressured log sink modelled on Node.js
// Writable streams, for services that log with zap or log/slog.
//
// A [Stream] copies each Write into a bounded in-memory buffer and returns at
// once, without a system call or an allocation; a background flusher writes
// the buffer to the destination in batches (a quarter of the buffer), on a
// flush interval, and on Sync, Flush, Rotate and End. What happens when the
// buffer is full is a [Policy]: [Block] waits for room and loses nothing,
// [Drop] never waits and counts every entry it refuses. A spill on disk
// ([WithSpill]) takes what the destination cannot, so that only a full spill
// brings the policy back.
//
//	f, _ := os.OpenFile("app.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
//	s := logsink.New(f, logsink.WithPolicy(logsink.Drop))
//	defer s.Close() // flushes, syncs and closes f
//	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(cfg), s, zap.InfoLevel))
//
// # Entries
//
// One Write call is one entry. An entry is buffered whole or dropped whole,
// and a rotating destination never splits an entry across two files. Bytes
// reach the destination in the order the Write calls returned: a
// goroutine's entries in the order it wrote them, and those of several
// goroutines in the order they took the stream's lock. The caller's slice
// is copied, never kept, so zap may reuse it. After entries were dropped,
// the stream marks the gap with a summary entry ([WithDropSummary];
// [NewCore] and [NewSlogHandler] set one in their own encoding) before the
// next entry it accepts, or at the next Sync, Flush, Close or flush
// interval.
//
// # Events
//
// The Node.js events map onto hooks and channels: 'drain' is [OnDrain] and
// [Stream.Drained], 'error' is [OnError], 'finish' is [OnFinish] and 'close'
// is [OnClose]; [OnDrop] reports refused entries. Hooks run on a goroutine
// of the stream's own, one at a time and in the order the events happened,
// never with the stream's lock held. Neither writers nor the flusher wait
// for a hook, so a hook may write to and log through its own stream, under
// either policy and however full the buffer; events that pile up while a
// hook runs are coalesced. Close returns after OnClose has run.
//
// # Bounds
//
// Every wait is bounded where the caller did not choose otherwise. Close
// and End return within the close timeout ([WithCloseTimeout], 5s) even if
// the destination's Write never returns; what was not written is counted in
// Stats().LostBytes and the flusher goroutine, stuck in that Write, exits
// when it returns. Sync, Flush, Rotate and Reopen wait at most the close
// timeout too. Under Drop, [Stream.WriteKeep] waits at most the keep
// timeout ([WithKeepTimeout], 1s). The buffer never holds more than its size
// ([WithBufferSize], at most [MaxBufferSize]).
//
// # Failure
//
// When the destination fails, the unwritten bytes stay buffered, the error
// is counted and reported through OnError, and the flusher retries with
// capped exponential backoff (an error with a RetryAfter() time.Duration
// method, such as a connection waiting to redial, can ask for a longer
// wait); the buffer fills and the policy decides. Errors that cannot heal
// (EPIPE, EBADF, a closed file) stop the retries: OnError fires once and
// later entries are dropped and counted. Sync and Close return an error only
// for what they could not do; a failure a retry has healed is reported
// through OnError and Stats().Errors only.
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
//
// # Writing a destination
//
// This section is for authors of destinations; a service that logs needs
// none of it. Packages rotate, stdout and netsink are built on it.
//
// A destination is an io.Writer, which the stream owns. The stream also
// uses the methods below when the destination has them, each called by the
// flusher in order with the data:
//
//   - Sync() error: called by [Stream.Sync] and before a rotation. EINVAL,
//     ENOTSUP and ENOTTY (a pipe, a terminal) count as success.
//   - Close() error: called once, by Close; it may wait at most
//     [Binding].CloseTimeout.
//   - [Rotator]: Rotate switches to a new file, after the stream has
//     flushed and synced everything buffered ([Stream.Rotate] calls it).
//   - [Reopener]: Reopen reopens the file at the same path after an
//     external tool renamed it ([Stream.Reopen] calls it).
//   - [SizeRotator]: the flusher asks for the size and limit before each
//     write and rotates between entries.
//   - [TimeRotator]: the flusher rotates at the times NextRotation names.
//   - [Follower]: Follow, once per flush interval, checks that the file at
//     the path is still the one being written, and switches if not.
//   - [EntryWriter]: WriteEntries gets each entry's end offset, so a
//     destination that frames entries (one syslog message each) knows them
//     exactly; [CheckEnds] validates the ends, and an error wrapping
//     [ErrBadEnds] marks a batch the stream counts as lost and does not
//     retry.
//   - [Binder]: Bind is called once, before the flusher starts, with a
//     [Binding]: the stream's clock, its hook goroutine (for callbacks that
//     may log through the stream), a counter of bytes lost after they were
//     accepted, and the destination's share of the close timeout.
package logsink
