package netsink_test

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

var testEncoderConfig = zapcore.EncoderConfig{
	MessageKey:  "msg",
	LevelKey:    "level",
	EncodeLevel: zapcore.LowercaseLevelEncoder,
}

func TestZapBuildURL(t *testing.T) {
	col := newCollector(t, "tcp")
	cfg := zap.Config{
		Level:            zap.NewAtomicLevelAt(zapcore.DebugLevel),
		Encoding:         "json",
		EncoderConfig:    testEncoderConfig,
		OutputPaths:      []string{"net://" + col.addr() + "?framing=rfc5424&facility=local3&hostname=web-1&app_name=api&proc_id=7&policy=drop"},
		ErrorOutputPaths: []string{"stderr"},
	}
	logger, closeAll, err := logsink.Build(cfg)
	require.NoError(t, err, "Build")
	logger.Debug("d")
	logger.Info("i", zap.Int("n", 1))
	logger.Warn("w")
	logger.Error("e")
	require.NoError(t, closeAll(), "close")
	col.waitEOF(1)

	frames := octetFrames(t, col.all())
	var got []string
	for _, f := range frames {
		parts := strings.SplitN(f, " ", 8)
		require.Len(t, parts, 8, "RFC 5424 message %q", f)
		got = append(got, parts[0]+" "+strings.Join(parts[2:], " ")) // without the timestamp
	}
	// local3 is 19: PRI = 19*8 + severity.
	assert.Equal(t, []string{
		`<159>1 web-1 api 7 - - {"level":"debug","msg":"d"}`,
		`<158>1 web-1 api 7 - - {"level":"info","msg":"i","n":1}`,
		`<156>1 web-1 api 7 - - {"level":"warn","msg":"w"}`,
		`<155>1 web-1 api 7 - - {"level":"error","msg":"e"}`,
	}, got, "severity from each entry's level")
}

func TestZapBuildURLError(t *testing.T) {
	cfg := zap.Config{
		Level:         zap.NewAtomicLevelAt(zapcore.InfoLevel),
		Encoding:      "json",
		EncoderConfig: testEncoderConfig,
		OutputPaths:   []string{"net://127.0.0.1:5140?facility=local9"},
	}
	_, _, err := logsink.Build(cfg)
	assert.ErrorContains(t, err, `facility="local9"`, "the error names the parameter")
}

func TestZapConsoleSeverity(t *testing.T) {
	// The console encoder's level is a tab-separated field.
	col := newCollector(t, "tcp")
	s, err := netsink.Open(netsink.Config{Address: col.addr(), Framing: netsink.RFC3164, Hostname: "h", AppName: "a", ProcID: "1"})
	require.NoError(t, err, "Open")
	enc := zapcore.NewConsoleEncoder(zapcore.EncoderConfig{MessageKey: "M", LevelKey: "L", TimeKey: "T",
		EncodeLevel: zapcore.CapitalLevelEncoder, EncodeTime: zapcore.ISO8601TimeEncoder})
	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel))
	logger.Warn("careful")
	require.NoError(t, s.Close(), "Close")
	col.waitEOF(1)
	got := lines(col.all())
	require.Len(t, got, 1, "one message")
	assert.True(t, strings.HasPrefix(got[0], "<12>"), "user.warning: %q", got[0])
	assert.True(t, strings.HasSuffix(got[0], "\tWARN\tcareful"), "the console entry is the MSG: %q", got[0])
}

