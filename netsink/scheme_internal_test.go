package netsink

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
)

func TestConfigFromURL(t *testing.T) {
	tests := []struct {
		give string
		want Config
	}{
		{
			give: "net://127.0.0.1:5140?proto=tcp&framing=octet&policy=drop",
			want: Config{Proto: "tcp", Address: "127.0.0.1:5140", Framing: Octet, Config: logsink.Config{Policy: logsink.Drop}},
		},
		{give: "net://logs:514", want: Config{Address: "logs:514"}},
		{give: "net://logs:514/", want: Config{Address: "logs:514"}},
		{give: "net://[::1]:514?proto=udp6", want: Config{Proto: "udp6", Address: "[::1]:514"}},
		{give: "net:///run/collector.sock", want: Config{Proto: "unix", Address: "/run/collector.sock"}},
		{give: "net:///dev/log?proto=unixgram&framing=rfc3164", want: Config{Proto: "unixgram", Address: "/dev/log", Framing: RFC3164}},
		{give: "net:///run/my%20collector.sock", want: Config{Proto: "unix", Address: "/run/my collector.sock"}},
		{
			give: "net://logs:6514?framing=rfc5424&facility=local3&severity=notice&level_key=lvl&hostname=web-1" +
				"&app_name=api&proc_id=7&msg_id=ACCESS&max_message_size=8KiB&dial_timeout=2s&write_timeout=3s" +
				"&reconnect_min=50ms&reconnect_max=30s&tls=true&ca_file=/etc/ssl/ca.pem&server_name=logs" +
				"&cert_file=/c.pem&key_file=/k.pem&insecure_skip_verify=false" +
				"&buffer_size=4MiB&high_water_mark=64KiB&flush_interval=250ms&block_timeout=1s&close_timeout=10s",
			want: Config{Address: "logs:6514", Framing: RFC5424, Facility: "local3", Severity: "notice", LevelKey: "lvl",
				Hostname: "web-1", AppName: "api", ProcID: "7", MsgID: "ACCESS", MaxMessageSize: 8 << 10,
				DialTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second, ReconnectMin: 50 * time.Millisecond,
				ReconnectMax: 30 * time.Second, TLS: true, CAFile: "/etc/ssl/ca.pem", ServerName: "logs",
				CertFile: "/c.pem", KeyFile: "/k.pem",
				Config: logsink.Config{BufferSize: 4 << 20, HighWaterMark: 64 << 10, FlushInterval: 250 * time.Millisecond,
					BlockTimeout: time.Second, CloseTimeout: 10 * time.Second}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "parse")
			got, err := configFromURL(u)
			require.NoError(t, err, "configFromURL")
			assert.Equal(t, tt.want, got, "config")
		})
	}
}

func TestConfigFromURLErrors(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "net://user@logs:514", want: "user information"},
		{give: "net://logs:514#frag", want: `fragment "frag"`},
		{give: "net:logs:514", want: "want net://host:port"},
		{give: "net://", want: "no address"},
		{give: "net://logs:514/extra", want: "not both"},
		{give: "net://logs:514?address=x:1", want: `address="x:1": give the address as the URL's host or path`},
		{give: "net://logs:514?colour=red", want: `unknown setting "colour"`},
		{give: "net://logs:514?dial_timeout=soon", want: `dial_timeout="soon"`},
		{give: "net://logs:514?framing=a&framing=b", want: `"framing" given 2 times`},
		{give: "net://logs:514?x=%zz", want: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			require.NoError(t, err, "parse")
			_, err = configFromURL(u)
			assert.ErrorContains(t, err, tt.want, "the error names the problem")
		})
	}
}

func TestOpenURLValidates(t *testing.T) {
	u, err := url.Parse("net://logs?framing=json")
	require.NoError(t, err, "parse")
	_, err = openURL(u)
	require.Error(t, err, "openURL validates")
	assert.Contains(t, err.Error(), `address="logs"`, "names the address")
	assert.Contains(t, err.Error(), `framing="json"`, "names the framing")
}

// FuzzConfigFromURL checks that no URL panics the decoder, and that a
// decoded config encodes back to a URL that decodes to the same config.
func FuzzConfigFromURL(f *testing.F) {
	for _, s := range []string{
		"net://127.0.0.1:5140?proto=tcp&framing=octet&policy=drop",
		"net:///dev/log?proto=unixgram&framing=rfc3164&facility=local0",
		"net://[::1]:514?max_message_size=8KiB&reconnect_max=1m&tls=1",
		"net://h:1/p?x=%zz#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		cfg, err := configFromURL(u)
		if err != nil {
			return
		}
		_ = cfg.Validate() // must not panic
		q := url.Values{}
		for k, v := range confkit.Encode(&cfg) {
			if k != "address" {
				q.Set(k, fmt.Sprint(v))
			}
		}
		back := &url.URL{Scheme: Scheme, Host: cfg.Address, RawQuery: q.Encode()}
		if cfg.Proto == "unix" || cfg.Proto == "unixgram" {
			back = &url.URL{Scheme: Scheme, Path: cfg.Address, RawQuery: q.Encode()}
		}
		again, err := configFromURL(back)
		require.NoError(t, err, "decode the encoded config %v", back)
		assert.Equal(t, cfg, again, "round trip through %v", back)
	})
}
