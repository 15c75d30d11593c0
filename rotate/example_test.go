package rotate_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

// printFiles prints each file in dir, backups first, with its contents.
func printFiles(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if backupRE.MatchString(name) {
			name = "backup"
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Printf("%s:\n%s", name, b)
	}
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	stream, err := rotate.Open(rotate.Config{
		Filename:   filepath.Join(dir, "app.log"),
		MaxSize:    64 << 20,
		MaxBackups: 5,
		AfterRotate: func(backup string) {
			fmt.Println("rotated to a backup in the same directory:", filepath.Dir(backup) == dir)
		},
	}, logsink.WithPolicy(logsink.Drop))
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"})
	logger := zap.New(logsink.NewCore(enc, stream, zap.InfoLevel))

	logger.Info("before the rotation")
	_ = stream.Rotate() // flushes and fsyncs, then rotates
	logger.Info("after the rotation")
	if err := stream.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("rotations:", stream.Stats().Rotations)
	printFiles(dir)
	// Output:
	// rotated to a backup in the same directory: true
	// rotations: 1
	// backup:
	// {"msg":"before the rotation"}
	// app.log:
	// {"msg":"after the rotation"}
}

func ExampleNewFile() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	// A File is the destination on its own; it rotates only when told.
	f, err := rotate.NewFile(rotate.Config{Filename: filepath.Join(dir, "app.log")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Fprintln(f, "first")
	_ = f.Rotate()
	fmt.Fprintln(f, "second")
	size, limit := f.SizeLimit()
	fmt.Println("size:", size, "limit:", limit)
	_ = f.Close()
	printFiles(dir)
	// Output:
	// size: 7 limit: 104857600
	// backup:
	// first
	// app.log:
	// second
}

// A stream calls Follow once per flush interval; called by hand, it shows
// what happens when another tool renames the file.
func ExampleFile_Follow() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	path := filepath.Join(dir, "app.log")
	f, err := rotate.NewFile(rotate.Config{Filename: path})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Fprintln(f, "before logrotate")
	_ = os.Rename(path, path+".1") // logrotate's create mode, without a signal
	reopened, err := f.Follow()
	fmt.Println("reopened:", reopened, err)
	fmt.Fprintln(f, "after logrotate")
	_ = f.Close()
	old, _ := os.ReadFile(path + ".1")
	now, _ := os.ReadFile(path)
	fmt.Printf("app.log.1: %sapp.log: %s", old, now)
	// Output:
	// reopened: true <nil>
	// app.log.1: before logrotate
	// app.log: after logrotate
}

func ExampleConfig_Validate() {
	err := rotate.Config{Filename: "", MaxSize: -1}.Validate()
	fmt.Println(err)
	// Output:
	// rotate: max_size=-1: must not be negative
	// rotate: filename="": must not be empty
}

// The "rotate" sink scheme lets a zap.Config name a rotating file; every
// Config field is a query parameter.
func Example_zapConfig() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	cfg := zap.NewProductionConfig()
	cfg.EncoderConfig = zapcore.EncoderConfig{MessageKey: "msg"}
	cfg.OutputPaths = []string{"rotate://" + filepath.Join(dir, "app.log") + "?max_size=100MB&max_backups=5&every=24h&policy=drop"}
	logger, closeAll, err := logsink.Build(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.Info("hello from a zap.Config")
	_ = closeAll() // flushes, syncs and closes the file
	printFiles(dir)
	// Output:
	// app.log:
	// {"msg":"hello from a zap.Config"}
}

func ExampleReopenOnSignal() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	stream, err := rotate.Open(rotate.Config{Filename: filepath.Join(dir, "app.log")})
	if err != nil {
		fmt.Println(err)
		return
	}
	// On SIGHUP, after logrotate renamed the file: flush, fsync, reopen.
	stop := rotate.ReopenOnSignal(stream)
	fmt.Fprintln(stream, "logged while listening for SIGHUP")
	stop() // before Close
	_ = stream.Close()
	printFiles(dir)
	// Output:
	// app.log:
	// logged while listening for SIGHUP
}

// lumberjack's own example, through the bridge: a service keeps its
// lumberjack.Logger (or the config block it decodes into one) and opens a
// stream with it, where it had zapcore.AddSync(&logger) or
// log.SetOutput(&logger).
func ExampleFromLumberjack() {
	dir, _ := os.MkdirTemp("", "rotate-example")
	defer os.RemoveAll(dir)

	cfg := rotate.FromLumberjack(&lumberjack.Logger{
		Filename:   filepath.Join(dir, "foo.log"),
		MaxSize:    500, // megabytes
		MaxBackups: 3,
		MaxAge:     28,   // days
		Compress:   true, // disabled by default
	})
	fmt.Println("max_size:", cfg.MaxSize, "max_age:", cfg.MaxAge, "mode:", cfg.Mode)

	stream, err := rotate.Open(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	log.SetOutput(stream)
	log.SetFlags(0)
	log.Print("hello from the standard library's log")
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
	if err := stream.Close(); err != nil {
		fmt.Println(err)
	}
	b, _ := os.ReadFile(cfg.Filename)
	fmt.Print(string(b))
	// Output:
	// max_size: 500MiB max_age: 672h0m0s mode: 0600
	// hello from the standard library's log
}
