package netsink_test

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/internal/conftest"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600), "write")
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		desc string
		give netsink.Config
		want []string // substrings of the error; none for valid
	}{
		{desc: "tcp", give: netsink.Config{Address: "logs:514"}},
		{desc: "ipv6", give: netsink.Config{Address: "[::1]:514", Proto: "tcp6"}},
		{desc: "unix", give: netsink.Config{Proto: "unix", Address: "/run/collector.sock"}},
		{desc: "unixgram", give: netsink.Config{Proto: "unixgram", Address: "/dev/log", Framing: netsink.RFC3164}},
		{desc: "everything", give: netsink.Config{
			Proto: "udp", Address: "logs:514", Framing: netsink.RFC5424, Facility: "local7", Severity: "notice",
			LevelKey: "lvl", Hostname: "web-1.example.com", AppName: "api", ProcID: "worker-3", MsgID: "ACCESS",
			MaxMessageSize: 8 << 10, DialTimeout: time.Second, WriteTimeout: time.Second,
			ReconnectMin: time.Second, ReconnectMax: time.Minute,
		}},
		{desc: "zap severity", give: netsink.Config{Address: "logs:514", Severity: "dpanic"}},
		{desc: "zero", give: netsink.Config{}, want: []string{`address="": must not be empty`}},
		{desc: "unknown proto", give: netsink.Config{Proto: "sctp", Address: "h:1"}, want: []string{`proto="sctp"`}},
		{desc: "no port", give: netsink.Config{Address: "logs"}, want: []string{`address="logs": want host:port`}},
		{desc: "empty port", give: netsink.Config{Address: "logs:"}, want: []string{`address="logs:": no port`}},
		{desc: "unknown framing", give: netsink.Config{Address: "h:1", Framing: "gelf"}, want: []string{`framing="gelf"`, "lines, octet, rfc5424, rfc3164"}},
		{desc: "unknown facility", give: netsink.Config{Address: "h:1", Facility: "local8"}, want: []string{`facility="local8"`}},
		{desc: "unknown severity", give: netsink.Config{Address: "h:1", Severity: "loud"}, want: []string{`severity="loud"`}},
		{desc: "level key", give: netsink.Config{Address: "h:1", LevelKey: `a"b`}, want: []string{`level_key="a\"b"`}},
		{desc: "hostname space", give: netsink.Config{Address: "h:1", Hostname: "my host"}, want: []string{`hostname="my host"`, "printable"}},
		{desc: "app name long", give: netsink.Config{Address: "h:1", AppName: strings.Repeat("a", 49)}, want: []string{"app_name=", "48 bytes"}},
		{desc: "proc id non-ASCII", give: netsink.Config{Address: "h:1", ProcID: "é"}, want: []string{`proc_id="é"`}},
		{desc: "msg id long", give: netsink.Config{Address: "h:1", MsgID: strings.Repeat("m", 33)}, want: []string{"msg_id=", "32 bytes"}},
		{desc: "message size small", give: netsink.Config{Address: "h:1", MaxMessageSize: 100}, want: []string{"max_message_size=100: less than the minimum, 480"}},
		{desc: "message size negative", give: netsink.Config{Address: "h:1", MaxMessageSize: -2}, want: []string{"max_message_size=-2"}},
		{desc: "no limit on udp", give: netsink.Config{Proto: "udp", Address: "h:1", MaxMessageSize: netsink.NoMessageLimit}, want: []string{"max_message_size=0", "UDP"}},
		{desc: "message size udp", give: netsink.Config{Proto: "udp", Address: "h:1", MaxMessageSize: 70000}, want: []string{"max_message_size=70000", "UDP"}},
		{desc: "message size past the buffer bound", give: netsink.Config{Address: "h:1", MaxMessageSize: 2 << 30}, want: []string{"max_message_size=2GiB", "maximum, 1GiB"}},
		{desc: "reconnect min busy", give: netsink.Config{Address: "h:1", ReconnectMin: time.Microsecond}, want: []string{"reconnect_min=1µs", "minimum, 1ms"}},
		{desc: "reconnect max busy", give: netsink.Config{Address: "h:1", ReconnectMax: time.Nanosecond}, want: []string{"reconnect_max=1ns", "minimum, 1ms"}},
		{desc: "dial timeout", give: netsink.Config{Address: "h:1", DialTimeout: -time.Second}, want: []string{"dial_timeout=-1s"}},
		{desc: "write timeout", give: netsink.Config{Address: "h:1", WriteTimeout: -time.Second}, want: []string{"write_timeout=-1s"}},
		{
			desc: "reconnect range", give: netsink.Config{Address: "h:1", ReconnectMin: time.Minute, ReconnectMax: time.Second},
			want: []string{"reconnect_min=1m0s", "reconnect_max=1s"},
		},
		{desc: "tls on udp", give: netsink.Config{Proto: "udp", Address: "h:1", TLS: true}, want: []string{"tls=true", `proto="udp"`}},
		{desc: "ca file without tls", give: netsink.Config{Address: "h:1", CAFile: "/ca.pem"}, want: []string{`ca_file="/ca.pem": needs tls=true`}},
		{desc: "skip verify without tls", give: netsink.Config{Address: "h:1", InsecureSkipVerify: true}, want: []string{`insecure_skip_verify="true": needs tls=true`}},
		{desc: "ca file missing", give: netsink.Config{Address: "h:1", TLS: true, CAFile: missing}, want: []string{`ca_file="` + missing + `"`, "no such file"}},
		{desc: "ca file not PEM", give: netsink.Config{Address: "h:1", TLS: true, CAFile: notPEM}, want: []string{`ca_file="` + notPEM + `": no PEM`}},
		{desc: "cert without key", give: netsink.Config{Address: "h:1", TLS: true, CertFile: "c.pem"}, want: []string{`cert_file="c.pem": needs key_file`}},
		{desc: "key without cert", give: netsink.Config{Address: "h:1", TLS: true, KeyFile: "k.pem"}, want: []string{`key_file="k.pem": needs cert_file`}},
		{desc: "bad key pair", give: netsink.Config{Address: "h:1", TLS: true, CertFile: notPEM, KeyFile: notPEM}, want: []string{`cert_file="` + notPEM + `"`}},
		{
			desc: "TLSConfig and settings", give: netsink.Config{Address: "h:1", TLSConfig: &tls.Config{}, ServerName: "x"},
			want: []string{`server_name="x": set TLSConfig or the TLS settings, not both`},
		},
		{desc: "TLSConfig on unix", give: netsink.Config{Proto: "unix", Address: "/s", TLSConfig: &tls.Config{}}, want: []string{`proto="unix"`}},
		{desc: "stream setting", give: netsink.Config{Address: "h:1", Config: logsink.Config{BufferSize: -1}}, want: []string{"buffer_size=-1"}},
		{
			desc: "every error",
			give: netsink.Config{Proto: "sctp", Framing: "x", Config: logsink.Config{Policy: 9}},
			want: []string{`proto="sctp"`, `address=""`, `framing="x"`, "policy=9"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.give.Validate()
			if len(tt.want) == 0 {
				assert.NoError(t, err, "Validate(%+v)", tt.give)
				return
			}
			require.Error(t, err, "Validate(%+v)", tt.give)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "the error names the field and value")
			}
		})
	}
}

