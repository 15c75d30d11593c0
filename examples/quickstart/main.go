// Command quickstart logs a burst through a rotating file stream and shows
// what it left on disk.
//
//	go run ./examples/quickstart [-dir DIR]
//
// Without -dir it writes to a new temporary directory and removes it at
// the end.
//
// It builds a zap production-style JSON logger on rotate.Open with a small
// MaxSize, logs a few thousand entries (the stream rotates between entries
// whenever the next one would not fit), rotates once on demand, closes the
// stream (flush, fsync, close), and prints the files and the stream's Stats.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func main() {
	dir := flag.String("dir", "", "directory for the log files (default: a temporary directory, removed at the end)")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "streamsink-quickstart-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	fmt.Println("writing to", dir)

	rotations := 0
	stream, err := rotate.Open(rotate.Config{
		Filename:    filepath.Join(dir, "app.log"),
		MaxSize:     16 << 10,
		MaxBackups:  8,
		AfterRotate: func(string) { rotations++ }, // runs on the stream's hook goroutine, before Close returns
	}, logsink.WithPolicy(logsink.Block))
	if err != nil {
		return err
	}

	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(encCfg), stream, zap.InfoLevel))

	start := time.Now()
	for i := range 3000 {
		logger.Info("request served",
			zap.Int("seq", i),
			zap.String("path", "/api/items"),
			zap.Duration("took", time.Duration(i%97)*time.Millisecond),
		)
	}
	if err := stream.Rotate(); err != nil { // flush, fsync, then rotate
		return err
	}
	logger.Warn("rotated on demand; this entry starts the new file")
	if err := stream.Close(); err != nil {
		return err
	}
	elapsed := time.Since(start)

	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	fmt.Printf("%d files (MaxSize 16KiB, MaxBackups 8; older backups are removed in the background, and Close waits for that):\n", len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		fmt.Printf("  %-36s %6d bytes  %s\n", e.Name(), info.Size(), info.Mode().Perm())
	}
	fmt.Printf("AfterRotate calls: %d\n", rotations)
	fmt.Printf("stats: %s\n", stream.Stats())
	fmt.Printf("took %s\n", elapsed.Round(time.Millisecond))
	return nil
}
