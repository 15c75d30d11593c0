// Package stdout gives zap loggers buffered, backpressured streams over
// standard output and standard error that are safe in containers and
// pipes: Sync does not fail on a pipe or terminal, Close never closes
// descriptor 1 or 2, and a reader that goes away is reported once instead
// of retried forever.
//
//	s := stdout.New(logsink.WithPolicy(logsink.Drop))
//	defer s.Close() // flushes; standard output stays open
//	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
//	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel))
//
// [New] writes to os.Stdout, [NewStderr] to os.Stderr, and [NewFileStream]
// to any *os.File in the same way. Each takes the file as os.Stdout or
// os.Stderr is at the time of the call, so a program (or a test) that
// swapped them gets what it swapped in. [Open] builds the same streams from
// a [Config] decoded from a config file, and the "stream" URL scheme
// (stream:stdout?policy=drop) from logsink.OpenURL and zap's OutputPaths.
//
// # Defaults
//
// The streams start from logsink's defaults (16 KiB high-water mark, 1 MiB
// buffer, Block policy, 5s close timeout) with one change for containers:
// the flush interval is [DefaultFlushInterval], 100ms instead of 1s.
// Under load the high-water mark triggers flushes long before the interval;
// the interval only decides how long a trickle of lines waits. At 100ms a
// line shows up in `kubectl logs -f` or `docker logs -f` without a visible
// delay, and a container killed without a chance to Close (the OOM killer,
// SIGKILL after the termination grace period) loses at most about 100ms of
// quiet-time logging; the cost is ten wake-ups a second of an idle flusher.
// These defaults are applied before the caller's options, so
// logsink.WithFlushInterval(time.Second) restores logsink's.
//
// # Sync and Close
//
// fsync on a pipe, terminal, socket or /dev/null fails with EINVAL (ENOTSUP
// or ENOTTY on some systems; on Windows a console fails with "The handle is
// invalid"), which is why zap users see "sync /dev/stdout: invalid
// argument". These streams' Sync writes everything buffered and then
// treats those errors as success (logsink's Stream does for EINVAL,
// ENOTSUP and ENOTTY, this package for the Windows console): there is
// nothing further to sync. When standard output is redirected to a regular
// file, Sync really syncs it.
//
// Close (and End) flush everything buffered and finish the stream, but the
// stream does not own the descriptor: standard output and standard error
// stay open, and the program can go on printing to them after Close. The
// same holds for a file passed to NewFileStream; its caller closes it.
//
// Entries reach the descriptor when they are flushed, so a line printed
// straight to os.Stdout can appear before entries logged earlier but not
// yet flushed. Call Flush or Sync first where that order matters. Each
// flush is one write call on the *os.File, which os.File never interleaves
// with other writes through the same *os.File.
//
// # Broken pipes
//
// When the reader of standard output or standard error goes away (a
// `| head` that exited, a log collector that died), writes fail with EPIPE.
// The stream treats that as permanent: OnError fires once, what was
// buffered is counted in Stats().LostBytes, and later entries are dropped and
// counted in Stats().Dropped, without retries.
//
// By default, though, the process does not live to see that: the kernel
// sends SIGPIPE to the writing thread, the Go runtime's handler ignores it,
// and then os.File, seeing EPIPE from a write on descriptor 1 or 2, asks the
// runtime to raise SIGPIPE again with the default action unless the program
// has called signal.Notify or signal.Ignore for SIGPIPE. (A SIGPIPE
// disposition of "ignore" inherited from the parent does not count: the
// runtime installs its handler over it.) The process dies of SIGPIPE, as a
// command-line tool in a shell pipeline should. A write to a broken pipe on any other descriptor
// just returns EPIPE. See the SIGPIPE section of package os/signal.
//
// [SurviveBrokenPipe] (or Config.SurviveBrokenPipe, or
// survive_broken_pipe=true in a stream URL) opts out of that, for services
// that should keep running. It calls signal.Notify(c, syscall.SIGPIPE)
// once, with a channel of capacity one that nothing reads. What that
// changes, for the whole process and until the process exits:
//
//   - Every write to a broken pipe on descriptor 1 or 2 returns EPIPE
//     instead of killing the process, whoever makes it: these streams,
//     fmt.Println, the log package, a zap logger writing to os.Stdout
//     directly. Code that ignores write errors on standard output keeps
//     running with its output going nowhere.
//   - Every SIGPIPE the process receives, from a broken pipe on any
//     descriptor or sent with kill, is delivered to that channel; once it
//     is full, further ones are discarded. (Without it, the runtime ignores
//     them but for the descriptor 1 and 2 case above.) Writes on other
//     descriptors returned EPIPE before and still do.
//   - The first signal.Notify call in a process starts os/signal's single
//     watcher goroutine, which runs until the process exits and is shared by
//     every Notify user (goleak ignores it). This package starts no
//     goroutine of its own.
//
// It does not change the signal's disposition: the Go runtime already has a
// handler installed for SIGPIPE, so nothing is inherited by child processes
// started with os/exec, which get the default action again at exec. This is
// why it uses signal.Notify rather than signal.Ignore: an ignored SIGPIPE is
// inherited across exec, so every child would get EPIPE errors instead of
// the quiet exit that shell tools expect when their reader goes away. A later signal.Reset(syscall.SIGPIPE) elsewhere
// in the program undoes it, and signal.Ignore(syscall.SIGPIPE) replaces it
// with ignoring. In a program using cgo, a SIGPIPE raised on a thread not
// created by Go is still handled by C's rules, as os/signal describes.
//
// # URLs
//
// Importing this package registers the URL scheme "stream", so that
// zap.Config.OutputPaths, logsink.Build (which also returns a function that
// closes the streams) and logsink.OpenURL can name these streams:
//
//	stream:stdout
//	stream:stderr?policy=drop&buffer_size=256KiB&flush_interval=50ms
//	stream:stdout?survive_broken_pipe=true
//
// The target is the URL's opaque part (stream:///stdout also works); every
// query parameter is a [Config] setting under its JSON name: buffer_size,
// high_water_mark, flush_interval, policy, block_timeout, close_timeout,
// keep_timeout and survive_broken_pipe. An unknown target or parameter, or a bad value, is an
// error that names it. Closing the zap sink closes the stream, which leaves
// the descriptor open.
package stdout
