package netsink_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// collect accepts one connection on ln and returns what it sent, once the
// sender closes it.
func collect(ln net.Listener) <-chan string {
	got := make(chan string, 1)
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	return got
}

// A zap logger shipping JSON lines to a collector: here a listener on
// loopback that prints what it receives.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	received := collect(ln)

	s, err := netsink.Open(netsink.Config{Address: ln.Addr().String()}, logsink.WithPolicy(logsink.Drop))
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:  "msg",
		LevelKey:    "level",
		EncodeLevel: zapcore.LowercaseLevelEncoder,
	})
	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel))
	logger.Info("request served", zap.Int("status", 200))
	logger.Warn("slow upstream", zap.Int("ms", 1500))
	if err := s.Close(); err != nil { // flushes, then closes the connection
		fmt.Println(err)
	}
	fmt.Print(<-received)
	// Output:
	// {"level":"info","msg":"request served","status":200}
	// {"level":"warn","msg":"slow upstream","ms":1500}
}

// fixedClock is a zapcore.Clock stopped at one instant, so that the
// example's syslog timestamps are fixed.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                         { return c.t }
func (c fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// RFC 5424 syslog messages, octet counted: the severity comes from each
// entry's level, the facility from the config.
func Example_rfc5424() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	received := collect(ln)

	s, err := netsink.Open(netsink.Config{
		Address:  ln.Addr().String(),
		Framing:  netsink.RFC5424,
		Facility: "local0",
		Hostname: "web-1",
		AppName:  "api",
		ProcID:   "4242",
		Clock:    fixedClock{time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{
		MessageKey:  "msg",
		LevelKey:    "level",
		EncodeLevel: zapcore.LowercaseLevelEncoder,
	})
	logger := zap.New(logsink.NewCore(enc, s, zapcore.InfoLevel))
	logger.Info("started")
	logger.Error("failed")
	_ = s.Close()

	// One frame per line, for reading; on the wire they follow each other.
	r := bufio.NewReader(strings.NewReader(<-received))
	for {
		var n int
		if _, err := fmt.Fscanf(r, "%d ", &n); err != nil {
			break
		}
		frame := make([]byte, n)
		_, _ = io.ReadFull(r, frame)
		fmt.Printf("%d %s\n", n, frame)
	}
	// Output:
	// 86 <134>1 2024-05-06T07:08:09.000000Z web-1 api 4242 - - {"level":"info","msg":"started"}
	// 86 <131>1 2024-05-06T07:08:09.000000Z web-1 api 4242 - - {"level":"error","msg":"failed"}
}

// NewConn gives the connection itself, to read its Stats.
func ExampleNewConn() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	received := collect(ln)

	cfg := netsink.Config{Address: ln.Addr().String(), Framing: netsink.Octet}
	conn, err := netsink.NewConn(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := logsink.New(conn, cfg.Options()...)
	fmt.Println("before the first flush:", conn.Stats().State)
	_, _ = s.Write([]byte("hello\n"))
	_ = s.Flush()
	st := conn.Stats()
	fmt.Println("after:", st.State, "connects:", st.Connects, "entries:", st.Entries, "bytes:", st.Bytes)
	_ = s.Close()
	fmt.Println("closed:", conn.Stats().State)
	fmt.Printf("received: %q\n", <-received)
	// Output:
	// before the first flush: idle
	// after: connected connects: 1 entries: 1 bytes: 7
	// closed: closed
	// received: "5 hello"
}

// zap's OutputPaths reach a collector through the "net" scheme, which
// importing this package registers.
func Example_outputPaths() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	received := collect(ln)

	cfg := zap.Config{
		Level:    zap.NewAtomicLevelAt(zapcore.InfoLevel),
		Encoding: "json",
		EncoderConfig: zapcore.EncoderConfig{
			MessageKey:  "msg",
			LevelKey:    "level",
			EncodeLevel: zapcore.LowercaseLevelEncoder,
		},
		OutputPaths:      []string{"net://" + ln.Addr().String() + "?framing=lines&policy=drop&reconnect_max=5s"},
		ErrorOutputPaths: []string{"stderr"},
	}
	logger, closeAll, err := logsink.Build(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.Info("shipped")
	if err := closeAll(); err != nil { // syncs the logger, closes the stream
		fmt.Println(err)
	}
	fmt.Print(<-received)

	// A bad parameter is an error that names it.
	cfg.OutputPaths = []string{"net://127.0.0.1:5140?framing=gelf"}
	_, _, err = logsink.Build(cfg)
	fmt.Println(err != nil)
	// Output:
	// {"level":"info","msg":"shipped"}
	// true
}

func ExampleConfig() {
	doc := `
proto: tcp
address: logs.internal:6514
framing: rfc5424
facility: local0
max_message_size: 8KiB
reconnect_max: 30s
tls: true
policy: drop
buffer_size: 4MiB
`
	var cfg netsink.Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Address, cfg.Framing, cfg.Facility, cfg.MaxMessageSize, cfg.ReconnectMax, cfg.TLS, cfg.Policy, cfg.BufferSize)
	// Output: logs.internal:6514 rfc5424 local0 8KiB 30s true drop 4MiB
}

func ExampleConfig_Validate() {
	err := netsink.Config{Address: "logs.internal", Framing: "gelf"}.Validate()
	fmt.Println(err)
	// Output:
	// netsink: address="logs.internal": want host:port for tcp
	// netsink: framing="gelf": unknown framing (want lines, octet, rfc5424, rfc3164)
}
