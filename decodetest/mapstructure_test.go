package decodetest

import (
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
	"github.com/streamsink/streamsink/rotate"
	"github.com/streamsink/streamsink/stdout"
)

// decode is what the README tells viper users to pass to v.Unmarshal:
// streamsink's names are its json tags, embedded configs flatten, and the
// hooks read the text forms of sizes, modes, the policy and durations.
func decode(in map[string]any, out any) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName: "json",
		Squash:  true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.TextUnmarshallerHookFunc(),
			mapstructure.StringToTimeDurationHookFunc(),
		),
		ErrorUnused: true,
		Result:      out,
	})
	if err != nil {
		return err
	}
	return d.Decode(in)
}

// serviceConfig is a service's config: its own fields, an audit log that
// embeds rotate.Config, and streamsink's other configs as fields.
type serviceConfig struct {
	Port  int            `json:"port"`
	Audit auditLog       `json:"audit"`
	Out   stdout.Config  `json:"out"`
	Ship  netsink.Config `json:"ship"`
}

type auditLog struct {
	rotate.Config
	Actor string `json:"actor"`
}

// load decodes a YAML document into a map, as viper does, then through
// mapstructure.
func load(t *testing.T, doc string) (serviceConfig, error) {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &m), "the test's YAML")
	var cfg serviceConfig
	return cfg, decode(m, &cfg)
}

// serviceYAML is a service's config file, as viper reads it.
const serviceYAML = `
port: 8080
audit:
  actor: settings-service
  filename: /var/log/audit.log
  max_size: 100MB
  max_age: 168h
  every: 24h
  mode: 0640
  policy: drop
  buffer_size: 4MiB
  flush_interval: 250ms
out:
  target: stderr
  high_water_mark: 65536
  survive_broken_pipe: true
ship:
  address: logs.internal:6514
  framing: rfc5424
  max_message_size: 8KiB
  reconnect_max: 30s
`

func TestMapstructureDecodesTheConfigs(t *testing.T) {
	cfg, err := load(t, serviceYAML)
	require.NoError(t, err, "decode")
	assert.Equal(t, serviceConfig{
		Port: 8080,
		Audit: auditLog{Actor: "settings-service", Config: rotate.Config{
			Filename: "/var/log/audit.log", MaxSize: 100e6, MaxAge: 7 * 24 * time.Hour, Every: 24 * time.Hour, Mode: 0o640,
			Config: logsink.Config{Policy: logsink.Drop, BufferSize: 4 << 20, FlushInterval: 250 * time.Millisecond},
		}},
		Out: stdout.Config{Target: "stderr", SurviveBrokenPipe: true, Config: logsink.Config{HighWaterMark: 64 << 10}},
		Ship: netsink.Config{Address: "logs.internal:6514", Framing: netsink.RFC5424, MaxMessageSize: 8 << 10,
			ReconnectMax: 30 * time.Second},
	}, cfg, "decoded")

	_, err = load(t, serviceYAML+"  mode_is_not_here: 1\n")
	require.Error(t, err, "an unknown key is an error with ErrorUnused")
	assert.Contains(t, err.Error(), "mode_is_not_here", "the error names it")
}

// A quoted mode is octal text, as in the URL.
func TestMapstructureQuotedMode(t *testing.T) {
	cfg, err := load(t, "audit:\n  mode: \"0600\"\n")
	require.NoError(t, err, "decode")
	assert.Equal(t, logsink.FileMode(0o600), cfg.Audit.Mode, "mode")
}

func TestMapstructureErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		give string
		want []string
	}{
		{"audit:\n  max_size: banana\n", []string{"audit.max_size", `invalid size "banana"`}},
		{"audit:\n  policy: sometimes\n", []string{"audit.policy", `unknown policy "sometimes"`}},
		{"audit:\n  mode: \"0999\"\n", []string{"audit.mode", `invalid file mode "0999"`}},
		{"audit:\n  every: daily\n", []string{"audit.every", "invalid duration"}},
	} {
		_, err := load(t, tt.give)
		require.Error(t, err, "%s", tt.give)
		for _, w := range tt.want {
			assert.Contains(t, err.Error(), w, "%s", tt.give)
		}
	}
}

// A number decodes as it is; ranges are Validate's to check, as for JSON
// and YAML.
func TestMapstructureThenValidate(t *testing.T) {
	cfg, err := load(t, "ship:\n  address: h:1\n  buffer_size: -1\n")
	require.NoError(t, err, "decode")
	assert.ErrorContains(t, cfg.Ship.Validate(), "buffer_size=-1: must not be negative", "Validate")
}

// A negative size given as text ("-1", quoted, goes through the text hook)
// decodes too, and Validate names it as for a number.
func TestMapstructureNegativeSizeText(t *testing.T) {
	for _, doc := range []string{"audit:\n  max_size: -1\n", "audit:\n  max_size: \"-1\"\n"} {
		cfg, err := load(t, doc)
		require.NoError(t, err, "decode %q", doc)
		assert.ErrorContains(t, cfg.Audit.Validate(), "rotate: max_size=-1: must not be negative", "Validate of %q", doc)
	}
}
