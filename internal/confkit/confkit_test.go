package confkit

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// color is a TextUnmarshaler/TextMarshaler, like logsink.Policy.
type color int

const (
	red color = iota
	green
)

func (c color) MarshalText() ([]byte, error) {
	switch c {
	case red:
		return []byte("red"), nil
	case green:
		return []byte("green"), nil
	}
	return nil, fmt.Errorf("unknown color %d", int(c))
}

func (c *color) UnmarshalText(b []byte) error {
	switch string(b) {
	case "red":
		*c = red
	case "green":
		*c = green
	default:
		return fmt.Errorf("unknown color %q", b)
	}
	return nil
}

// Stream is embedded without a json name, so its fields are flattened, like
// logsink.Config in rotate.Config.
type Stream struct {
	Buffer int           `json:"buffer,omitempty" conf:"size"`
	Every  time.Duration `json:"every,omitempty"`
}

type testConfig struct {
	Name    string        `json:"name,omitempty"`
	Count   int           `json:"count,omitempty"`
	Big     int64         `json:"big,omitempty"`
	Small   int32         `json:"small,omitempty"`
	MaxSize int64         `json:"max_size,omitempty" conf:"size"`
	Wait    time.Duration `json:"wait,omitempty"`
	On      bool          `json:"on,omitempty"`
	Color   color         `json:"color,omitempty"`
	Skipped string        `json:"-"`
	NoTag   string
	hidden  string // unexported fields are not settings
	Stream
}

var testNames = []string{"big", "buffer", "color", "count", "every", "max_size", "name", "on", "small", "wait"}

func TestNames(t *testing.T) {
	assert.Equal(t, testNames, Names(&testConfig{}), "json-tagged fields, embedded ones flattened, sorted")
}

func TestSet(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       testConfig
	}{
		{"name", "app", testConfig{Name: "app"}},
		{"name", "", testConfig{}},
		{"name", " spaced ", testConfig{Name: " spaced "}},
		{"count", "42", testConfig{Count: 42}},
		{"count", " 42 ", testConfig{Count: 42}},
		{"count", "0", testConfig{}},
		{"big", "9223372036854775807", testConfig{Big: 1<<63 - 1}},
		{"small", "2147483647", testConfig{Small: 1<<31 - 1}},
		{"max_size", "100MB", testConfig{MaxSize: 100_000_000}},
		{"max_size", "1GiB", testConfig{MaxSize: 1 << 30}},
		{"max_size", "512", testConfig{MaxSize: 512}},
		{"wait", "1h30m", testConfig{Wait: 90 * time.Minute}},
		{"wait", " 250ms ", testConfig{Wait: 250 * time.Millisecond}},
		{"wait", "0", testConfig{}},
		{"on", "true", testConfig{On: true}},
		{"on", "1", testConfig{On: true}},
		{"on", "F", testConfig{}},
		{"color", "green", testConfig{Color: green}},
		{"buffer", "64KiB", testConfig{Stream: Stream{Buffer: 64 << 10}}},
		{"every", "24h", testConfig{Stream: Stream{Every: 24 * time.Hour}}},
	} {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var got testConfig
			require.NoError(t, Set(&got, tt.key, tt.value), "Set")
			assert.Equal(t, tt.want, got, "Set(%q, %q)", tt.key, tt.value)
		})
	}
}

func TestSetErrors(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       string // what is wrong, besides the key and the value
	}{
		{"count", "many", "not a whole number"},
		{"count", "-1", "negative"},
		{"count", "1.5", "not a whole number"},
		{"count", "99999999999999999999", "not a whole number"},
		{"small", "2147483648", "too large"},
		{"small", "4GiB", "not a whole number"},
		{"max_size", "banana", "invalid size"},
		{"max_size", "-1KiB", "negative"},
		{"buffer", "1PiB", "invalid size"},
		{"wait", "soon", "not a duration"},
		{"wait", "5", "not a duration"},
		{"wait", "-1s", "negative duration"},
		{"every", "-24h", "negative duration"},
		{"on", "yes please", "not a boolean"},
		{"color", "blue", "unknown color"},
	} {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var c testConfig
			err := Set(&c, tt.key, tt.value)
			require.Error(t, err, "Set(%q, %q)", tt.key, tt.value)
			assert.Contains(t, err.Error(), tt.key, "the error names the key")
			assert.Contains(t, err.Error(), tt.value, "the error names the value")
			assert.Contains(t, err.Error(), tt.want, "the error says what is wrong")
			assert.Equal(t, testConfig{}, c, "a bad value changes nothing")
		})
	}
}

