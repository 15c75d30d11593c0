package rotate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/internal/confkit"
	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func TestConfigValidateNamesTheField(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "plain-file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600), "make a plain file")
	ok := logPath(dir)

	tests := []struct {
		name string
		give rotate.Config
		want []string
	}{
		{name: "empty filename", give: rotate.Config{}, want: []string{`filename="": must not be empty`}},
		{name: "negative max_size", give: rotate.Config{Filename: ok, MaxSize: -1}, want: []string{"max_size=-1"}},
		{name: "negative max_age", give: rotate.Config{Filename: ok, MaxAge: -time.Hour}, want: []string{"max_age=-1h0m0s"}},
		{name: "negative max_backups", give: rotate.Config{Filename: ok, MaxBackups: -2}, want: []string{"max_backups=-2"}},
		{name: "negative every", give: rotate.Config{Filename: ok, Every: -time.Hour}, want: []string{"every=-1h0m0s"}},
		{name: "every too short", give: rotate.Config{Filename: ok, Every: 10 * time.Millisecond}, want: []string{"every=10ms: less than the minimum, 1s"}},
		{name: "mode beyond permission bits", give: rotate.Config{Filename: ok, Mode: logsink.FileMode(os.ModeSticky | 0o640)}, want: []string{"mode=", "permission bits"}},
		{name: "mode the owner cannot write", give: rotate.Config{Filename: ok, Mode: 0o444}, want: []string{"mode=0444"}},
		{name: "negative max_total_size", give: rotate.Config{Filename: ok, MaxTotalSize: -1}, want: []string{"max_total_size=-1"}},
		{name: "negative keep_free", give: rotate.Config{Filename: ok, KeepFree: -1}, want: []string{"keep_free=-1"}},
		{
			name: "max_total_size below max_size",
			give: rotate.Config{Filename: ok, MaxSize: 2 << 20, MaxTotalSize: 1 << 20},
			want: []string{"max_total_size=1MiB", "at least max_size (2MiB)"},
		},
		{
			name: "max_total_size below the default max_size",
			give: rotate.Config{Filename: ok, MaxTotalSize: 50e6},
			want: []string{"max_total_size=50000000", "at least max_size (100MiB)"},
		},
		{name: "follow not a boolean", give: rotate.Config{Filename: ok, Follow: "sometimes"}, want: []string{`follow="sometimes"`, "true or false"}},
		{
			name: "directory cannot be created",
			give: rotate.Config{Filename: filepath.Join(notADir, "logs", "app.log")},
			want: []string{`filename="` + filepath.Join(notADir, "logs", "app.log") + `"`, "cannot create directory"},
		},
		{name: "filename is a directory", give: rotate.Config{Filename: dir}, want: []string{`filename="` + dir + `": is a directory`}},
		{
			name: "stream settings",
			give: rotate.Config{Filename: ok, Config: logsink.Config{BufferSize: -1}},
			want: []string{"buffer_size=-1"},
		},
		{
			name: "every bad value at once",
			give: rotate.Config{MaxSize: -1, MaxBackups: -1},
			want: []string{"filename", "max_size=-1", "max_backups=-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			require.Error(t, err, "Validate")
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w, "the error names the field and value")
			}
			_, err = rotate.Open(tt.give)
			assert.Error(t, err, "Open validates too")
		})
	}
}

func TestConfigValidateMakesTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	cfg := rotate.Config{Filename: filepath.Join(dir, "app.log")}
	require.NoError(t, cfg.Validate(), "a zero config but for filename is valid")
	info, err := os.Stat(dir)
	require.NoError(t, err, "the directory was made")
	assert.True(t, info.IsDir(), "a directory")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "read dir")
	assert.Empty(t, entries, "the writability probe is removed")
}

// fullConfig sets every field that has a text form.
func fullConfig() rotate.Config {
	return rotate.Config{
		Filename:     "/var/log/app.log",
		MaxSize:      100 << 20,
		MaxAge:       7 * 24 * time.Hour,
		MaxBackups:   5,
		MaxTotalSize: 1 << 30,
		KeepFree:     512 << 20,
		Compress:     true,
		LocalTime:    true,
		Every:        24 * time.Hour,
		RotateOnOpen: true,
		Mode:         0o600,
		Follow:       rotate.Off,
		Config: logsink.Config{
			BufferSize:    4 << 20,
			HighWaterMark: 64 << 10,
			FlushInterval: 250 * time.Millisecond,
			Policy:        logsink.Drop,
			BlockTimeout:  time.Second,
			CloseTimeout:  2 * time.Second,
		},
	}
}

