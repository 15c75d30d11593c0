package netsink

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/conftest"
	"github.com/streamsink/streamsink/logsink"
)

// full is every setting of a net URL, and what it decodes to.
const full = "net://logs:6514?framing=rfc5424&facility=local3&severity=notice&level_key=lvl&hostname=web-1" +
	"&app_name=api&proc_id=7&msg_id=ACCESS&max_message_size=8KiB&dial_timeout=2s&write_timeout=3s" +
	"&reconnect_min=50ms&reconnect_max=30s&tls=true&ca_file=/etc/ssl/ca.pem&server_name=logs" +
	"&cert_file=/c.pem&key_file=/k.pem&insecure_skip_verify=false" +
	"&buffer_size=4MiB&high_water_mark=64KiB&flush_interval=250ms&block_timeout=1s&close_timeout=10s&keep_timeout=3s"

var fullConfig = Config{Address: "logs:6514", Framing: RFC5424, Facility: "local3", Severity: "notice", LevelKey: "lvl",
	Hostname: "web-1", AppName: "api", ProcID: "7", MsgID: "ACCESS", MaxMessageSize: 8 << 10,
	DialTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second, ReconnectMin: 50 * time.Millisecond,
	ReconnectMax: 30 * time.Second, TLS: true, CAFile: "/etc/ssl/ca.pem", ServerName: "logs",
	CertFile: "/c.pem", KeyFile: "/k.pem",
	Config: logsink.Config{BufferSize: 4 << 20, HighWaterMark: 64 << 10, FlushInterval: 250 * time.Millisecond,
		BlockTimeout: time.Second, CloseTimeout: 10 * time.Second, KeepTimeout: 3 * time.Second}}

func TestConfigFromURL(t *testing.T) {
	urlScheme.Decodes(t, map[string]Config{
		"net://127.0.0.1:5140?proto=tcp&framing=octet&policy=drop": {Proto: "tcp", Address: "127.0.0.1:5140",
			Framing: Octet, Config: logsink.Config{Policy: logsink.Drop}},
		"net://logs:514":                                {Address: "logs:514"},
		"net://logs:514/":                               {Address: "logs:514"},
		"net://[::1]:514?proto=udp6":                    {Proto: "udp6", Address: "[::1]:514"},
		"net:///run/collector.sock":                     {Proto: "unix", Address: "/run/collector.sock"},
		"net:///dev/log?proto=unixgram&framing=rfc3164": {Proto: "unixgram", Address: "/dev/log", Framing: RFC3164},
		"net:///run/my%20collector.sock":                {Proto: "unix", Address: "/run/my collector.sock"},
		full:                                            fullConfig,
	})
}

func TestConfigFromURLErrors(t *testing.T) {
	urlScheme.Rejects(t, map[string]string{
		"net://user@logs:514":                "netsink: user information not allowed in the URL (want net://host:port, or net:///socket/path)",
		"net://logs:514#frag":                `netsink: fragment "frag" not allowed`,
		"net:logs:514":                       `netsink: address "logs:514" without // before it (want net://host:port`,
		"net://":                             "netsink: no address (want net://host:port",
		"net://logs:514/extra":               `netsink: host "logs:514" and path "/extra": give a host:port or a socket path, not both`,
		"net://logs:514?address=x:1":         `netsink: address="x:1": give it in the URL, not as a parameter`,
		"net://logs:514?colour=red":          `netsink: unknown parameter "colour"`,
		"net://logs:514?dial_timeout=soon":   `netsink: dial_timeout="soon": not a duration`,
		"net://logs:514?framing=a&framing=b": `netsink: parameter "framing" given 2 times`,
		"net://logs:514?x=%zz":               `netsink: query "x=%zz"`,
	})
}

func TestOpenURLValidates(t *testing.T) {
	_, err := logsink.OpenURL("net://logs?framing=json")
	require.Error(t, err, "opening a URL validates")
	assert.Contains(t, err.Error(), `address="logs"`, "names the address")
	assert.Contains(t, err.Error(), `framing="json"`, "names the framing")
}

// urlScheme is what the shared URL checks need of this package.
var urlScheme = conftest.Scheme[Config]{
	Decode: configFromURL,
	Location: func(c Config) (url.URL, string) {
		if strings.HasPrefix(c.Address, "/") {
			return url.URL{Scheme: Scheme, Path: c.Address}, "address"
		}
		return url.URL{Scheme: Scheme, Host: c.Address}, "address"
	},
	Check: func(c Config) error {
		// Validate reads these files; a fuzzed path could be a device
		// that never ends.
		c.CAFile, c.CertFile, c.KeyFile = "", "", ""
		return c.Validate()
	},
}

// FuzzURL checks that no net URL panics the decoder or Validate, and that
// a decoded config writes back to a URL that decodes to it.
//
// Its seeds are in testdata/fuzz/FuzzURL.
func FuzzURL(f *testing.F) {
	f.Fuzz(urlScheme.FuzzURL)
}