// An unknown key is an error that names the key and the value, like every
// other bad setting.
func TestSetUnknown(t *testing.T) {
	for _, key := range []string{"nope", "Name", "NoTag", "Skipped", "-", "hidden", ""} {
		t.Run(key, func(t *testing.T) {
			var c testConfig
			err := Set(&c, key, "val-1")
			require.Error(t, err, "Set(%q)", key)
			assert.Contains(t, err.Error(), strconv.Quote(key), "the error names the key")
			assert.Contains(t, err.Error(), "val-1", "the error names the value")
			assert.Contains(t, err.Error(), "unknown setting", "the error says what is wrong")
		})
	}
}

func TestSetUnknownListsKnown(t *testing.T) {
	err := Set(&testConfig{}, "colour", "red")
	require.Error(t, err, "unknown key")
	assert.Contains(t, err.Error(), strings.Join(testNames, ", "), "the error lists the known settings")
}

func TestSetUnsupportedType(t *testing.T) {
	var c struct {
		Ratio float64 `json:"ratio"`
		Count uint    `json:"count"`
	}
	for _, key := range []string{"ratio", "count"} {
		err := Set(&c, key, "1")
		require.Error(t, err, "Set(%q)", key)
		assert.Contains(t, err.Error(), "unsupported field type", "Set(%q)", key)
	}
}

func TestQuery(t *testing.T) {
	for _, tt := range []struct {
		give string
		skip []string
		want testConfig
	}{
		{"", nil, testConfig{}},
		{"name=app&count=3", nil, testConfig{Name: "app", Count: 3}},
		{"max_size=100MB&wait=1s&on=true&color=green&buffer=4KiB&every=1h", nil,
			testConfig{MaxSize: 100_000_000, Wait: time.Second, On: true, Color: green, Stream: Stream{Buffer: 4 << 10, Every: time.Hour}}},
		{"max_size=64%20KiB", nil, testConfig{MaxSize: 64 << 10}},
		{"name=a%26b", nil, testConfig{Name: "a&b"}},
		{"name=x&path=/var/log&mode=0640", []string{"path", "mode"}, testConfig{Name: "x"}},
		{"path=a&path=b", []string{"path"}, testConfig{}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			q, err := url.ParseQuery(tt.give)
			require.NoError(t, err, "ParseQuery")
			var got testConfig
			require.NoError(t, Query(&got, q, tt.skip...), "Query")
			assert.Equal(t, tt.want, got, "Query(%q)", tt.give)
		})
	}
}

