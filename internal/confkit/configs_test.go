package confkit_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
	"github.com/streamsink/streamsink/rotate"
	"github.com/streamsink/streamsink/stdout"
)

// A service's own config structs, each embedding one of streamsink's
// configs beside a field of its own, as the README shows.
type (
	streamApp struct {
		logsink.Config `yaml:",inline"`
		Service        string `json:"service" yaml:"service"`
	}
	rotateApp struct {
		rotate.Config `yaml:",inline"`
		Service       string `json:"service" yaml:"service"`
	}
	stdoutApp struct {
		stdout.Config `yaml:",inline"`
		Service       string `json:"service" yaml:"service"`
	}
	netApp struct {
		netsink.Config `yaml:",inline"`
		Service        string `json:"service" yaml:"service"`
	}
	// nested holds each config as a named field.
	nested struct {
		Port   int            `json:"port" yaml:"port"`
		Stream logsink.Config `json:"stream" yaml:"stream"`
		Rotate rotate.Config  `json:"rotate" yaml:"rotate"`
		Stdout stdout.Config  `json:"stdout" yaml:"stdout"`
		Net    netsink.Config `json:"net" yaml:"net"`
	}
)

var streamSettings = logsink.Config{BufferSize: 4 << 20, HighWaterMark: 64 << 10, FlushInterval: 250 * time.Millisecond,
	Policy: logsink.Drop, BlockTimeout: time.Second, CloseTimeout: 2 * time.Second, KeepTimeout: 3 * time.Second}

var fullRotate = rotate.Config{Filename: "/var/log/app.log", MaxSize: 100 << 20, MaxAge: 7 * 24 * time.Hour, MaxBackups: 5,
	Compress: true, LocalTime: true, Every: 24 * time.Hour, Mode: 0o600, Config: streamSettings}

var fullStdout = stdout.Config{Target: "stderr", SurviveBrokenPipe: true, Config: streamSettings}

var fullNet = netsink.Config{Proto: "udp", Address: "logs:514", Framing: netsink.RFC5424, Facility: "local0",
	Severity: "notice", LevelKey: "lvl", Hostname: "web-1", AppName: "api", ProcID: "7", MsgID: "ACCESS",
	MaxMessageSize: 8 << 10, DialTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second,
	ReconnectMin: 50 * time.Millisecond, ReconnectMax: 30 * time.Second, Config: streamSettings}

// Every config type, embedded in a struct of the caller's or held as a
// field, leaves the caller's fields to the caller: they decode and encode
// beside the config's own, with encoding/json and with YAML.
func TestConfigsEmbedAndNest(t *testing.T) {
	for _, tt := range []struct {
		name string
		give any // a pointer to a filled struct
	}{
		{"logsink.Config embedded", &streamApp{Config: streamSettings, Service: "api"}},
		{"rotate.Config embedded", &rotateApp{Config: fullRotate, Service: "api"}},
		{"stdout.Config embedded", &stdoutApp{Config: fullStdout, Service: "api"}},
		{"netsink.Config embedded", &netApp{Config: fullNet, Service: "api"}},
		{"all nested", &nested{Port: 8080, Stream: streamSettings, Rotate: fullRotate, Stdout: fullStdout, Net: fullNet}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, codec := range []struct {
				name      string
				marshal   func(any) ([]byte, error)
				unmarshal func([]byte, any) error
			}{{"JSON", json.Marshal, json.Unmarshal}, {"YAML", yaml.Marshal, yaml.Unmarshal}} {
				b, err := codec.marshal(tt.give)
				require.NoError(t, err, "%s: Marshal", codec.name)
				assert.Contains(t, string(b), "api", "%s: the caller's own field is encoded", codec.name)
				assert.Contains(t, string(b), "4MiB", "%s: the config's sizes are text", codec.name)
				got := reflect.New(reflect.TypeOf(tt.give).Elem()).Interface()
				require.NoError(t, codec.unmarshal(b, got), "%s: Unmarshal %s", codec.name, b)
				assert.Equal(t, tt.give, got, "%s: round trip through %s", codec.name, b)
			}
		})
	}
}