func TestOpenInvalid(t *testing.T) {
	s, err := netsink.Open(netsink.Config{Address: "nohost"})
	assert.ErrorContains(t, err, `address="nohost"`, "Open validates")
	assert.Nil(t, s, "no stream for a bad config")
	c, err := netsink.NewConn(netsink.Config{Framing: "json"})
	assert.ErrorContains(t, err, `framing="json"`, "NewConn validates")
	assert.Nil(t, c, "no Conn for a bad config")
}

func TestOpenDoesNotDial(t *testing.T) {
	// Open succeeds with the collector down: the first flush dials. (A
	// close timeout of 1ms failed this under the race detector on a busy
	// machine: the close's own goroutines had not run in time.)
	s, err := netsink.Open(netsink.Config{Address: refusedAddr(t), Config: logsink.Config{CloseTimeout: time.Second}})
	require.NoError(t, err, "Open")
	assert.NoError(t, s.Close(), "nothing to deliver")
}

func TestOpenOptionOrder(t *testing.T) {
	cfg := netsink.Config{Address: "127.0.0.1:1", Config: logsink.Config{HighWaterMark: 1000}}
	s, err := netsink.Open(cfg)
	require.NoError(t, err, "Open")
	assert.Equal(t, 1000, s.HighWaterMark(), "config")
	require.NoError(t, s.Close(), "Close")
	s, err = netsink.Open(cfg, logsink.WithHighWaterMark(2000))
	require.NoError(t, err, "Open")
	assert.Equal(t, 2000, s.HighWaterMark(), "options win")
	require.NoError(t, s.Close(), "Close")
}

var fullConfig = netsink.Config{
	Proto:              "tcp",
	Address:            "logs.internal:6514",
	Framing:            netsink.RFC5424,
	Facility:           "local0",
	Severity:           "notice",
	LevelKey:           "lvl",
	Hostname:           "web-1",
	AppName:            "api",
	ProcID:             "7",
	MsgID:              "ACCESS",
	MaxMessageSize:     8 << 10,
	DialTimeout:        2 * time.Second,
	WriteTimeout:       3 * time.Second,
	ReconnectMin:       50 * time.Millisecond,
	ReconnectMax:       30 * time.Second,
	TLS:                true,
	CAFile:             "/etc/ssl/ca.pem",
	CertFile:           "/etc/ssl/client.pem",
	KeyFile:            "/etc/ssl/client-key.pem",
	ServerName:         "logs",
	InsecureSkipVerify: true,
	Config: logsink.Config{
		BufferSize:    4 << 20,
		HighWaterMark: 64 << 10,
		FlushInterval: 250 * time.Millisecond,
		Policy:        logsink.Drop,
		BlockTimeout:  time.Second,
		CloseTimeout:  10 * time.Second,
	},
}