func TestQueryErrors(t *testing.T) {
	for _, tt := range []struct {
		give string
		want []string
	}{
		{"colour=red", []string{"colour", "unknown setting"}},
		{"count=1&count=2", []string{"count", "given 2 times"}},
		{"count=", []string{"count", "not a whole number"}},
		{"name=ok&wait=-1s", []string{"wait", "-1s", "negative duration"}},
		{"max_size=banana&name=x", []string{"max_size", "banana"}},
		{"on", []string{"on", "not a boolean"}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			q, err := url.ParseQuery(tt.give)
			require.NoError(t, err, "ParseQuery")
			var c testConfig
			err = Query(&c, q)
			require.Error(t, err, "Query(%q)", tt.give)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "Query(%q)", tt.give)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, tt := range []struct {
		give string
		want testConfig
	}{
		{`{}`, testConfig{}},
		{`null`, testConfig{}},
		{`{"name":"app","count":3}`, testConfig{Name: "app", Count: 3}},
		{`{"count":"3"}`, testConfig{Count: 3}},
		{`{"max_size":"100MB","buffer":65536}`, testConfig{MaxSize: 100_000_000, Stream: Stream{Buffer: 65536}}},
		{`{"wait":"250ms","every":"1h"}`, testConfig{Wait: 250 * time.Millisecond, Stream: Stream{Every: time.Hour}}},
		{`{"on":true,"color":"green"}`, testConfig{On: true, Color: green}},
		{`{"on":"true"}`, testConfig{On: true}},
		{`{"name":null,"count":null}`, testConfig{}},
		{`{"big":9223372036854775807}`, testConfig{Big: 1<<63 - 1}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			var got testConfig
			require.NoError(t, DecodeJSON(&got, []byte(tt.give)), "DecodeJSON")
			assert.Equal(t, tt.want, got, "DecodeJSON(%s)", tt.give)
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, tt := range []struct {
		give string
		want []string
	}{
		{`{"colour":"red"}`, []string{"colour"}},
		{`{"count":1.5}`, []string{"count", "1.5"}},
		{`{"count":1e3}`, []string{"count", "1e3"}},
		{`{"count":-1}`, []string{"count", "-1"}},
		{`{"max_size":"1PiB"}`, []string{"max_size", "1PiB"}},
		{`{"wait":5}`, []string{"wait", "5"}},
		{`{"on":"maybe"}`, []string{"on", "maybe"}},
		{`{"color":["red"]}`, []string{"color"}},
		{`{"color":{"r":1}}`, []string{"color"}},
		{`{"count":99999999999999999999}`, []string{"count", "99999999999999999999"}},
		{`[]`, []string{"cannot unmarshal"}},
		{`{"count":`, []string{"unexpected EOF"}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			var c testConfig
			err := DecodeJSON(&c, []byte(tt.give))
			require.Error(t, err, "DecodeJSON(%s)", tt.give)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "DecodeJSON(%s)", tt.give)
			}
		})
	}
}

// yamlDecode decodes text through yaml.v3 the way an UnmarshalYAML method
// does.
func yamlDecode(c *testConfig, text string) error {
	return DecodeYAML(c, func(v any) error { return yaml.Unmarshal([]byte(text), v) })
}

func TestDecodeYAML(t *testing.T) {
	for _, tt := range []struct {
		give string
		want testConfig
	}{
		{``, testConfig{}},
		{`{}`, testConfig{}},
		{"name: app\ncount: 3", testConfig{Name: "app", Count: 3}},
		{"count: \"3\"", testConfig{Count: 3}},
		{"max_size: 100MB\nbuffer: 65536", testConfig{MaxSize: 100_000_000, Stream: Stream{Buffer: 65536}}},
		{"buffer: 64 KiB", testConfig{Stream: Stream{Buffer: 64 << 10}}},
		{"count: 1e3", testConfig{Count: 1000}},
		{"count: 3.0", testConfig{Count: 3}},
		{"wait: 250ms\nevery: 1h", testConfig{Wait: 250 * time.Millisecond, Stream: Stream{Every: time.Hour}}},
		{"on: true\ncolor: green", testConfig{On: true, Color: green}},
		{"name: ~\ncount: null", testConfig{}},
		{"name: 123", testConfig{Name: "123"}},
		{"big: 9223372036854775807", testConfig{Big: 1<<63 - 1}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			var got testConfig
			require.NoError(t, yamlDecode(&got, tt.give), "DecodeYAML")
			assert.Equal(t, tt.want, got, "DecodeYAML(%q)", tt.give)
		})
	}
}

