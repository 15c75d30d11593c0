// Package rotate writes a logsink.Stream to a rotating file: the file
// rotates when it reaches a size in bytes, on the wall clock, on demand, and
// never in the middle of an entry. Every rotation first flushes what the
// stream has buffered and fsyncs it to the old file. Backups are named,
// kept and compressed as lumberjack does it, with a cap on their total size
// besides.
//
//	stream, err := rotate.Open(rotate.Config{
//		Filename:     "/var/log/app.log",
//		MaxSize:      100 << 20, // bytes
//		MaxBackups:   5,
//		MaxTotalSize: 1 << 30,        // the file and its backups together
//		Every:        24 * time.Hour, // also at midnight
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
// local time if [Config.LocalTime] is set, else UTC) unless nothing was
// written since the last rotation. [logsink.Stream.Rotate] rotates on
// demand. Stats().Rotations counts every rotation.
//
// At open, a file last modified before the most recent boundary of Every
// (the service was down when it passed) is rotated first, so the file holds
// only the current period's entries; [Config.RotateOnOpen] rotates any
// non-empty file at open.
//
// The file is renamed to a backup named as lumberjack names them (app.log
// becomes app-2006-01-02T15-04-05.000.log), by the stream's clock, in UTC
// unless LocalTime. Two rotations within one millisecond would give two
// backups the same name; rotate moves the later name on by a millisecond
// instead of overwriting a backup, so backup names stay unique and in order.
// On Linux the new file is swapped into place atomically (renameat2 with
// RENAME_EXCHANGE) before the old one gets its backup name, so the path
// never goes missing, for tail -F or a health check; elsewhere the path is
// missing for the time between two renames.
//
// # Retention
//
// After each rotation and at open, a goroutine of the File's removes the
// oldest backups, compressed or not, beyond [Config.MaxBackups], older than
// [Config.MaxAge], and until the backups and the file, counted at MaxSize
// (the most it grows to), fit in [Config.MaxTotalSize]; all three apply. With [Config.Compress] it then
// gzips the other backups. A backup whose [Config.AfterRotate] has not
// returned is left alone until it has. Close lets the goroutine finish what
// was asked for, within the stream's close timeout, and stops it. Errors
// (a backup that cannot be removed) reach the stream's OnError at the next
// flush interval.
//
// # Hooks
//
// [Config.BeforeRotate] and [Config.AfterRotate] run on the stream's hook
// goroutine (logsink.Binding.Hook), in order with the stream's own hooks,
// and may log through the stream; the flusher does not wait for them.
//
// # When other tools touch the file
//
// Once per flush interval the stream calls [File.Follow], which checks that
// the file at the path is still the one being written (device and inode).
// A write checks too, when the last check is older than 10ms. If it was
// deleted, or renamed (logrotate's create mode, with or without a signal),
// writing goes on in the file now at the path, or in a new one created
// with the old file's mode and owner, starting with what is still
// buffered; Stats().Reopens counts the switch. What was written into a
// deleted file since the previous check is counted in Stats().LostBytes
// and [FileStats].UnlinkedBytes and reported through OnError. [logsink.Stream.Reopen], or
// [ReopenOnSignal] for SIGHUP, switches at once. [Config.Follow] set to
// Off turns following off. The file is opened for appending, so after
// logrotate's copytruncate the next entries start at the truncated file's
// beginning, and the size count follows at the next flush interval; what is
// written between the copy and the truncation is lost, as with any program.
//
// # A full disk
//
// The stream retries a write that failed for a full disk, and finishes an
// entry the disk filled in the middle of before anything else. If Close
// gives up while the file ends inside an entry, the File cuts the file back
// to the last whole entry; a file found ending inside a line (a crash's
// fragment) gets a newline before the first new entry. [Config.KeepFree]
// keeps a floor of free space by removing the file's own oldest backups,
// at open, before each rotation and when a write finds the disk full.
//
// # Coming from lumberjack
//
// [FromLumberjack] turns a lumberjack.Logger (or the config block its tags
// decode) into a Config with lumberjack's units, megabytes and days:
// rotate.Open(rotate.FromLumberjack(&cfg.Log)) where the service had
// zapcore.AddSync(&cfg.Log). [Config.Validate] refuses lumberjack's numbers
// written straight into rotate's fields (a MaxSize under 4KiB, a MaxAge
// under a minute).
//
// # Goroutines
//
// A File with retention or compression configured runs one goroutine, for
// them; Close stops it. Nothing of this package outlives Close.
package rotate
