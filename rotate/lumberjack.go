package rotate

import (
	"os"
	"path/filepath"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/logsink"
)

// lumberjack's units and defaults, as lumberjack v2.2.1 defines them.
const (
	lumberjackMegabyte    = 1 << 20 // lumberjack's megabyte is binary
	lumberjackDefaultSize = 100     // megabytes
	lumberjackMode        = logsink.FileMode(0o600)
)

// FromLumberjack returns the Config that writes the files l describes, read
// with lumberjack's meaning: MaxSize in megabytes of 1024*1024 bytes (0 is
// lumberjack's default of 100), MaxAge in days, MaxBackups, LocalTime and
// Compress as they are, and, for an empty Filename, lumberjack's default
// of <os.TempDir()>/<program name>-lumberjack.log. A first file is created
// with lumberjack's mode, 0600; later files take their predecessor's mode,
// as in lumberjack. A service keeps its lumberjack.Logger value, or the
// JSON or YAML block lumberjack's tags decode into one, and replaces
// zapcore.AddSync(&cfg.Log) with rotate.Open(rotate.FromLumberjack(&cfg.Log)).
//
// Everything else is rotate's default: following the path is on, the
// stream settings are logsink's. FromLumberjack reads l only; l is never
// written to, so l's own goroutine, if it ever ran, is none of rotate's
// business. A nil l gives lumberjack's defaults.
func FromLumberjack(l *lumberjack.Logger) Config {
	if l == nil {
		l = &lumberjack.Logger{}
	}
	c := Config{
		Filename:   l.Filename,
		MaxSize:    logsink.Size(int64(l.MaxSize) * lumberjackMegabyte),
		MaxAge:     time.Duration(l.MaxAge) * 24 * time.Hour,
		MaxBackups: l.MaxBackups,
		LocalTime:  l.LocalTime,
		Compress:   l.Compress,
		Mode:       lumberjackMode,
	}
	if l.MaxSize == 0 {
		c.MaxSize = lumberjackDefaultSize * lumberjackMegabyte
	}
	if c.Filename == "" {
		c.Filename = filepath.Join(os.TempDir(), filepath.Base(os.Args[0])+"-lumberjack.log")
	}
	return c
}