func TestDecodeYAMLErrors(t *testing.T) {
	for _, tt := range []struct {
		give string
		want []string
	}{
		{"colour: red", []string{"colour"}},
		{"count: 1.5", []string{"count", "1.5"}},
		{"count: -1", []string{"count", "-1"}},
		{"count: 1e300", []string{"count"}},
		{"count: .nan", []string{"count"}},
		{"big: 9223372036854775808", []string{"big", "9223372036854775808"}},
		{"max_size: banana", []string{"max_size", "banana"}},
		{"wait: 5", []string{"wait", "5"}},
		{"on: yes", []string{"on", "yes"}},
		{"color: [red]", []string{"color"}},
		{"color:\n  r: 1", []string{"color"}},
		{"- a\n- b", []string{"cannot unmarshal"}},
		{"just text", []string{"cannot unmarshal"}},
	} {
		t.Run(tt.give, func(t *testing.T) {
			var c testConfig
			err := yamlDecode(&c, tt.give)
			require.Error(t, err, "DecodeYAML(%q)", tt.give)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "DecodeYAML(%q)", tt.give)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	for _, tt := range []struct {
		name string
		give testConfig
		want map[string]any
	}{
		{"zero", testConfig{}, map[string]any{}},
		{"plain values", testConfig{Name: "app", Count: 3, Big: 7, Small: 2, On: true},
			map[string]any{"name": "app", "count": 3, "big": int64(7), "small": int32(2), "on": true}},
		{"text forms", testConfig{MaxSize: 1 << 30, Wait: 90 * time.Second, Color: green, Stream: Stream{Buffer: 1000, Every: time.Hour}},
			map[string]any{"max_size": "1GiB", "wait": "1m30s", "color": "green", "buffer": "1000", "every": "1h0m0s"}},
		{"not settings are not encoded", testConfig{Skipped: "s", NoTag: "n", hidden: "h"}, map[string]any{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Encode(&tt.give), "Encode")
		})
	}
}

// Whatever Encode writes, Set reads back to the same config.
func TestEncodeRoundTrip(t *testing.T) {
	give := testConfig{Name: "app", Count: 3, Big: 1<<63 - 1, Small: 5, MaxSize: 100_000_000, Wait: time.Millisecond,
		On: true, Color: green, Stream: Stream{Buffer: 64 << 10, Every: 36 * time.Hour}}
	var got testConfig
	for k, v := range Encode(&give) {
		require.NoError(t, Set(&got, k, fmt.Sprint(v)), "Set(%q, %v)", k, v)
	}
	assert.Equal(t, give, got, "round trip")
}

// FuzzQuery feeds random query strings through Query: it never panics,
// every error is non-empty and names a parameter it was given, and a query
// that decodes encodes back to the same config.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", "name=app", "count=3&count=4", "max_size=100MB&wait=1s", "max_size=banana",
		"wait=-1s", "on=maybe", "color=green", "colour=red", "buffer=64%20KiB&every=24h",
		"small=2147483648", "big=-0", "=x", "%zz=1", "a;b=c", "name=%00", "count=+7",
		"max_size=8388608TiB", "wait=9223372036854775807ns", "every=1e3h",
		"=&=", // the empty parameter twice
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // a parse error still returns the parameters it read
		var c testConfig
		err := Query(&c, q)
		if err != nil {
			msg := err.Error()
			if msg == "" {
				t.Fatalf("Query(%q): empty error", raw)
			}
			named := false
			for k := range q {
				if (k != "" && strings.Contains(msg, k)) || strings.Contains(msg, strconv.Quote(k)) {
					named = true
				}
			}
			if !named {
				t.Fatalf("Query(%q): error %q names none of the parameters", raw, msg)
			}
			return
		}
		back := url.Values{}
		for k, v := range Encode(&c) {
			back.Set(k, fmt.Sprint(v))
		}
		var again testConfig
		if err := Query(&again, back); err != nil {
			t.Fatalf("Query(%q) = %+v; encoded back as %q, which fails: %v", raw, c, back.Encode(), err)
		}
		if again != c {
			t.Fatalf("Query(%q) = %+v; encoded back as %q, which decodes to %+v", raw, c, back.Encode(), again)
		}
	})
}

// A TextUnmarshaler's own error is wrapped, so callers can match it.
func TestSetWrapsFieldError(t *testing.T) {
	errSentinel := errors.New("sentinel")
	var c struct {
		V sentinelText `json:"v"`
	}
	c.V.err = errSentinel
	err := Set(&c, "v", "x")
	assert.ErrorIs(t, err, errSentinel, "Set wraps the field's own error with %%w")
}

type sentinelText struct{ err error }

func (s *sentinelText) UnmarshalText([]byte) error { return s.err }
