package rotate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func TestFromLumberjackUnits(t *testing.T) {
	tests := []struct {
		name string
		give *lumberjack.Logger
		want rotate.Config
	}{
		{
			name: "lumberjack's README example",
			give: &lumberjack.Logger{Filename: "/var/log/myapp/foo.log", MaxSize: 500, MaxBackups: 3, MaxAge: 28, Compress: true},
			want: rotate.Config{Filename: "/var/log/myapp/foo.log", MaxSize: 500 << 20, MaxBackups: 3, MaxAge: 28 * 24 * time.Hour,
				Compress: true, Mode: 0o600},
		},
		{
			name: "zero size is lumberjack's 100 megabytes",
			give: &lumberjack.Logger{Filename: "a.log"},
			want: rotate.Config{Filename: "a.log", MaxSize: 100 << 20, Mode: 0o600},
		},
		{
			name: "local time",
			give: &lumberjack.Logger{Filename: "a.log", MaxSize: 1, LocalTime: true},
			want: rotate.Config{Filename: "a.log", MaxSize: 1 << 20, LocalTime: true, Mode: 0o600},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filename, size := tt.give.Filename, tt.give.MaxSize
			assert.Equal(t, tt.want, rotate.FromLumberjack(tt.give), "Config")
			assert.Equal(t, []any{filename, size}, []any{tt.give.Filename, tt.give.MaxSize}, "FromLumberjack leaves the Logger alone")
		})
	}
}

func TestFromLumberjackDefaultFilename(t *testing.T) {
	want := filepath.Join(os.TempDir(), filepath.Base(os.Args[0])+"-lumberjack.log")
	assert.Equal(t, want, rotate.FromLumberjack(&lumberjack.Logger{}).Filename, "lumberjack's default file")
	assert.Equal(t, want, rotate.FromLumberjack(nil).Filename, "a nil Logger is lumberjack's defaults")
}

func TestFromLumberjackNegativeValuesAreRefused(t *testing.T) {
	cfg := rotate.FromLumberjack(&lumberjack.Logger{Filename: logPath(t.TempDir()), MaxSize: -1, MaxAge: -2})
	err := cfg.Validate()
	assert.ErrorContains(t, err, "max_size=-1MiB: must not be negative", "size")
	assert.ErrorContains(t, err, "max_age=-48h0m0s: must not be negative", "age")
}

// A service's config keeps its lumberjack block, decoded by lumberjack's
// own tags, in JSON or YAML.
func TestFromLumberjackDecodedConfig(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	docs := map[string]func(*serviceConfig) error{
		"json": func(c *serviceConfig) error {
			return json.Unmarshal(fmt.Appendf(nil, `{"log": {"filename": %q, "maxsize": 1, "maxage": 28,
				"maxbackups": 3, "localtime": false, "compress": true}}`, path), c)
		},
		"yaml": func(c *serviceConfig) error {
			return yaml.Unmarshal(fmt.Appendf(nil, "log:\n  filename: %s\n  maxsize: 1\n  maxage: 28\n  maxbackups: 3\n  localtime: false\n  compress: true\n", path), c)
		},
	}
	for name, decode := range docs {
		t.Run(name, func(t *testing.T) {
			var cfg serviceConfig
			require.NoError(t, decode(&cfg), "decode")
			assert.Equal(t, rotate.Config{Filename: path, MaxSize: 1 << 20, MaxAge: 28 * 24 * time.Hour, MaxBackups: 3,
				Compress: true, Mode: 0o600}, rotate.FromLumberjack(&cfg.Log), "Config")
			assert.NoError(t, rotate.FromLumberjack(&cfg.Log).Validate(), "a lumberjack config is a valid rotate config")
		})
	}
}

type serviceConfig struct {
	Log lumberjack.Logger `json:"log" yaml:"log"`
}

// Issue 24's "done when": lumberjack's numbers through the bridge rotate at
// 1 MiB, keep three compressed backups and remove none for their age.
func TestFromLumberjackRotatesInLumberjacksUnits(t *testing.T) {
	dir := t.TempDir()
	// Close waits for the compressions, slow under -race on a busy machine.
	s, err := rotate.Open(rotate.FromLumberjack(&lumberjack.Logger{
		Filename: logPath(dir), MaxSize: 1, MaxAge: 28, MaxBackups: 3, Compress: true,
	}), logsink.WithCloseTimeout(time.Minute))
	require.NoError(t, err, "open")
	// 18 entries of 256 KiB: four fill a file of 1 MiB exactly, the fifth
	// starts the next, so there are four rotations.
	for i := range 18 {
		entry := fmt.Sprintf("%02d %s\n", i, strings.Repeat("x", 256<<10-4))
		_, err := s.Write([]byte(entry))
		require.NoError(t, err, "write %d", i)
	}
	require.NoError(t, s.Close(), "close")
	assert.Equal(t, uint64(4), s.Stats().Rotations, "a rotation every 1 MiB (lumberjack's megabyte)")

	b := backups(t, dir)
	require.Len(t, b, 3, "max_backups 3 of the 4 backups: %v", logFiles(t, dir))
	for i, name := range b {
		assert.True(t, strings.HasSuffix(name, ".gz"), "backup %s compressed", name)
		data := read(t, filepath.Join(dir, name))
		assert.Len(t, data, 1<<20, "backup %s holds 1 MiB", name)
		assert.True(t, strings.HasPrefix(data, fmt.Sprintf("%02d ", 4*(i+1))), "backup %s holds the entries of rotation %d: max_age 28 days removed none", name, i+2)
	}
	assert.Len(t, lines(t, logPath(dir)), 2, "the file holds the last two entries")
}
