package stdout_test

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/stdout"
)

func Example() {
	s := stdout.New()
	_, _ = s.Write([]byte("buffered, then flushed\n"))
	if err := s.Close(); err != nil {
		fmt.Println("close:", err)
	}
	// Close flushed the stream but left standard output open.
	fmt.Println("still printing after Close")
	// Output:
	// buffered, then flushed
	// still printing after Close
}

// A zap logger on standard output that never slows the service: under
// pressure info entries may be dropped (and counted), warnings and errors
// are kept.
func Example_zap() {
	s := stdout.New(logsink.WithPolicy(logsink.Drop))
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:  "msg",
		LevelKey:    "level",
		EncodeLevel: zapcore.LowercaseLevelEncoder,
	})
	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel, logsink.KeepAtOrAbove(zapcore.WarnLevel)))

	logger.Info("listening", zap.String("addr", ":8080"))
	logger.Debug("not enabled")
	logger.Warn("slow request", zap.Int("ms", 2500))
	_ = logger.Sync() // nil on a pipe or terminal
	_ = s.Close()
	fmt.Println("dropped:", s.Stats().Dropped)
	// Output:
	// {"level":"info","msg":"listening","addr":":8080"}
	// {"level":"warn","msg":"slow request","ms":2500}
	// dropped: 0
}

// zap's OutputPaths reach the same streams through the "stream" scheme,
// which importing this package registers.
func Example_outputPaths() {
	cfg := zap.Config{
		Level:    zap.NewAtomicLevelAt(zapcore.InfoLevel),
		Encoding: "json",
		EncoderConfig: zapcore.EncoderConfig{
			MessageKey:  "msg",
			LevelKey:    "level",
			EncodeLevel: zapcore.LowercaseLevelEncoder,
		},
		OutputPaths:      []string{"stream:stdout?policy=drop&buffer_size=256KiB&flush_interval=50ms"},
		ErrorOutputPaths: []string{"stderr"},
	}
	logger, closeAll, err := logsink.Build(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.Info("started")
	if err := closeAll(); err != nil { // syncs the logger, closes the stream
		fmt.Println(err)
	}

	// A bad parameter is an error that names it.
	cfg.OutputPaths = []string{"stream:stdout?policy=sometimes"}
	_, _, err = logsink.Build(cfg)
	fmt.Println(err != nil)
	// Output:
	// {"level":"info","msg":"started"}
	// true
}

func ExampleConfig() {
	doc := `
target: stdout
policy: drop
buffer_size: 256KiB
flush_interval: 50ms
`
	var cfg stdout.Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Target, cfg.Policy, cfg.BufferSize, cfg.FlushInterval)
	// Output: stdout drop 256KiB 50ms
}

func ExampleOpen() {
	cfg := stdout.Config{Target: "stdout", Config: logsink.Config{Policy: logsink.Drop}}
	s, err := stdout.Open(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = s.Write([]byte("opened from a config\n"))
	_ = s.Close()

	_, err = stdout.Open(stdout.Config{Target: "stdin"})
	fmt.Println(err)
	// Output:
	// opened from a config
	// stdout: target="stdin": unknown target (want stdout or stderr)
}

func ExampleNewFileStream() {
	// NewFileStream wraps any *os.File the way New wraps standard output. The
	// stream never closes the file: its owner does.
	s := stdout.NewFileStream(os.Stdout, logsink.WithHighWaterMark(4<<10))
	_, _ = s.Write([]byte("through NewFileStream\n"))
	_ = s.Close()
	// Output: through NewFileStream
}

func ExampleNewStderr() {
	s := stdout.NewStderr(logsink.WithPolicy(logsink.Drop))
	defer s.Close() // flushes; standard error stays open
	logger := zap.New(zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), s, zapcore.DebugLevel))
	logger.Debug("to standard error")
}

// A service that must outlive its log reader opts in once, early in main.
func ExampleSurviveBrokenPipe() {
	stdout.SurviveBrokenPipe()
	s := stdout.New(logsink.OnError(func(err error) {
		// Called once when the reader goes away (EPIPE); the stream then
		// drops and counts later entries.
	}))
	defer s.Close()
}
