package logsink_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// fullConfig sets every field to a value that has a short text form.
var fullConfig = logsink.Config{
	BufferSize:    4 << 20,
	HighWaterMark: 64 << 10,
	FlushInterval: 250 * time.Millisecond,
	Policy:        logsink.Drop,
	BlockTimeout:  2 * time.Second,
	CloseTimeout:  10 * time.Second,
	KeepTimeout:   3 * time.Second,
}

func TestConfigJSONRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		give logsink.Config
		want string
	}{
		{"zero", logsink.Config{}, `{}`},
		{"full", fullConfig, `{"block_timeout":2000000000,"buffer_size":"4MiB","close_timeout":10000000000,
			"flush_interval":250000000,"high_water_mark":"64KiB","keep_timeout":3000000000,"policy":"drop"}`},
		{"block policy is the default", logsink.Config{Policy: logsink.Block, BufferSize: 1000}, `{"buffer_size":"1000"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.give)
			require.NoError(t, err, "Marshal")
			assert.JSONEq(t, tt.want, string(b), "sizes and the policy as text, durations as nanoseconds")

			var got logsink.Config
			require.NoError(t, json.Unmarshal(b, &got), "Unmarshal %s", b)
			assert.Equal(t, tt.give, got, "round trip")
		})
	}
}

func TestConfigYAMLRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		give logsink.Config
		want string
	}{
		{"zero", logsink.Config{}, "{}\n"},
		{"full", fullConfig, "buffer_size: 4MiB\nhigh_water_mark: 64KiB\nflush_interval: 250ms\npolicy: drop\n" +
			"block_timeout: 2s\nclose_timeout: 10s\nkeep_timeout: 3s\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := yaml.Marshal(tt.give)
			require.NoError(t, err, "Marshal")
			assert.Equal(t, tt.want, string(b), "text forms")

			var got logsink.Config
			require.NoError(t, yaml.Unmarshal(b, &got), "Unmarshal %s", b)
			assert.Equal(t, tt.give, got, "round trip")
		})
	}
}

func TestConfigDecodeTextForms(t *testing.T) {
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		want     logsink.Config
	}{
		{"binary size", `{"buffer_size":"64KiB"}`, `buffer_size: 64KiB`, logsink.Config{BufferSize: 64 << 10}},
		{"decimal size", `{"buffer_size":"100MB"}`, `buffer_size: 100MB`, logsink.Config{BufferSize: 100_000_000}},
		{"size with a space", `{"high_water_mark":"16 KiB"}`, `high_water_mark: 16 KiB`, logsink.Config{HighWaterMark: 16 << 10}},
		{"size as a number", `{"buffer_size":65536}`, `buffer_size: 65536`, logsink.Config{BufferSize: 65536}},
		{"size as a numeric string", `{"buffer_size":"512"}`, `buffer_size: "512"`, logsink.Config{BufferSize: 512}},
		{"duration", `{"flush_interval":250000000}`, `flush_interval: 250ms`, logsink.Config{FlushInterval: 250 * time.Millisecond}},
		{"compound duration", `{"block_timeout":90000000000}`, `block_timeout: 1m30s`, logsink.Config{BlockTimeout: 90 * time.Second}},
		{"zero duration", `{"close_timeout":0}`, `close_timeout: 0s`, logsink.Config{}},
		{"policy", `{"policy":"drop"}`, `policy: drop`, logsink.Config{Policy: logsink.Drop}},
		{"policy in capitals", `{"policy":"DROP"}`, `policy: DROP`, logsink.Config{Policy: logsink.Drop}},
		{"explicit block", `{"policy":"block"}`, `policy: block`, logsink.Config{Policy: logsink.Block}},
		{"null is unset", `{"policy":null,"buffer_size":null}`, "policy: null\nbuffer_size: ~", logsink.Config{}},
		{"empty", `{}`, `{}`, logsink.Config{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fromJSON, fromYAML logsink.Config
			require.NoError(t, json.Unmarshal([]byte(tt.giveJSON), &fromJSON), "JSON %s", tt.giveJSON)
			assert.Equal(t, tt.want, fromJSON, "JSON %s", tt.giveJSON)
			require.NoError(t, yaml.Unmarshal([]byte(tt.giveYAML), &fromYAML), "YAML %s", tt.giveYAML)
			assert.Equal(t, tt.want, fromYAML, "YAML %s", tt.giveYAML)
		})
	}
}

// A bad value is an error that names the value, or the field (JSON) or
// line (YAML) where the decoder knows it.
func TestConfigDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		wantJSON string
		wantYAML string
	}{
		{"unknown policy", `{"policy":"fast"}`, `policy: fast`, `"fast"`, `"fast"`},
		{"size not a number", `{"buffer_size":"banana"}`, `buffer_size: banana`, `"banana"`, `"banana"`},
		{"size with unknown unit", `{"buffer_size":"1PiB"}`, `buffer_size: 1PiB`, `"1PiB"`, `"1PiB"`},
		{"fractional size", `{"buffer_size":1.5}`, `buffer_size: 1.5`, `"1.5"`, `"1.5"`},
		{"size past int64", `{"buffer_size":"9999999TiB"}`, `buffer_size: 9999999TiB`, `"9999999TiB"`, `"9999999TiB"`},
		{"size as an object", `{"buffer_size":{"n":1}}`, "buffer_size:\n  n: 1", "object into Go struct field Config.buffer_size", "line 2"},
		{"size as a bool", `{"buffer_size":true}`, "buffer_size: true", "bool into Go struct field Config.buffer_size", `"true"`},
		{"duration without unit", `{"flush_interval":"5"}`, `flush_interval: "5"`, "Config.flush_interval", "line 1: cannot unmarshal !!str `5` into time.Duration"},
		{"duration as a number in YAML", `{"flush_interval":"250ms"}`, `flush_interval: 5`, "Config.flush_interval", "line 1: cannot unmarshal !!int `5` into time.Duration"},
		{"duration nonsense", `{"close_timeout":"soon"}`, `close_timeout: soon`, "Config.close_timeout", "`soon`"},
		{"policy as a bool", `{"policy":true}`, `policy: true`, "Config.policy", `"true"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c logsink.Config
			err := json.Unmarshal([]byte(tt.giveJSON), &c)
			require.Error(t, err, "JSON %s", tt.giveJSON)
			assert.Contains(t, err.Error(), tt.wantJSON, "JSON error")

			err = yaml.Unmarshal([]byte(tt.giveYAML), &c)
			require.Error(t, err, "YAML %s", tt.giveYAML)
			assert.Contains(t, err.Error(), tt.wantYAML, "YAML error")
		})
	}
}

