package confkit_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
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

// service is a service's own config file, holding a rotate.Config as the
// README shows: decoded with unknown keys refused.
type service struct {
	Port  int `json:"port" yaml:"port"`
	Audit struct {
		rotate.Config `yaml:",inline"`
		Actor         string `json:"actor" yaml:"actor"`
	} `json:"audit" yaml:"audit"`
}

func decodeYAML(doc string, v any) error {
	d := yaml.NewDecoder(strings.NewReader(doc))
	d.KnownFields(true)
	return d.Decode(v)
}

func decodeJSON(doc string, v any) error {
	d := json.NewDecoder(strings.NewReader(doc))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// What the issue reproduced: a negative size in a nested section decoded
// with no key and no line. It decodes now, and Open refuses it naming the
// key and the value, from YAML and JSON alike.
func TestNestedNegativeSizeNamesTheKey(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name   string
		decode func(string, any) error
		doc    string
	}{
		{"YAML", decodeYAML, "audit: {filename: " + filepath.Join(dir, "audit.log") + ", max_size: -1}\n"},
		{"JSON", decodeJSON, `{"audit": {"filename": "` + filepath.Join(dir, "audit.log") + `", "max_size": "-1"}}`},
		{"JSON number", decodeJSON, `{"audit": {"filename": "` + filepath.Join(dir, "audit.log") + `", "max_size": -1}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var cfg service
			require.NoError(t, tt.decode(tt.doc, &cfg), "decode %s: the value parses", tt.doc)
			s, err := rotate.Open(cfg.Audit.Config)
			if err == nil {
				_ = s.Close()
			}
			require.Error(t, err, "Open")
			assert.Contains(t, err.Error(), "max_size", "the error names the key")
			assert.Contains(t, err.Error(), "-1", "the error names the value")
			assert.EqualError(t, err, "rotate: max_size=-1: must not be negative", "one wording")
		})
	}
}

// A value that does not parse cannot be named by Validate: the decoding
// error quotes it and says what was wanted. The URL adds the key.
func TestSizeThatDoesNotParseQuotesIt(t *testing.T) {
	const want = `invalid size "lots": want bytes or a number with a unit such as 64KiB or 100MB`
	var cfg service
	err := decodeYAML("audit:\n  filename: audit.log\n  buffer_size: lots\n", &cfg)
	assert.ErrorContains(t, err, want, "YAML")
	err = decodeJSON(`{"audit": {"filename": "audit.log", "buffer_size": "lots"}}`, &cfg)
	assert.ErrorContains(t, err, want, "JSON")
	_, err = logsink.OpenURL("rotate://" + filepath.Join(t.TempDir(), "app.log") + "?buffer_size=lots")
	assert.ErrorContains(t, err, `rotate: buffer_size="lots": `+want, "URL")
	var s logsink.Size
	assert.EqualError(t, s.UnmarshalText([]byte("lots")), want, "Go (flag.TextVar and the like)")
}

// One mistake, one wording: a value out of range gives the same error from
// a URL, YAML, JSON and Go, every one naming the setting and the value.
func TestOutOfRangeOneWording(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.log")
	for _, tt := range []struct {
		url  string
		yaml string
		json string
		goc  any // a config filled in Go
		want string
	}{
		{"rotate://" + file + "?max_backups=-3", "filename: " + file + "\nmax_backups: -3", `{"filename":"` + file + `","max_backups":-3}`,
			rotate.Config{Filename: file, MaxBackups: -3}, "rotate: max_backups=-3: must not be negative"},
		{"rotate://" + file + "?max_size=-1KiB", "filename: " + file + "\nmax_size: -1KiB", `{"filename":"` + file + `","max_size":"-1KiB"}`,
			rotate.Config{Filename: file, MaxSize: -1 << 10}, "rotate: max_size=-1KiB: must not be negative"},
		{"rotate://" + file + "?every=1ms", "filename: " + file + "\nevery: 1ms", `{"filename":"` + file + `","every":1000000}`,
			rotate.Config{Filename: file, Every: time.Millisecond}, "rotate: every=1ms: less than the minimum, 1s"},
		{"rotate://" + file + "?every=-1h", "filename: " + file + "\nevery: -1h", `{"filename":"` + file + `","every":-3600000000000}`,
			rotate.Config{Filename: file, Every: -time.Hour}, "rotate: every=-1h0m0s: must not be negative"},
		{"stream:stdout?flush_interval=-1s", "target: stdout\nflush_interval: -1s", `{"target":"stdout","flush_interval":-1000000000}`,
			stdout.Config{Target: "stdout", Config: logsink.Config{FlushInterval: -time.Second}}, "logsink: flush_interval=-1s: must not be negative"},
		{"stream:stdout?buffer_size=-1", "target: stdout\nbuffer_size: -1", `{"target":"stdout","buffer_size":-1}`,
			stdout.Config{Target: "stdout", Config: logsink.Config{BufferSize: -1}}, "logsink: buffer_size=-1: must not be negative"},
		{"net://logs:514?dial_timeout=-2s", "address: logs:514\ndial_timeout: -2s", `{"address":"logs:514","dial_timeout":-2000000000}`,
			netsink.Config{Address: "logs:514", DialTimeout: -2 * time.Second}, "netsink: dial_timeout=-2s: must not be negative"},
		{"net://logs:514?max_message_size=100", "address: logs:514\nmax_message_size: 100", `{"address":"logs:514","max_message_size":100}`,
			netsink.Config{Address: "logs:514", MaxMessageSize: 100}, "netsink: max_message_size=100: less than the minimum, 480"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			_, err := logsink.OpenURL(tt.url)
			require.Error(t, err, "OpenURL")
			fromURL := err.Error()
			assert.Contains(t, fromURL, tt.want, "URL")

			fromYAML := reflect.New(reflect.TypeOf(tt.goc))
			require.NoError(t, decodeYAML(tt.yaml, fromYAML.Interface()), "YAML decodes")
			fromJSON := reflect.New(reflect.TypeOf(tt.goc))
			require.NoError(t, decodeJSON(tt.json, fromJSON.Interface()), "JSON decodes")
			for _, c := range []struct {
				how string
				cfg any
			}{{"Go", tt.goc}, {"YAML", fromYAML.Elem().Interface()}, {"JSON", fromJSON.Elem().Interface()}} {
				err := c.cfg.(interface{ Validate() error }).Validate()
				require.Error(t, err, "%s: Validate", c.how)
				assert.Contains(t, err.Error(), tt.want, "%s", c.how)
				assert.Contains(t, fromURL, err.Error(), "%s words it as the URL does", c.how)
			}
		})
	}
}

// Every signed number in every config (sizes, counts, durations) is
// checked by its Validate, which names it: the URL decoder leaves ranges to
// Validate, so a field added without its check would let a negative value
// through. A MessageSize's -1 means no limit, so -2 is used throughout;
// a Policy is an enum, refused as unknown.
func TestValidateRefusesEveryNegative(t *testing.T) {
	for _, base := range []any{
		logsink.Config{},
		rotate.Config{Filename: filepath.Join(t.TempDir(), "app.log")},
		stdout.Config{},
		netsink.Config{Address: "logs:514"},
	} {
		for _, f := range signedFields(reflect.TypeOf(base)) {
			t.Run(fmt.Sprintf("%T.%s", base, f.name), func(t *testing.T) {
				c := reflect.New(reflect.TypeOf(base)).Elem()
				c.Set(reflect.ValueOf(base))
				v := c.FieldByIndex(f.index)
				v.SetInt(-2)
				err := c.Interface().(interface{ Validate() error }).Validate()
				require.Error(t, err, "Validate with %s=-2", f.name)
				assert.Contains(t, err.Error(), fmt.Sprintf("%s=%v: must not be negative", f.name, v.Interface()), "the error names the setting and the value")
			})
		}
	}
}

type signedField struct {
	name  string
	index []int
}

// signedFields lists the settings of config type t held in signed
// integers, by their json names, walking embedded structs.
func signedFields(t reflect.Type) []signedField {
	var out []signedField
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case sf.Anonymous && sf.Type.Kind() == reflect.Struct:
				walk(sf.Type, idx)
			case name == "" || name == "-" || !sf.IsExported():
			case sf.Type == reflect.TypeFor[logsink.Policy](): // an enum: Validate refuses unknown values
			case sf.Type.Kind() >= reflect.Int && sf.Type.Kind() <= reflect.Int64:
				out = append(out, signedField{name, idx})
			}
		}
	}
	walk(t, nil)
	return out
}
