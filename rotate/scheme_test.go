package rotate_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
)

// zapConfig is a JSON logger config writing to outputs, without times.
func zapConfig(outputs ...string) zap.Config {
	return zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "json",
		EncoderConfig:    zapcore.EncoderConfig{MessageKey: "msg", LevelKey: "level", EncodeLevel: zapcore.LowercaseLevelEncoder},
		OutputPaths:      outputs,
		ErrorOutputPaths: []string{"stderr"},
	}
}

func TestSchemeBuildWritesThroughRotation(t *testing.T) {
	const entries = 200
	dir := t.TempDir()
	logger, closeAll, err := logsink.Build(zapConfig("rotate://" + logPath(dir) + "?max_size=4KiB&policy=block&flush_interval=10ms"))
	require.NoError(t, err, "build")
	for i := range entries {
		logger.Info("entry", zap.Int("i", i), zap.String("pad", strings.Repeat("p", 20)))
	}
	require.NoError(t, closeAll(), "close")

	next := 0
	names := logFiles(t, dir)
	require.Greater(t, len(names), 2, "rotations at 4KiB: files %v", names)
	for _, n := range names {
		data := read(t, filepath.Join(dir, n))
		assert.LessOrEqual(t, len(data), 4<<10, "file %s is larger than max_size", n)
		for _, line := range lines(t, filepath.Join(dir, n)) {
			var e struct {
				Msg string `json:"msg"`
				I   int    `json:"i"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &e), "entry %q in %s", line, n)
			assert.Equal(t, next, e.I, "entry order")
			next++
		}
	}
	assert.Equal(t, entries, next, "entries on disk")
}

func TestSchemeRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	logger, closeAll, err := logsink.Build(zapConfig("rotate:logs/app.log?max_backups=2"))
	require.NoError(t, err, "build")
	logger.Info("relative")
	require.NoError(t, closeAll(), "close")
	assert.Equal(t, []string{`{"level":"info","msg":"relative"}`}, lines(t, filepath.Join(dir, "logs", "app.log")), "file contents")
}

func TestSchemeErrorsNameTheParameter(t *testing.T) {
	dir := t.TempDir()
	base := "rotate://" + logPath(dir)
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "bad size", give: base + "?max_size=banana", want: `max_size="banana"`},
		{name: "negative size", give: base + "?buffer_size=-1", want: `buffer_size="-1"`},
		{name: "unknown parameter", give: base + "?max_sizes=1MB", want: `"max_sizes"`},
		{name: "negative duration", give: base + "?every=-1h", want: `every="-1h"`},
		{name: "short every", give: base + "?every=1ms", want: `every=1ms`},
		{name: "bad policy", give: base + "?policy=sometimes", want: `policy="sometimes"`},
		{name: "bad mode", give: base + "?mode=0999", want: `mode="0999"`},
		{name: "bad bool", give: base + "?compress=maybe", want: `compress="maybe"`},
		{name: "repeated", give: base + "?max_size=1MB&max_size=2MB", want: `"max_size" given 2 times`},
		{name: "filename parameter", give: base + "?filename=/tmp/x.log", want: "filename"},
		{name: "no path", give: "rotate://", want: `filename=""`},
		{name: "host", give: "rotate://example.com" + logPath(dir), want: `host "example.com"`},
		{name: "user", give: "rotate://me@" + logPath(dir), want: "user"},
		{name: "fragment", give: base + "#x", want: "fragment"},
		{name: "bad escape in query", give: base + "?max_size=%zz", want: "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := logsink.Build(zapConfig(tt.give))
			assert.ErrorContains(t, err, tt.want, "Build(%s)", tt.give)
		})
	}
}