// A value that parses but is out of range decodes, from JSON, YAML and Go
// alike, and Validate refuses it naming the setting and the value, in the
// same words whichever way it came: the decoders cannot name the key of a
// text type's error.
func TestConfigOutOfRangeDecodesForValidate(t *testing.T) {
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		giveGo   logsink.Config
		want     string
	}{
		{"negative size", `{"buffer_size":-1}`, `buffer_size: -1`, logsink.Config{BufferSize: -1},
			"logsink: buffer_size=-1: must not be negative"},
		{"negative size text", `{"high_water_mark":"-1KiB"}`, `high_water_mark: -1KiB`, logsink.Config{HighWaterMark: -1 << 10},
			"logsink: high_water_mark=-1KiB: must not be negative"},
		{"negative duration", `{"flush_interval":-1000000000}`, `flush_interval: -1s`, logsink.Config{FlushInterval: -time.Second},
			"logsink: flush_interval=-1s: must not be negative"},
		{"short flush interval", `{"flush_interval":1000}`, `flush_interval: 1us`, logsink.Config{FlushInterval: time.Microsecond},
			"logsink: flush_interval=1µs: less than the minimum, 1ms"},
		{"huge buffer", `{"buffer_size":"2GiB"}`, `buffer_size: 2GiB`, logsink.Config{BufferSize: 2 << 30},
			"logsink: buffer_size=2GiB: more than the maximum, 1GiB"},
		{"negative spill size", `{"spill_dir":"/x","spill_max_size":"-5"}`, "spill_dir: /x\nspill_max_size: -5",
			logsink.Config{SpillDir: "/x", SpillMaxSize: -5}, "logsink: spill_max_size=-5: must not be negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fromJSON, fromYAML logsink.Config
			require.NoError(t, json.Unmarshal([]byte(tt.giveJSON), &fromJSON), "JSON %s decodes", tt.giveJSON)
			require.NoError(t, yaml.Unmarshal([]byte(tt.giveYAML), &fromYAML), "YAML %s decodes", tt.giveYAML)
			assert.Equal(t, tt.giveGo, fromJSON, "JSON %s", tt.giveJSON)
			assert.Equal(t, tt.giveGo, fromYAML, "YAML %s", tt.giveYAML)
			for _, c := range []logsink.Config{tt.giveGo, fromJSON, fromYAML} {
				assert.EqualError(t, c.Validate(), tt.want, "Validate of %+v", c)
			}
		})
	}
}

