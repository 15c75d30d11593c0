package bench_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog/diode"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"
)

// BufferedWriteSyncer settings used for every bws-* sink: zap's default
// buffer size and a 1s flush interval (zap's default is 30s).
const (
	bwsSize          = 256 << 10
	bwsFlushInterval = time.Second
)

// rotateMaxSize is the size at which lumberjack and rotate switch files.
const rotateMaxSize = 100 << 20

// A sink is one destination under test, opened afresh for each benchmark
// run in its own temporary directory.
type sink struct {
	name string
	open func(b *testing.B, dir string) *opened
}

// opened is an open sink.
type opened struct {
	ws     zapcore.WriteSyncer
	stream *logsink.Stream // the streamsink sinks only
	close  func() error
	lossy  bool // may drop entries by design: report dropped/op
	// counted reports whether every entry ends up as one line in dir, so
	// that lines can be counted afterwards.
	counted bool
}

func openFile(b *testing.B, dir string) *os.File {
	f, err := os.OpenFile(filepath.Join(dir, "app.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func newBWS(ws zapcore.WriteSyncer) *zapcore.BufferedWriteSyncer {
	return &zapcore.BufferedWriteSyncer{WS: ws, Size: bwsSize, FlushInterval: bwsFlushInterval}
}

func newLumberjack(dir string) *lumberjack.Logger {
	return &lumberjack.Logger{Filename: filepath.Join(dir, "app.log"), MaxSize: rotateMaxSize >> 20}
}

func openStream(b *testing.B, dir string, p logsink.Policy) *opened {
	s := logsink.New(openFile(b, dir), logsink.WithPolicy(p))
	return &opened{ws: s, stream: s, close: s.Close, lossy: p == logsink.Drop, counted: true}
}

// sinkNamed returns the sink called name.
func sinkNamed(b *testing.B, name string) sink {
	for _, sk := range sinks() {
		if sk.name == name {
			return sk
		}
	}
	b.Fatalf("no sink %q", name)
	return sink{}
}

// sinks lists every sink in the order of the results table.
func sinks() []sink {
	return []sink{
		{"discard", func(*testing.B, string) *opened {
			return &opened{ws: zapcore.AddSync(io.Discard), close: func() error { return nil }}
		}},
		{"file", func(b *testing.B, dir string) *opened {
			f := openFile(b, dir)
			return &opened{ws: f, close: f.Close, counted: true}
		}},
		{"bws-file", func(b *testing.B, dir string) *opened {
			f := openFile(b, dir)
			w := newBWS(f)
			return &opened{ws: w, close: func() error { return errors.Join(w.Stop(), f.Close()) }, counted: true}
		}},
		{"lumberjack", func(_ *testing.B, dir string) *opened {
			l := newLumberjack(dir)
			return &opened{ws: zapcore.AddSync(l), close: l.Close, counted: true}
		}},
		{"bws-lumberjack", func(_ *testing.B, dir string) *opened {
			l := newLumberjack(dir)
			w := newBWS(zapcore.AddSync(l))
			return &opened{ws: w, close: func() error { return errors.Join(w.Stop(), l.Close()) }, counted: true}
		}},
		{"diode", func(b *testing.B, dir string) *opened {
			w := diode.NewWriter(openFile(b, dir), 1000, 10*time.Millisecond, func(int) {})
			return &opened{ws: zapcore.AddSync(w), close: w.Close, lossy: true, counted: true}
		}},
		{"stream-block", func(b *testing.B, dir string) *opened { return openStream(b, dir, logsink.Block) }},
		{"stream-drop", func(b *testing.B, dir string) *opened { return openStream(b, dir, logsink.Drop) }},
		{"rotate", func(b *testing.B, dir string) *opened {
			s, err := rotate.Open(rotate.Config{Filename: filepath.Join(dir, "app.log"), MaxSize: rotateMaxSize})
			if err != nil {
				b.Fatal(err)
			}
			return &opened{ws: s, stream: s, close: s.Close, counted: true}
		}},
	}
}

// finish closes the sink with the timer stopped and checks what reached the
// files in dir: the lossless sinks must have written every one of the want
// entries, the lossy ones report the fraction they lost as dropped/op.
func (o *opened) finish(b *testing.B, dir string, want int) {
	b.StopTimer()
	if err := o.close(); err != nil {
		b.Fatalf("close: %v", err)
	}
	if !o.counted {
		return
	}
	lines := countLines(b, dir)
	lost := want - lines
	if o.stream != nil {
		st := o.stream.Stats()
		if st.Errors != 0 || st.LostBytes != 0 {
			b.Fatalf("stream stats after close: %v", st)
		}
		// Entries include NewCore's drop summaries, so compare with the file.
		if int(st.Entries) != lines {
			b.Fatalf("stream accepted %d entries, the files hold %d lines", st.Entries, lines)
		}
		// The lines include those summaries too: count the drops.
		lost = int(st.Dropped)
	}
	switch {
	case o.lossy:
		b.ReportMetric(float64(max(lost, 0))/float64(want), "dropped/op")
	case lines != want:
		b.Fatalf("wrote %d entries, the files hold %d lines", want, lines)
	}
}

// countLines counts the newlines in every file in dir, backups included.
func countLines(b *testing.B, dir string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	buf := make([]byte, 1<<20)
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, err := f.Read(buf)
			n += bytes.Count(buf[:m], []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
	return n
}

// modes are the ways each benchmark drives its sink.
var modes = []struct {
	name        string
	parallelism int // 0: serial; otherwise b.SetParallelism(parallelism)
}{
	{"serial", 0},
	{"parallel", 1},
	{"parallel8", 8},
}

// loop runs op b.N times in the given mode, then stops the timer and
// reports the mutex wait per op (mutexwait-ns/op).
func loop(b *testing.B, parallelism int, op func()) {
	wait := startMutexWait()
	b.ResetTimer()
	defer wait.stop(b)
	if parallelism == 0 {
		for range b.N {
			op()
		}
		return
	}
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op()
		}
	})
}

func newEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
}

// logRequest logs the realistic entry: a message and six fields, 204 bytes
// of JSON with the production encoder config.
func logRequest(l *zap.Logger) {
	l.Info("request served",
		zap.String("method", "GET"),
		zap.String("path", "/api/v1/orders/12345/items"),
		zap.Int("status", 200),
		zap.Duration("latency", 1234567*time.Nanosecond),
		zap.String("request_id", "01HZX3K5V7Q8R9S0T1U2V3W4X5"),
		zap.Int("bytes", 5120),
	)
}

// BenchmarkZap logs the realistic entry through a zap logger into each sink.
func BenchmarkZap(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for _, sk := range sinks() {
				b.Run(sk.name, func(b *testing.B) { benchZap(b, sk, m.parallelism, false) })
				if sk.name == "stream-block" || sk.name == "stream-drop" || sk.name == "rotate" {
					b.Run(sk.name+"-newcore", func(b *testing.B) { benchZap(b, sk, m.parallelism, true) })
				}
			}
		})
	}
}

func benchZap(b *testing.B, sk sink, parallelism int, newCore bool) {
	dir := b.TempDir()
	o := sk.open(b, dir)
	var core zapcore.Core
	if newCore {
		core = logsink.NewCore(newEncoder(), o.stream, zapcore.InfoLevel)
	} else {
		core = zapcore.NewCore(newEncoder(), o.ws, zapcore.InfoLevel)
	}
	l := zap.New(core)
	b.ReportAllocs()
	loop(b, parallelism, func() { logRequest(l) })
	o.finish(b, dir, b.N)
}

// rawLine is a pre-encoded 256-byte log line.
var rawLine = func() []byte {
	p := []byte(`{"level":"info","ts":1732600000.123456,"msg":"request served","method":"GET","path":"/api/v1/orders/12345/items","status":200,"latency":0.001234567,"request_id":"01HZX3K5V7Q8R9S0T1U2V3W4X5","bytes":5120,"pad":"`)
	for len(p) < 256-len("\"}\n") {
		p = append(p, 'x')
	}
	return append(p, '"', '}', '\n')
}()

// BenchmarkRaw writes pre-encoded 256-byte lines into each sink.
func BenchmarkRaw(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for _, sk := range sinks() {
				b.Run(sk.name, func(b *testing.B) {
					dir := b.TempDir()
					o := sk.open(b, dir)
					b.SetBytes(int64(len(rawLine)))
					b.ReportAllocs()
					loop(b, m.parallelism, func() {
						if _, err := o.ws.Write(rawLine); err != nil {
							b.Error(err)
						}
					})
					o.finish(b, dir, b.N)
				})
			}
		})
	}
}

// BenchmarkPhysical writes 1 MiB chunks to an unbuffered file in a
// temporary directory: the rate the disk (its page cache) takes bytes at.
func BenchmarkPhysical(b *testing.B) {
	b.Run("file-1MiB", func(b *testing.B) {
		f := openFile(b, b.TempDir())
		chunk := bytes.Repeat(rawLine, (1<<20)/len(rawLine))
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := f.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	})
}
