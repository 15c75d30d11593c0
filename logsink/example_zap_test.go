package logsink_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
)

// exampleEncoder writes JSON without time or caller, so that the examples'
// output is the same on every run.
func exampleEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:     "msg",
		LevelKey:       "level",
		EncodeLevel:    zapcore.LowercaseLevelEncoder,
		EncodeDuration: zapcore.StringDurationEncoder,
	})
}

func ExampleNewCore() {
	var out bytes.Buffer // any io.Writer; a file in a real service
	s := logsink.New(&out, logsink.WithPolicy(logsink.Drop))
	logger := zap.New(logsink.NewCore(exampleEncoder(), s, zapcore.InfoLevel))

	logger.Info("listening", zap.Int("port", 8080))
	logger.Debug("not enabled")
	logger.With(zap.String("req", "r1")).Warn("slow request", zap.Duration("took", 2*time.Second))

	// Close flushes the buffer and syncs and closes the destination.
	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// {"level":"info","msg":"listening","port":8080}
	// {"level":"warn","msg":"slow request","req":"r1","took":"2s"}
}

// Under the Drop policy, entries that find the buffer full are dropped; the
// next entry that finds room is preceded by a summary of what was lost.
func ExampleNewCore_dropSummary() {
	var out bytes.Buffer
	s := logsink.New(&out,
		logsink.WithPolicy(logsink.Drop),
		logsink.WithBufferSize(200), // room for three of the entries below
		logsink.WithHighWaterMark(200),
		logsink.WithFlushInterval(time.Hour),
	)
	logger := zap.New(logsink.NewCore(exampleEncoder(), s, zapcore.InfoLevel))

	for i := range 5 {
		logger.Info("request served", zap.String("path", "/api/items"), zap.Int("n", i))
	}
	_ = logger.Sync() // the destination catches up
	logger.Info("request served", zap.String("path", "/api/items"), zap.Int("n", 5))

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	fmt.Println("dropped:", s.Stats().Dropped)
	// Output:
	// {"level":"info","msg":"request served","path":"/api/items","n":0}
	// {"level":"info","msg":"request served","path":"/api/items","n":1}
	// {"level":"info","msg":"request served","path":"/api/items","n":2}
	// {"level":"warn","msg":"logsink: dropped log entries","dropped_entries":2,"dropped_bytes":132}
	// {"level":"info","msg":"request served","path":"/api/items","n":5}
	// dropped: 2
}

// A Config decodes from YAML or JSON with sizes and the policy as text
// (and, in YAML, durations too), and gives the options for New.
func ExampleConfig() {
	const text = `
buffer_size: 4MiB
high_water_mark: 64KiB
flush_interval: 250ms
policy: drop
`
	var cfg logsink.Config
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		fmt.Println(err)
		return
	}
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.BufferSize, cfg.HighWaterMark, cfg.FlushInterval, cfg.Policy)

	s := logsink.New(io.Discard, cfg.Options()...)
	fmt.Println("high-water mark:", s.HighWaterMark())
	if err := s.Close(); err != nil {
		fmt.Println(err)
	}

	b, err := json.Marshal(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// 4MiB 64KiB 250ms drop
	// high-water mark: 65536
	// {"buffer_size":"4MiB","high_water_mark":"64KiB","flush_interval":250000000,"policy":"drop"}
}

// A value that does not decode is an error naming it; Validate names the
// setting and the value of what decodes but is out of bounds.
func ExampleConfig_badValue() {
	for _, text := range []string{
		`policy: fast`,
		`buffer_size: banana`,
		`high_water_mark: -1KiB`,
		`buffer_size: 2GiB`,
		`flush_interval: 10us`,
	} {
		var cfg logsink.Config
		err := yaml.Unmarshal([]byte(text), &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		fmt.Println(err)
	}
	// Output:
	// logsink: unknown policy "fast" (want block or drop)
	// invalid size "banana": want bytes or a number with a unit such as 64KiB or 100MB
	// logsink: high_water_mark=-1KiB: must not be negative
	// logsink: buffer_size=2GiB: more than the maximum, 1GiB
	// logsink: flush_interval=10µs: less than the minimum, 1ms
}

// A service at info level keeps its recent debug entries in memory and
// writes them, marked "backlog":true, right before an error.
func ExampleWithBacklog() {
	var out bytes.Buffer
	s := logsink.New(&out)
	logger := zap.New(logsink.NewCore(exampleEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))

	logger.Debug("config loaded", zap.Int("workers", 4))
	logger.Info("listening", zap.Int("port", 8080))
	logger.Debug("connecting to db", zap.String("host", "db1"))
	logger.Error("db unreachable")

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// {"level":"info","msg":"listening","port":8080}
	// {"level":"debug","msg":"config loaded","workers":4,"backlog":true}
	// {"level":"debug","msg":"connecting to db","host":"db1","backlog":true}
	// {"level":"error","msg":"db unreachable"}
}

// Each request gets a backlog of its own: a failing request writes its own
// recent debug entries, not the other requests'.
func ExampleRequestBacklog() {
	var out bytes.Buffer
	s := logsink.New(&out)
	logger := zap.New(logsink.NewCore(exampleEncoder(), s, zapcore.InfoLevel,
		logsink.WithBacklog(logsink.Backlog{Level: zapcore.DebugLevel})))

	serve := func(id string, fail bool) {
		reqLog := logger.With(logsink.RequestBacklog(64<<10), zap.String("req", id))
		reqLog.Debug("parsed body", zap.Int("items", 3))
		if fail {
			reqLog.Error("payment declined")
			return
		}
		reqLog.Info("served")
	}
	serve("r1", false)
	serve("r2", true)
	serve("r3", false)

	if err := s.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(out.String())
	// Output:
	// {"level":"info","msg":"served","req":"r1"}
	// {"level":"debug","msg":"parsed body","req":"r2","items":3,"backlog":true}
	// {"level":"error","msg":"payment declined","req":"r2"}
	// {"level":"info","msg":"served","req":"r3"}
}