// Unknown keys are the embedding struct's business: its decoder's strict
// mode reports them.
func TestConfigDecodeUnknownKeysStrict(t *testing.T) {
	d := json.NewDecoder(strings.NewReader(`{"buffer_size":"1MiB","colour":"red"}`))
	d.DisallowUnknownFields()
	var c logsink.Config
	assert.ErrorContains(t, d.Decode(&c), `"colour"`, "encoding/json with DisallowUnknownFields")

	y := yaml.NewDecoder(strings.NewReader("buffer_size: 1MiB\ncolour: red\n"))
	y.KnownFields(true)
	assert.ErrorContains(t, y.Decode(&c), "colour", "YAML with KnownFields")
}

func TestConfigTags(t *testing.T) {
	assert.NoError(t, confkit.CheckTags(&logsink.Config{}), "logsink.Config embeds without taking over its embedder's encoding")
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		give logsink.Config
		want []string // substrings of the error; nil means valid
	}{
		{"zero", logsink.Config{}, nil},
		{"full", fullConfig, nil},
		{"high-water mark above buffer is clamped, not an error", logsink.Config{BufferSize: 1024, HighWaterMark: 4096}, nil},
		{"negative buffer size", logsink.Config{BufferSize: -1}, []string{"buffer_size", "-1"}},
		{"negative high-water mark", logsink.Config{HighWaterMark: -10}, []string{"high_water_mark", "-10"}},
		{"negative flush interval", logsink.Config{FlushInterval: -time.Second}, []string{"flush_interval", "negative"}},
		{"negative block timeout", logsink.Config{BlockTimeout: -time.Millisecond}, []string{"block_timeout", "negative"}},
		{"negative close timeout", logsink.Config{CloseTimeout: -time.Minute}, []string{"close_timeout", "negative"}},
		{"negative keep timeout", logsink.Config{KeepTimeout: -time.Minute}, []string{"keep_timeout=-1m0s", "negative"}},
		{"buffer size at the maximum", logsink.Config{BufferSize: logsink.MaxBufferSize, HighWaterMark: logsink.MaxBufferSize}, nil},
		{"buffer size above the maximum", logsink.Config{BufferSize: 4611686018427387904}, []string{"buffer_size=4194304TiB", "maximum, 1GiB"}},
		{"high-water mark above the maximum", logsink.Config{HighWaterMark: 2 << 30}, []string{"high_water_mark=2GiB", "maximum, 1GiB"}},
		{"flush interval at the minimum", logsink.Config{FlushInterval: logsink.MinFlushInterval}, nil},
		{"flush interval below the minimum", logsink.Config{FlushInterval: time.Microsecond}, []string{"flush_interval=1µs", "minimum, 1ms"}},
		{"unknown policy", logsink.Config{Policy: 7}, []string{"policy", "7"}},
		{"every bad value is reported", logsink.Config{BufferSize: -1, Policy: -2}, []string{"buffer_size=-1", "policy=-2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			if tt.want == nil {
				assert.NoError(t, err, "Validate")
				return
			}
			require.Error(t, err, "Validate")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w, "the error names the setting and value")
			}
		})
	}
}

