// Package rotate writes a logsink.Stream to a rotating file built on
// lumberjack: the file rotates when it reaches a size in bytes, on the wall
// clock, on demand, and never in the middle of an entry. Every rotation first
// flushes what the stream has buffered and fsyncs it to the old file.
//
//	stream, err := rotate.Open(rotate.Config{
//		Filename:   "/var/log/app.log",
//		MaxSize:    100 << 20, // bytes
//		MaxBackups: 5,
//		Every:      24 * time.Hour, // also at midnight
//	}, logsink.WithPolicy(logsink.Drop))
//	if err != nil {
//		return err
//	}
//	defer stream.Close() // flushes, fsyncs and closes the file
//	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(encCfg), stream, zap.InfoLevel))
//
// Importing the package also registers the URL scheme "rotate", so that a
// zap.Config's OutputPaths, logsink.Build and logsink.OpenURL can name the
// same file, with every [Config] setting as a query parameter:
//
//	rotate:///var/log/app.log?max_size=100MB&max_backups=5&every=24h&policy=drop
//	rotate:logs/app.log?max_size=64MiB
//
// The second is a path relative to the working directory at open time:
// written without //, since rotate://app.log would make app.log a host.
//
// # Rotation
//
// A [File] implements logsink.SizeRotator and logsink.TimeRotator, so the
// stream's flusher rotates it in order with the data: between two entries,
// when the next entry would take the file past [Config.MaxSize], and at each
// wall-clock boundary of [Config.Every] (24h at midnight, 1h on the hour, in
// local time if [Config.LocalTime] is set, else UTC). [logsink.Stream.Rotate]
// rotates on demand. Stats().Rotations counts every rotation.
//
// The file is renamed to a backup named as lumberjack names them
// (app.log becomes app-2006-01-02T15-04-05.000.log, in UTC unless LocalTime),
// and lumberjack then compresses and removes old backups as MaxBackups,
// MaxAge and Compress say. Two rotations within one millisecond would give
// two backups the same name; rotate moves the later name on by a millisecond
// instead of overwriting a backup, so backup names stay unique and in order.
//
// [Config.BeforeRotate] runs before each rotation and [Config.AfterRotate]
// after it, with the backup's path, on the stream's flusher goroutine.
//
// # External rotation
//
// When a tool such as logrotate renames the file, call
// [logsink.Stream.Reopen] (or use [ReopenOnSignal] for SIGHUP): the stream
// flushes, fsyncs, and the file is closed and opened again at its path,
// without another rename.
//
// # Goroutines
//
// lumberjack v2.2.1 starts a "mill" goroutine per lumberjack.Logger, for
// compression and removal of old backups, that its Close never stops. rotate
// keeps one lumberjack.Logger per absolute path (and retention setting) for
// the life of the process and reuses it whenever that path is opened again,
// so there is at most one such goroutine per path however often it is opened
// and closed. It sleeps on a channel and costs no CPU. Everything else this
// package starts stops on Close.
package rotate
