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

// size is a TextMarshaler/TextUnmarshaler over ParseSizeText, like logsink.Size.
type size int64

func (s size) MarshalText() ([]byte, error) { return []byte(FormatSize(int64(s))), nil }

func (s *size) UnmarshalText(b []byte) error {
	n, err := ParseSizeText(string(b))
	*s = size(n)
	return err
}

// Stream is embedded without a json name, so its fields are flattened, like
// logsink.Config in rotate.Config.
type Stream struct {
	Buffer size          `json:"buffer,omitempty"`
	Every  time.Duration `json:"every,omitempty"`
}

type testConfig struct {
	Name    string        `json:"name,omitempty"`
	Count   int           `json:"count,omitempty"`
	Big     int64         `json:"big,omitempty"`
	Small   int32         `json:"small,omitempty"`
	MaxSize size          `json:"max_size,omitempty"`
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
		// Out of range, but parsed: the config's Validate refuses it, in
		// the same words as for JSON, YAML and Go.
		{"count", "-1", testConfig{Count: -1}},
		{"max_size", "-1KiB", testConfig{MaxSize: -1 << 10}},
		{"wait", "-1s", testConfig{Wait: -time.Second}},
		{"every", "-24h", testConfig{Stream: Stream{Every: -24 * time.Hour}}},
	} {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var got testConfig
			require.NoError(t, set(&got, tt.key, tt.value), "set")
			assert.Equal(t, tt.want, got, "set(%q, %q)", tt.key, tt.value)
		})
	}
}

func TestSetErrors(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		want       string // what is wrong, besides the key and the value
	}{
		{"count", "many", "not a whole number"},
		{"count", "1.5", "not a whole number"},
		{"count", "99999999999999999999", "not a whole number"},
		{"small", "2147483648", "too large"},
		{"small", "-2147483649", "too small"},
		{"small", "4GiB", "not a whole number"},
		{"max_size", "banana", `invalid size "banana": want bytes or a number with a unit such as 64KiB or 100MB`},
		{"buffer", "1PiB", "invalid size"},
		{"wait", "soon", "not a duration"},
		{"wait", "5", "not a duration"},
		{"on", "yes please", "not a boolean"},
		{"color", "blue", "unknown color"},
	} {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var c testConfig
			err := set(&c, tt.key, tt.value)
			require.Error(t, err, "set(%q, %q)", tt.key, tt.value)
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
			err := set(&c, key, "val-1")
			require.Error(t, err, "set(%q)", key)
			assert.Contains(t, err.Error(), strconv.Quote(key), "the error names the key")
			assert.Contains(t, err.Error(), "val-1", "the error names the value")
			assert.Contains(t, err.Error(), "unknown parameter", "the error says what is wrong")
		})
	}
}

func TestSetUnknownListsKnown(t *testing.T) {
	err := set(&testConfig{}, "colour", "red")
	require.Error(t, err, "unknown key")
	assert.Contains(t, err.Error(), strings.Join(testNames, ", "), "the error lists the known settings")
}

func TestSetUnsupportedType(t *testing.T) {
	var c struct {
		Ratio float64 `json:"ratio"`
		Count uint    `json:"count"`
	}
	for _, key := range []string{"ratio", "count"} {
		err := set(&c, key, "1")
		require.Error(t, err, "set(%q)", key)
		assert.Contains(t, err.Error(), "unsupported field type", "set(%q)", key)
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
		{"colour=red", []string{"colour", "unknown parameter"}},
		{"count=1&count=2", []string{"count", "given 2 times"}},
		{"count=", []string{"count", "not a whole number"}},
		{"name=ok&wait=1x", []string{"wait", "1x", "not a duration"}},
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

func TestValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		give testConfig
		want url.Values
	}{
		{"zero", testConfig{}, url.Values{}},
		{"plain values", testConfig{Name: "app", Count: 3, Big: 7, Small: 2, On: true},
			url.Values{"name": {"app"}, "count": {"3"}, "big": {"7"}, "small": {"2"}, "on": {"true"}}},
		{"text forms", testConfig{MaxSize: 1 << 30, Wait: 90 * time.Second, Color: green, Stream: Stream{Buffer: 1000, Every: time.Hour}},
			url.Values{"max_size": {"1GiB"}, "wait": {"1m30s"}, "color": {"green"}, "buffer": {"1000"}, "every": {"1h0m0s"}}},
		{"not settings are not encoded", testConfig{Skipped: "s", NoTag: "n", hidden: "h"}, url.Values{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Values(&tt.give)
			require.NoError(t, err, "Values")
			assert.Equal(t, tt.want, got, "Values")
		})
	}
}

func TestValuesReportsMarshalErrors(t *testing.T) {
	_, err := Values(&testConfig{Color: 7, Name: "x"})
	require.Error(t, err, "a value without a text form")
	assert.Contains(t, err.Error(), "color", "the error names the field")
}

// Whatever Values writes, Query reads back to the same config.
func TestValuesRoundTrip(t *testing.T) {
	give := testConfig{Name: "app", Count: 3, Big: 1<<63 - 1, Small: 5, MaxSize: 100_000_000, Wait: time.Millisecond,
		On: true, Color: green, Stream: Stream{Buffer: 64 << 10, Every: 36 * time.Hour}}
	q, err := Values(&give)
	require.NoError(t, err, "Values")
	var got testConfig
	require.NoError(t, Query(&got, q), "Query(%v)", q)
	assert.Equal(t, give, got, "round trip")
}

// FuzzQuery feeds random query strings through Query: it never panics,
// every error is non-empty and names a parameter it was given, and a query
// that decodes encodes back to the same config.
//
// Its seeds are in testdata/fuzz/FuzzQuery.
func FuzzQuery(f *testing.F) {
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
		back, err := Values(&c)
		if err != nil {
			t.Fatalf("Query(%q) = %+v, which Values cannot encode: %v", raw, c, err)
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
	err := set(&c, "v", "x")
	assert.ErrorIs(t, err, errSentinel, "Set wraps the field's own error with %%w")
}

type sentinelText struct{ err error }

func (s *sentinelText) UnmarshalText([]byte) error { return s.err }

// Every bad parameter is reported, not just the first.
func TestQueryReportsEveryParameter(t *testing.T) {
	q, err := url.ParseQuery("count=many&wait=soon&colour=red&on=1&on=0")
	require.NoError(t, err, "ParseQuery")
	var c testConfig
	err = Query(&c, q)
	require.Error(t, err, "Query")
	for _, w := range []string{`count="many"`, `wait="soon"`, `unknown parameter "colour"`, `"on" given 2 times`} {
		assert.Contains(t, err.Error(), w, "Query reports each bad parameter")
	}
}