func TestConfigOptionsHighWaterMark(t *testing.T) {
	for _, tt := range []struct {
		name string
		give logsink.Config
		want int
	}{
		{"zero means defaults", logsink.Config{}, logsink.DefaultHighWaterMark},
		{"set", logsink.Config{HighWaterMark: 1024}, 1024},
		{"clamped to the buffer size", logsink.Config{BufferSize: 4096}, 4096},
		{"below the buffer size", logsink.Config{BufferSize: 4096, HighWaterMark: 1024}, 1024},
		{"negative is ignored", logsink.Config{HighWaterMark: -1}, logsink.DefaultHighWaterMark},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := logsink.New(sinktest.NewWriter(), tt.give.Options()...)
			assert.Equal(t, tt.want, s.HighWaterMark(), "HighWaterMark")
			require.NoError(t, s.Close(), "Close")
		})
	}
}

func TestConfigOptionsCount(t *testing.T) {
	assert.Empty(t, logsink.Config{}.Options(), "a zero Config gives no option")
	assert.Len(t, fullConfig.Options(), 7, "every set field gives one option")
}

// BufferSize and Policy reach the stream: under Drop, an entry past the
// buffer size is dropped at once.
func TestConfigOptionsBufferSizeAndPolicy(t *testing.T) {
	w := sinktest.NewWriter()
	clk := sinktest.NewMockClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := logsink.Config{BufferSize: 100, HighWaterMark: 100, Policy: logsink.Drop}
	s := logsink.New(w, append(cfg.Options(), logsink.WithClock(clk))...)
	entry := []byte(strings.Repeat("x", 59) + "\n")
	for range 2 {
		_, err := s.Write(entry)
		require.NoError(t, err, "Write")
	}
	st := s.Stats()
	assert.Equal(t, uint64(1), st.Entries, "the first 60 bytes fit in 100")
	assert.Equal(t, uint64(1), st.Dropped, "the next 60 bytes were dropped, not waited for")
	require.NoError(t, s.Close(), "Close")
	assert.Equal(t, string(entry), w.String(), "the kept entry was written")
}

// FlushInterval reaches the stream: the flusher writes when the clock passes
// it.
func TestConfigOptionsFlushInterval(t *testing.T) {
	w := sinktest.NewWriter()
	w.Hold()
	clk := sinktest.NewMockClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := logsink.Config{FlushInterval: 250 * time.Millisecond}
	s := logsink.New(w, append(cfg.Options(), logsink.WithClock(clk))...)
	_, err := s.Write([]byte("tick\n"))
	require.NoError(t, err, "Write")
	clk.WaitTickers(1) // the flusher's interval ticker
	clk.Add(250 * time.Millisecond)
	<-w.Entered() // the interval flush reached the destination
	w.Release()
	require.NoError(t, s.Close(), "Close")
	assert.Equal(t, "tick\n", w.String(), "written")
}

// BlockTimeout reaches the stream: a blocked Write gives up after it.
func TestConfigOptionsBlockTimeout(t *testing.T) {
	w := sinktest.NewWriter()
	w.Hold()
	clk := sinktest.NewMockClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := logsink.Config{BufferSize: 100, HighWaterMark: 100, BlockTimeout: time.Second}
	s := logsink.New(w, append(cfg.Options(), logsink.WithClock(clk))...)
	entry := []byte(strings.Repeat("x", 59) + "\n")
	_, err := s.Write(entry)
	require.NoError(t, err, "Write")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := s.Write(entry) // no room: waits, then times out
		assert.NoError(t, err, "a timed-out Write is dropped, not an error")
	}()
	<-w.Entered()      // the waiting writer woke the flusher, which is held
	clk.WaitTickers(2) // the flusher's ticker and the block timeout's
	clk.Add(time.Second)
	<-done
	assert.Equal(t, uint64(1), s.Stats().Dropped, "the blocked entry was dropped after the timeout")
	w.Release()
	require.NoError(t, s.Close(), "Close")
}

// A size that Validate would reject still gives a valid option (it would
// wrap around on a 32-bit int otherwise).
func TestConfigOptionsHugeSize(t *testing.T) {
	cfg := logsink.Config{BufferSize: 4 << 10, HighWaterMark: 1 << 62}
	var s *logsink.Stream
	require.NotPanics(t, func() { s = logsink.New(sinktest.NewWriter(), cfg.Options()...) }, "New")
	assert.Equal(t, 4<<10, s.HighWaterMark(), "clamped to the buffer size")
	require.NoError(t, s.Close(), "Close")
}