// What the issue reproduced: JSON with the caller's field beside an
// embedded config's decodes, and the caller's field is encoded.
func TestConfigEmbeddedKeepsCallersFields(t *testing.T) {
	const doc = `{"filename":"/var/log/app.log","max_size":"100MB","mode":"0640","policy":"drop","service":"api"}`
	var got rotateApp
	require.NoError(t, json.Unmarshal([]byte(doc), &got), "Unmarshal")
	assert.Equal(t, rotateApp{Config: rotate.Config{Filename: "/var/log/app.log", MaxSize: 100e6, Mode: 0o640,
		Config: logsink.Config{Policy: logsink.Drop}}, Service: "api"}, got, "decoded")
	b, err := json.Marshal(got)
	require.NoError(t, err, "Marshal")
	assert.JSONEq(t, `{"filename":"/var/log/app.log","max_size":"100000000","mode":"0640","policy":"drop","service":"api"}`,
		string(b), "the caller's field is encoded")
}

// YAML as people write it: text sizes, durations and modes, the caller's
// field beside the embedded config's.
func TestConfigEmbeddedYAMLTextForms(t *testing.T) {
	const doc = `
service: api
filename: /var/log/app.log
max_size: 100MB
max_age: 168h
every: 24h
mode: 0640
policy: drop
buffer_size: 4MiB
flush_interval: 250ms
`
	d := yaml.NewDecoder(strings.NewReader(doc))
	d.KnownFields(true) // the caller's choice: unknown keys are errors
	var got rotateApp
	require.NoError(t, d.Decode(&got), "Decode")
	assert.Equal(t, rotateApp{Service: "api", Config: rotate.Config{Filename: "/var/log/app.log", MaxSize: 100e6,
		MaxAge: 7 * 24 * time.Hour, Every: 24 * time.Hour, Mode: 0o640,
		Config: logsink.Config{Policy: logsink.Drop, BufferSize: 4 << 20, FlushInterval: 250 * time.Millisecond}}}, got, "decoded")
}

// everything holds every config type, embedded and nested, for the fuzz
// targets of the two file decoders.
type everything struct {
	rotateApp `yaml:",inline"`
	Nested    nested `json:"nested" yaml:"nested"`
}

// FuzzDecodeJSON checks that no JSON document panics encoding/json on
// streamsink's configs and their text types, and that whatever decodes
// encodes back to a document that decodes to the same values. Its seeds are
// in testdata/fuzz/FuzzDecodeJSON; FuzzDecodeYAML's are the same documents,
// since JSON is YAML.
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc string) {
		roundTrip(t, doc, json.Marshal, json.Unmarshal)
	})
}

// FuzzDecodeYAML is FuzzDecodeJSON for YAML.
func FuzzDecodeYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc string) {
		roundTrip(t, doc, yaml.Marshal, yaml.Unmarshal)
	})
}

func roundTrip(t *testing.T, doc string, marshal func(any) ([]byte, error), unmarshal func([]byte, any) error) {
	var v everything
	if err := unmarshal([]byte(doc), &v); err != nil {
		if err.Error() == "" {
			t.Fatalf("%q: empty error", doc)
		}
		return
	}
	b, err := marshal(&v)
	if err != nil {
		return // a value without a text form, such as an unknown policy, is refused here
	}
	var again everything
	if err := unmarshal(b, &again); err != nil {
		t.Fatalf("%q decodes to %+v, encoded as %q, which fails: %v", doc, v, b, err)
	}
	if !reflect.DeepEqual(v, again) {
		t.Fatalf("%q decodes to %+v, encoded as %q, which decodes to %+v", doc, v, b, again)
	}
}
