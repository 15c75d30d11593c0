package stdout_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/stdout"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		desc string
		give stdout.Config
		want []string // substrings of the error; none for valid
	}{
		{desc: "zero", give: stdout.Config{}},
		{desc: "stdout", give: stdout.Config{Target: "stdout"}},
		{desc: "stderr drop", give: stdout.Config{Target: "stderr", Config: logsink.Config{Policy: logsink.Drop}}},
		{desc: "unknown target", give: stdout.Config{Target: "stdin"}, want: []string{`target="stdin"`}},
		{desc: "upper case target", give: stdout.Config{Target: "STDOUT"}, want: []string{`target="STDOUT"`}},
		{desc: "negative buffer", give: stdout.Config{Config: logsink.Config{BufferSize: -1}}, want: []string{"buffer_size=-1"}},
		{desc: "unknown policy", give: stdout.Config{Config: logsink.Config{Policy: 7}}, want: []string{"policy=7"}},
		{
			desc: "every error",
			give: stdout.Config{Target: "x", Config: logsink.Config{FlushInterval: -time.Second}},
			want: []string{`target="x"`, "flush_interval=-1s"},
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

func TestConfigOpenInvalid(t *testing.T) {
	s, err := stdout.Open(stdout.Config{Target: "stdin"})
	assert.ErrorContains(t, err, `target="stdin"`, "Open validates")
	assert.Nil(t, s, "no stream for a bad config")
}

func TestConfigOpenOptionOrder(t *testing.T) {
	tests := []struct {
		desc string
		cfg  stdout.Config
		opts []logsink.Option
		want int
	}{
		{desc: "default", want: logsink.DefaultHighWaterMark},
		{desc: "config", cfg: stdout.Config{Config: logsink.Config{HighWaterMark: 1000}}, want: 1000},
		{
			desc: "option beats config",
			cfg:  stdout.Config{Config: logsink.Config{HighWaterMark: 1000}},
			opts: []logsink.Option{logsink.WithHighWaterMark(2000)},
			want: 2000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := stdout.Open(tt.cfg, tt.opts...)
			require.NoError(t, err, "Open")
			assert.Equal(t, tt.want, s.HighWaterMark(), "high-water mark")
			assert.NoError(t, s.Close(), "Close")
		})
	}
}

var fullConfig = stdout.Config{
	Target: "stderr",
	Config: logsink.Config{
		BufferSize:    256 << 10,
		HighWaterMark: 4 << 10,
		FlushInterval: 50 * time.Millisecond,
		Policy:        logsink.Drop,
		BlockTimeout:  time.Second,
		CloseTimeout:  2 * time.Second,
	},
	SurviveBrokenPipe: true,
}

func TestConfigJSON(t *testing.T) {
	b, err := json.Marshal(fullConfig)
	require.NoError(t, err, "marshal")
	assert.JSONEq(t, `{"target":"stderr","buffer_size":"256KiB","high_water_mark":"4KiB",
		"flush_interval":50000000,"policy":"drop","block_timeout":1000000000,"close_timeout":2000000000,
		"survive_broken_pipe":true}`, string(b), "flat; sizes and the policy as text, durations as nanoseconds")

	var got stdout.Config
	require.NoError(t, json.Unmarshal(b, &got), "unmarshal")
	assert.Equal(t, fullConfig, got, "round trip")

	b, err = json.Marshal(stdout.Config{})
	require.NoError(t, err, "marshal zero")
	assert.JSONEq(t, `{}`, string(b), "the zero config is empty")
}

func TestConfigYAML(t *testing.T) {
	b, err := yaml.Marshal(fullConfig)
	require.NoError(t, err, "marshal")
	var got stdout.Config
	require.NoError(t, yaml.Unmarshal(b, &got), "unmarshal %s", b)
	assert.Equal(t, fullConfig, got, "round trip")

	// Embedded in a service's own config file.
	var svc struct {
		Log stdout.Config `yaml:"log"`
	}
	doc := "log:\n  target: stdout\n  policy: drop\n  buffer_size: 64KiB\n  flush_interval: 200ms\n"
	require.NoError(t, yaml.Unmarshal([]byte(doc), &svc), "unmarshal a service config")
	assert.Equal(t, stdout.Config{Target: "stdout", Config: logsink.Config{
		Policy: logsink.Drop, BufferSize: 64 << 10, FlushInterval: 200 * time.Millisecond,
	}}, svc.Log, "decoded")
}

func TestConfigDecodeErrors(t *testing.T) {
	tests := []struct {
		give string // YAML
		want string
	}{
		{give: `buffer_size: banana`, want: `invalid size "banana"`},
		{give: `policy: sometimes`, want: `unknown policy "sometimes"`},
		{give: `flush_interval: soon`, want: "cannot unmarshal !!str `soon` into time.Duration"},
		{give: `survive_broken_pipe: maybe`, want: "cannot unmarshal !!str `maybe` into bool"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var c stdout.Config
			assert.ErrorContains(t, yaml.Unmarshal([]byte(tt.give), &c), tt.want, "YAML")
		})
	}
}

func TestConfigTags(t *testing.T) {
	assert.NoError(t, confkit.CheckTags(&stdout.Config{}), "stdout.Config embeds without taking over its embedder's encoding")
}
