package logsink_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

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
}

func TestConfigJSONRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		give logsink.Config
		want string
	}{
		{"zero", logsink.Config{}, `{}`},
		{"full", fullConfig, `{"block_timeout":"2s","buffer_size":"4MiB","close_timeout":"10s","flush_interval":"250ms","high_water_mark":"64KiB","policy":"drop"}`},
		{"block policy is the default", logsink.Config{Policy: logsink.Block, BufferSize: 1000}, `{"buffer_size":"1000"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.give)
			require.NoError(t, err, "Marshal")
			assert.JSONEq(t, tt.want, string(b), "text forms")

			var got logsink.Config
			require.NoError(t, json.Unmarshal(b, &got), "Unmarshal %s", b)
			assert.Equal(t, tt.give, got, "round trip")

			// Through a pointer too: MarshalJSON has a value receiver.
			b2, err := json.Marshal(&tt.give)
			require.NoError(t, err, "Marshal pointer")
			assert.JSONEq(t, tt.want, string(b2), "pointer encodes the same")
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
		{"full", fullConfig, "block_timeout: 2s\nbuffer_size: 4MiB\nclose_timeout: 10s\nflush_interval: 250ms\nhigh_water_mark: 64KiB\npolicy: drop\n"},
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
		{"duration", `{"flush_interval":"250ms"}`, `flush_interval: 250ms`, logsink.Config{FlushInterval: 250 * time.Millisecond}},
		{"compound duration", `{"block_timeout":"1m30s"}`, `block_timeout: 1m30s`, logsink.Config{BlockTimeout: 90 * time.Second}},
		{"zero duration", `{"close_timeout":"0s"}`, `close_timeout: 0s`, logsink.Config{}},
		{"policy", `{"policy":"drop"}`, `policy: drop`, logsink.Config{Policy: logsink.Drop}},
		{"policy in capitals", `{"policy":"DROP"}`, `policy: DROP`, logsink.Config{Policy: logsink.Drop}},
		{"explicit block", `{"policy":"block"}`, `policy: block`, logsink.Config{Policy: logsink.Block}},
		{"null is unset", `{"policy":null}`, `policy: null`, logsink.Config{}},
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

// Every bad value is an error that names the setting and the value.
func TestConfigDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		setting  string
		value    string
	}{
		{"unknown policy", `{"policy":"fast"}`, `policy: fast`, "policy", "fast"},
		{"size not a number", `{"buffer_size":"banana"}`, `buffer_size: banana`, "buffer_size", "banana"},
		{"size with unknown unit", `{"buffer_size":"1PiB"}`, `buffer_size: 1PiB`, "buffer_size", "1PiB"},
		{"negative size", `{"high_water_mark":"-1KiB"}`, `high_water_mark: -1KiB`, "high_water_mark", "-1KiB"},
		{"negative size number", `{"high_water_mark":-5}`, `high_water_mark: -5`, "high_water_mark", "-5"},
		{"fractional size", `{"buffer_size":1.5}`, `buffer_size: 1.5`, "buffer_size", "1.5"},
		{"size past int64", `{"buffer_size":"9999999TiB"}`, `buffer_size: 9999999TiB`, "buffer_size", "9999999TiB"},
		{"negative duration", `{"block_timeout":"-1s"}`, `block_timeout: -1s`, "block_timeout", "-1s"},
		{"duration without unit", `{"flush_interval":"5"}`, `flush_interval: "5"`, "flush_interval", "5"},
		{"duration as a number", `{"flush_interval":5}`, `flush_interval: 5`, "flush_interval", "5"},
		{"duration nonsense", `{"close_timeout":"soon"}`, `close_timeout: soon`, "close_timeout", "soon"},
		{"policy as a bool", `{"policy":true}`, `policy: true`, "policy", "true"},
		{"unknown key", `{"colour":"red"}`, `colour: red`, "colour", "red"},
		{"bad value after good ones", `{"buffer_size":"1MiB","policy":"maybe"}`, "buffer_size: 1MiB\npolicy: maybe", "policy", "maybe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c logsink.Config
			err := json.Unmarshal([]byte(tt.giveJSON), &c)
			require.Error(t, err, "JSON %s", tt.giveJSON)
			assert.Contains(t, err.Error(), tt.setting, "JSON error names the setting")
			assert.Contains(t, err.Error(), tt.value, "JSON error names the value")

			err = yaml.Unmarshal([]byte(tt.giveYAML), &c)
			require.Error(t, err, "YAML %s", tt.giveYAML)
			assert.Contains(t, err.Error(), tt.setting, "YAML error names the setting")
			assert.Contains(t, err.Error(), tt.value, "YAML error names the value")
		})
	}
}

// A value that is neither text, a number nor a boolean is an error naming
// the setting.
func TestConfigDecodeNonScalar(t *testing.T) {
	for _, tt := range []struct {
		name     string
		giveJSON string
		giveYAML string
		setting  string
	}{
		{"object", `{"policy":{"kind":"drop"}}`, "policy:\n  kind: drop", "policy"},
		{"list", `{"buffer_size":[1,2]}`, "buffer_size: [1, 2]", "buffer_size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c logsink.Config
			err := json.Unmarshal([]byte(tt.giveJSON), &c)
			require.Error(t, err, "JSON %s", tt.giveJSON)
			assert.Contains(t, err.Error(), tt.setting, "JSON error names the setting")
			err = yaml.Unmarshal([]byte(tt.giveYAML), &c)
			require.Error(t, err, "YAML %s", tt.giveYAML)
			assert.Contains(t, err.Error(), tt.setting, "YAML error names the setting")
		})
	}
}

func TestConfigDecodeNotAnObject(t *testing.T) {
	for _, give := range []string{`"drop"`, `[1]`, `42`, `{"policy":`} {
		var c logsink.Config
		assert.Error(t, json.Unmarshal([]byte(give), &c), "JSON %s", give)
	}
	for _, give := range []string{`drop`, `[1]`, `42`} {
		var c logsink.Config
		assert.Error(t, yaml.Unmarshal([]byte(give), &c), "YAML %s", give)
	}
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
	assert.Len(t, fullConfig.Options(), 6, "every set field gives one option")
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

// fileConfig is a destination config as package rotate writes one: its own
// settings and logsink.Config inline, with its own (un)marshalling methods
// calling confkit, which shadow the promoted ones of logsink.Config.
type fileConfig struct {
	Filename       string `json:"filename" yaml:"filename"`
	MaxSize        int64  `json:"max_size,omitempty" yaml:"max_size,omitempty" conf:"size"`
	Compress       bool   `json:"compress,omitempty" yaml:"compress,omitempty"`
	logsink.Config `yaml:",inline"`
}

func (c *fileConfig) UnmarshalJSON(b []byte) error { return confkit.DecodeJSON(c, b) }

func (c fileConfig) MarshalJSON() ([]byte, error) { return json.Marshal(confkit.Encode(&c)) }

func (c *fileConfig) UnmarshalYAML(unmarshal func(any) error) error {
	return confkit.DecodeYAML(c, unmarshal)
}

func (c fileConfig) MarshalYAML() (any, error) { return confkit.Encode(&c), nil }

// serviceConfig is a service's own config file with a log section.
type serviceConfig struct {
	Port int        `json:"port" yaml:"port"`
	Log  fileConfig `json:"log" yaml:"log"`
}

func TestConfigEmbeddedInline(t *testing.T) {
	want := serviceConfig{
		Port: 8080,
		Log: fileConfig{
			Filename: "/var/log/app.log",
			MaxSize:  100_000_000,
			Compress: true,
			Config:   logsink.Config{BufferSize: 64 << 10, Policy: logsink.Drop, FlushInterval: 250 * time.Millisecond},
		},
	}
	const giveYAML = `
port: 8080
log:
  filename: /var/log/app.log
  max_size: 100MB
  compress: true
  buffer_size: 64KiB
  flush_interval: 250ms
  policy: drop
`
	const giveJSON = `{"port":8080,"log":{"filename":"/var/log/app.log","max_size":"100MB","compress":true,
		"buffer_size":"64KiB","flush_interval":"250ms","policy":"drop"}}`

	t.Run("YAML", func(t *testing.T) {
		var got serviceConfig
		require.NoError(t, yaml.Unmarshal([]byte(giveYAML), &got), "Unmarshal")
		assert.Equal(t, want, got, "decoded")

		b, err := yaml.Marshal(got)
		require.NoError(t, err, "Marshal")
		var again serviceConfig
		require.NoError(t, yaml.Unmarshal(b, &again), "Unmarshal %s", b)
		assert.Equal(t, want, again, "round trip through %s", b)
	})
	t.Run("JSON", func(t *testing.T) {
		var got serviceConfig
		require.NoError(t, json.Unmarshal([]byte(giveJSON), &got), "Unmarshal")
		assert.Equal(t, want, got, "decoded")

		b, err := json.Marshal(got)
		require.NoError(t, err, "Marshal")
		assert.JSONEq(t, `{"port":8080,"log":{"filename":"/var/log/app.log","max_size":"100000000","compress":true,
			"buffer_size":"64KiB","flush_interval":"250ms","policy":"drop"}}`, string(b), "flattened")
		var again serviceConfig
		require.NoError(t, json.Unmarshal(b, &again), "Unmarshal %s", b)
		assert.Equal(t, want, again, "round trip")
	})
	t.Run("errors name the embedded setting", func(t *testing.T) {
		var got serviceConfig
		err := yaml.Unmarshal([]byte("log:\n  filename: a.log\n  policy: fast\n"), &got)
		require.Error(t, err, "YAML")
		assert.Contains(t, err.Error(), `policy="fast"`, "YAML error")
		err = json.Unmarshal([]byte(`{"log":{"filename":"a.log","buffer_size":"banana"}}`), &got)
		require.Error(t, err, "JSON")
		assert.Contains(t, err.Error(), `buffer_size="banana"`, "JSON error")
		err = json.Unmarshal([]byte(`{"log":{"filename":"a.log","max_backups":"x"}}`), &got)
		require.Error(t, err, "JSON")
		assert.Contains(t, err.Error(), "max_backups", "unknown key in the destination config")
	})
	t.Run("Options of the embedded config", func(t *testing.T) {
		s := logsink.New(sinktest.NewWriter(), want.Log.Options()...)
		assert.Equal(t, logsink.DefaultHighWaterMark, s.HighWaterMark(), "the 16 KiB default is below the 64 KiB buffer")
		require.NoError(t, s.Close(), "Close")
	})
}

func TestConfigMarshalReportsBadPolicy(t *testing.T) {
	_, err := json.Marshal(logsink.Config{Policy: 7})
	assert.ErrorContains(t, err, "policy", "JSON")
	_, err = logsink.Config{Policy: 7}.MarshalYAML()
	assert.ErrorContains(t, err, "policy", "YAML")
}