// TestZapYAMLConfig is the README's zap config, shipping to a collector.
func TestZapYAMLConfig(t *testing.T) {
	col := newCollector(t, "tcp")
	doc := `
zap:
  level: info
  encoding: json
  outputPaths:
    - "net://COLLECTOR?framing=octet&policy=drop&buffer_size=4MiB&max_message_size=8KiB&reconnect_max=30s"
  errorOutputPaths: [stderr]
  encoderConfig:
    messageKey: msg
    levelKey: level
    levelEncoder: lowercase
`
	var cfg struct {
		Zap zap.Config `yaml:"zap"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(strings.Replace(doc, "COLLECTOR", col.addr(), 1)), &cfg), "decode")
	logger, closeLogs, err := logsink.Build(cfg.Zap)
	require.NoError(t, err, "Build")
	logger.Info("shipped", zap.Int("n", 1))
	require.NoError(t, closeLogs(), "close")
	col.waitEOF(1)
	assert.Equal(t, []string{`{"level":"info","msg":"shipped","n":1}`}, octetFrames(t, col.all()), "received")
}

func TestZapWarningDuringOutageWaitsAtMostKeepTimeout(t *testing.T) {
	// Under Drop, NewCore writes warnings with WriteKeep, which waits for
	// room; with the collector down nothing frees any, so the wait must
	// end at the keep timeout (1s by default): the warning is then dropped
	// and counted like any other entry.
	conn, err := netsink.NewConn(netsink.Config{Address: refusedAddr(t)})
	require.NoError(t, err, "NewConn")
	const buffer = 4 << 10
	s := logsink.New(conn, logsink.WithPolicy(logsink.Drop), logsink.WithBufferSize(buffer),
		logsink.WithCloseTimeout(50*time.Millisecond))
	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(testEncoderConfig), s, zapcore.InfoLevel))
	for i := 0; s.Stats().Dropped == 0; i++ {
		require.Less(t, i, 1000, "the buffer fills")
		logger.Info("filling", zap.Int("n", i), zap.String("pad", strings.Repeat("x", 100)))
	}
	dropped := s.Stats().Dropped

	took := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		logger.Warn("collector unreachable", zap.String("pad", strings.Repeat("w", 300))) // larger than any gap left
		took <- time.Since(start)
	}()
	// A generous margin for a loaded CI machine; without the bound the
	// warning waits until the collector comes back, here never.
	const margin = 4 * time.Second
	select {
	case d := <-took:
		assert.Less(t, d, logsink.DefaultKeepTimeout+margin, "the warning waited at most the keep timeout")
	case <-time.After(logsink.DefaultKeepTimeout + margin):
		t.Fatalf("the warning still waits after the keep timeout (%s) and a margin of %s", logsink.DefaultKeepTimeout, margin)
	}
	assert.Equal(t, dropped+1, s.Stats().Dropped, "the warning was dropped and counted")
	assert.ErrorContains(t, s.Close(), "not written", "Close reports what the outage kept back")
}

// A collector outage under Drop with nothing logged afterwards: the drop
// summary used to stay pending in the stream, and only Stats() knew. Now
// Close (or Sync, or the next flush interval) writes it, and it reaches the
// collector once it is back.
func TestDropSummaryReachesTheCollector(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen")
	addr := ln.Addr().String()
	require.NoError(t, ln.Close(), "the collector is down")

	s, err := netsink.Open(netsink.Config{Address: addr, ReconnectMin: time.Millisecond, ReconnectMax: 10 * time.Millisecond,
		Config: logsink.Config{Policy: logsink.Drop, BufferSize: 8 << 10}})
	require.NoError(t, err, "Open")
	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), s, zapcore.InfoLevel))
	for i := range 1000 {
		logger.Info("burst", zap.Int("i", i))
	}
	dropped := s.Stats().Dropped
	require.Positive(t, dropped, "the outage drops entries")

	ln, err = net.Listen("tcp", addr) // the collector is back
	require.NoError(t, err, "listen again on %s", addr)
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			got <- ""
			return
		}
		defer nc.Close()
		b, _ := io.ReadAll(nc) // until the stream's Close
		got <- string(b)
	}()
	require.NoError(t, s.Close(), "Close")
	var received string
	select {
	case received = <-got:
	case <-time.After(waitLimit):
		t.Fatal("the collector received nothing")
	}
	var reported uint64
	for _, line := range strings.Split(strings.TrimSpace(received), "\n") {
		var e struct {
			Msg     string `json:"msg"`
			Dropped uint64 `json:"dropped_entries"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &e), "a JSON entry: %q", line)
		if e.Msg == logsink.DroppedMessage {
			reported += e.Dropped
		}
	}
	assert.Equal(t, dropped, reported, "the summary at the collector reports every drop")
}