func TestConfigJSON(t *testing.T) {
	b, err := json.Marshal(fullConfig)
	require.NoError(t, err, "marshal")
	assert.JSONEq(t, `{"proto":"tcp","address":"logs.internal:6514","framing":"rfc5424","facility":"local0",
		"severity":"notice","level_key":"lvl","hostname":"web-1","app_name":"api","proc_id":"7","msg_id":"ACCESS",
		"max_message_size":"8KiB","dial_timeout":2000000000,"write_timeout":3000000000,"reconnect_min":50000000,
		"reconnect_max":30000000000,"tls":true,"ca_file":"/etc/ssl/ca.pem","cert_file":"/etc/ssl/client.pem",
		"key_file":"/etc/ssl/client-key.pem","server_name":"logs","insecure_skip_verify":true,
		"buffer_size":"4MiB","high_water_mark":"64KiB","flush_interval":250000000,"policy":"drop",
		"block_timeout":1000000000,"close_timeout":10000000000}`, string(b), "flat; sizes and the policy as text, durations as nanoseconds")

	var got netsink.Config
	require.NoError(t, json.Unmarshal(b, &got), "unmarshal")
	assert.Equal(t, fullConfig, got, "round trip")

	b, err = json.Marshal(netsink.Config{})
	require.NoError(t, err, "marshal zero")
	assert.JSONEq(t, `{"address":""}`, string(b), "the zero config has only the required address")
}

func TestConfigYAML(t *testing.T) {
	b, err := yaml.Marshal(fullConfig)
	require.NoError(t, err, "marshal")
	var got netsink.Config
	require.NoError(t, yaml.Unmarshal(b, &got), "unmarshal %s", b)
	assert.Equal(t, fullConfig, got, "round trip")

	var svc struct {
		Log netsink.Config `yaml:"log"`
	}
	doc := "log:\n  address: 127.0.0.1:5140\n  framing: octet\n  policy: drop\n  max_message_size: 64KiB\n  reconnect_max: 5s\n"
	require.NoError(t, yaml.Unmarshal([]byte(doc), &svc), "unmarshal a service config")
	assert.Equal(t, netsink.Config{Address: "127.0.0.1:5140", Framing: netsink.Octet, MaxMessageSize: 64 << 10,
		ReconnectMax: 5 * time.Second, Config: logsink.Config{Policy: logsink.Drop}}, svc.Log, "decoded")
}

func TestConfigDecodeErrors(t *testing.T) {
	tests := []struct {
		give string // YAML
		want string
	}{
		{give: `max_message_size: huge`, want: `invalid size "huge"`},
		{give: `dial_timeout: soon`, want: "cannot unmarshal !!str `soon` into time.Duration"},
		{give: `tls: maybe`, want: "cannot unmarshal !!str `maybe` into bool"},
		{give: `policy: sometimes`, want: `unknown policy "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var c netsink.Config
			assert.ErrorContains(t, yaml.Unmarshal([]byte(tt.give), &c), tt.want, "YAML")
		})
	}
}

func TestConfigTags(t *testing.T) {
	assert.NoError(t, confkit.CheckTags(&netsink.Config{}), "netsink.Config embeds without taking over its embedder's encoding")
}

func TestStatsString(t *testing.T) {
	st := netsink.Stats{State: netsink.StateBackoff, NextDial: start, Connects: 2, Reconnects: 1, Entries: 10}
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(st.String()), &m), "String is JSON: %s", st)
	assert.Equal(t, "backoff", m["state"], "state by name")
	assert.Equal(t, "2024-05-06T07:08:09Z", m["next_dial"], "next dial")
	assert.Equal(t, 2.0, m["connects"], "connects")
	var zero map[string]any
	require.NoError(t, json.Unmarshal([]byte(netsink.Stats{}.String()), &zero), "zero stats")
	_, ok := zero["next_dial"]
	assert.False(t, ok, "no next dial when none is due")
	for _, tt := range []struct {
		give netsink.State
		want string
	}{
		{netsink.StateIdle, "idle"}, {netsink.StateConnected, "connected"},
		{netsink.StateBackoff, "backoff"}, {netsink.StateClosed, "closed"}, {9, "State(9)"},
	} {
		assert.Equal(t, tt.want, tt.give.String(), "State %d", int(tt.give))
	}
}

// A failed open leaves nothing behind: the same address opens right after.
func TestOpenURLFailedOpenCanBeRetried(t *testing.T) {
	const good = "net://127.0.0.1:1?close_timeout=2s"
	for _, bad := range []string{
		"net://127.0.0.1:1?buffer_size=4611686018427387904",
		"net://127.0.0.1:1?reconnect_max=1ns",
		"net://127.0.0.1:1?framing=gelf",
	} {
		t.Run(bad, func(t *testing.T) {
			conftest.RetryAfterFailedOpen(t, bad, good)
		})
	}
}