// A config with a bad value creates nothing: Validate leaves the file
// system alone until every other value is good.
func TestConfigValidateBadValueMakesNoDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	cfg := rotate.Config{Filename: filepath.Join(dir, "app.log"), MaxSize: -1}
	require.Error(t, cfg.Validate(), "Validate")
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "no directory was made")
}

func TestConfigTags(t *testing.T) {
	assert.NoError(t, confkit.CheckTags(&rotate.Config{}), "rotate.Config embeds without taking over its embedder's encoding")
}

func TestConfigJSON(t *testing.T) {
	cfg := fullConfig()
	cfg.AfterRotate = func(string) {} // not encoded
	b, err := json.Marshal(cfg)
	require.NoError(t, err, "marshal")
	assert.JSONEq(t, `{
		"filename": "/var/log/app.log", "max_size": "100MiB", "max_age": 604800000000000,
		"max_backups": 5, "max_total_size": "1GiB", "keep_free": "512MiB", "compress": true, "local_time": true, "every": 86400000000000,
		"rotate_on_open": true, "mode": "0600", "follow": false,
		"buffer_size": "4MiB", "high_water_mark": "64KiB", "flush_interval": 250000000,
		"policy": "drop", "block_timeout": 1000000000, "close_timeout": 2000000000}`, string(b),
		"sizes, the mode and the policy as text; encoding/json writes durations as nanoseconds")

	var got rotate.Config
	require.NoError(t, json.Unmarshal(b, &got), "unmarshal")
	assert.Equal(t, fullConfig(), got, "round trip")
}

func TestConfigYAML(t *testing.T) {
	b, err := yaml.Marshal(fullConfig())
	require.NoError(t, err, "marshal")
	assert.Equal(t, `filename: /var/log/app.log
max_size: 100MiB
max_age: 168h0m0s
max_backups: 5
max_total_size: 1GiB
keep_free: 512MiB
compress: true
local_time: true
every: 24h0m0s
rotate_on_open: true
mode: "0600"
follow: "false"
buffer_size: 4MiB
high_water_mark: 64KiB
flush_interval: 250ms
policy: drop
block_timeout: 1s
close_timeout: 2s
`, string(b), "every value in its text form")
	var got rotate.Config
	require.NoError(t, yaml.Unmarshal(b, &got), "unmarshal:\n%s", b)
	assert.Equal(t, fullConfig(), got, "round trip through:\n%s", b)

	// As people write it, nested in a service's config.
	var doc struct {
		Log rotate.Config `yaml:"log"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(`
log:
  filename: /var/log/app.log
  max_size: 100MB
  max_backups: 5
  max_age: 168h
  max_total_size: 1GB
  every: 24h
  mode: 0640
  follow: false
  policy: drop
`), &doc), "unmarshal document")
	assert.Equal(t, rotate.Config{
		Filename:     "/var/log/app.log",
		MaxSize:      100e6,
		MaxBackups:   5,
		MaxAge:       7 * 24 * time.Hour,
		MaxTotalSize: 1e9,
		Every:        24 * time.Hour,
		Mode:         0o640,
		Follow:       rotate.Off,
		Config:       logsink.Config{Policy: logsink.Drop},
	}, doc.Log, "decoded document")
}

func TestConfigDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		give string // a YAML document
		want string
	}{
		{name: "bad size", give: `max_size: banana`, want: `invalid size "banana"`},
		{name: "bad duration", give: `max_age: a week`, want: "cannot unmarshal !!str `a week` into time.Duration"},
		{name: "bad mode", give: `mode: 0999`, want: `invalid file mode "0999"`},
		{name: "decimal mode", give: `mode: 999`, want: `invalid file mode "999"`},
		{name: "bad policy", give: `policy: sometimes`, want: `unknown policy "sometimes"`},
		{name: "bad total size", give: `max_total_size: lots`, want: `invalid size "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg rotate.Config
			assert.ErrorContains(t, yaml.Unmarshal([]byte(tt.give), &cfg), tt.want, "YAML")
		})
	}
}

// The hooks are not settings: strict decoders reject them by name.
func TestConfigHooksAreNotSettings(t *testing.T) {
	d := yaml.NewDecoder(strings.NewReader("filename: a.log\nafter_rotate: x\n"))
	d.KnownFields(true)
	var cfg rotate.Config
	assert.ErrorContains(t, d.Decode(&cfg), "after_rotate", "YAML with KnownFields")
}
