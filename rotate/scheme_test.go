package rotate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/conftest"
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

// A relative path is written without //: rotate:app.log, rotate:logs/app.log.
func TestSchemeRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tt := range []struct {
		give string
		want string
	}{
		{"rotate:app.log?max_backups=2", "app.log"},
		{"rotate:logs/app.log", filepath.Join("logs", "app.log")},
	} {
		logger, closeAll, err := logsink.Build(zapConfig(tt.give))
		require.NoError(t, err, "build %s", tt.give)
		logger.Info("relative")
		require.NoError(t, closeAll(), "close")
		assert.Equal(t, []string{`{"level":"info","msg":"relative"}`}, lines(t, filepath.Join(dir, tt.want)), "%s: file contents", tt.give)
	}
}

func TestSchemeErrorsNameTheParameter(t *testing.T) {
	dir := t.TempDir()
	base := "rotate://" + logPath(dir)
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "bad size", give: base + "?max_size=banana", want: `rotate: max_size="banana": invalid size "banana"`},
		{name: "negative size", give: base + "?buffer_size=-1", want: "logsink: buffer_size=-1: must not be negative"},
		{name: "huge buffer", give: base + "?buffer_size=4611686018427387904", want: "logsink: buffer_size=4194304TiB: more than the maximum, 1GiB"},
		{name: "unknown parameter", give: base + "?max_sizes=1MB", want: `rotate: unknown parameter "max_sizes"`},
		{name: "negative duration", give: base + "?every=-1h", want: "rotate: every=-1h0m0s: must not be negative"},
		{name: "short every", give: base + "?every=1ms", want: `rotate: every=1ms: less than the minimum, 1s`},
		{name: "short flush interval", give: base + "?flush_interval=1us", want: "logsink: flush_interval=1µs: less than the minimum, 1ms"},
		{name: "bad policy", give: base + "?policy=sometimes", want: `rotate: policy="sometimes"`},
		{name: "bad mode", give: base + "?mode=0999", want: `rotate: mode="0999": invalid file mode "0999"`},
		{name: "bad bool", give: base + "?compress=maybe", want: `rotate: compress="maybe": not a boolean`},
		{name: "repeated", give: base + "?max_size=1MB&max_size=2MB", want: `rotate: parameter "max_size" given 2 times`},
		{name: "filename parameter", give: base + "?filename=/tmp/x.log", want: `rotate: filename="/tmp/x.log": give it in the URL, not as a parameter`},
		{name: "no path", give: "rotate://", want: `filename="": must not be empty`},
		{name: "relative path after //", give: "rotate://app.log", want: `rotate: host "app.log" not allowed in the URL (want rotate:///absolute/path.log, or rotate:relative/path.log`},
		{name: "dot host", give: "rotate://./app.log", want: `rotate: host "." not allowed`},
		{name: "host", give: "rotate://example.com" + logPath(dir), want: `host "example.com"`},
		{name: "port", give: "rotate://localhost:80" + logPath(dir), want: `host "localhost:80"`},
		{name: "user", give: "rotate://me@" + logPath(dir), want: "rotate: user information not allowed"},
		{name: "fragment", give: base + "#x", want: `rotate: fragment "x" not allowed`},
		{name: "bad escape in query", give: base + "?max_size=%zz", want: `rotate: query "max_size=%zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := logsink.Build(zapConfig(tt.give))
			assert.ErrorContains(t, err, tt.want, "Build(%s)", tt.give)
			_, err = logsink.OpenURL(tt.give)
			assert.ErrorContains(t, err, tt.want, "OpenURL(%s)", tt.give)
		})
	}
}

// A failed open leaves the path free: the same file opens right after.
func TestSchemeFailedOpenCanBeRetried(t *testing.T) {
	dir := t.TempDir()
	base := "rotate://" + logPath(dir)
	for _, bad := range []string{
		"?buffer_size=4611686018427387904", // passed validation and panicked in New, leaving the path in use
		"?flush_interval=1ns",
		"?max_size=banana",
		"?mode=0444",
	} {
		t.Run(bad, func(t *testing.T) {
			conftest.RetryAfterFailedOpen(t, base+bad, base+"?max_size=1MiB")
		})
	}
}

// A config with a bad value creates nothing, not even the file's directory.
func TestSchemeFailedOpenMakesNoDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	_, err := logsink.OpenURL("rotate://" + filepath.Join(dir, "app.log") + "?buffer_size=2GiB")
	require.Error(t, err, "OpenURL")
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "no directory was made")
}

// The streams Build opened from rotate URLs reopen on demand, as logrotate
// needs: after the file is renamed, Reopen starts a new file at the path.
func TestSchemeBuildStreamsReopen(t *testing.T) {
	dir := t.TempDir()
	u := "rotate://" + logPath(dir)
	logger, streams, err := logsink.BuildStreams(zapConfig(u))
	require.NoError(t, err, "BuildStreams")
	logger.Info("before")
	require.NoError(t, logger.Sync(), "Sync")
	require.NoError(t, os.Rename(logPath(dir), logPath(dir)+".1"), "logrotate renames the file")
	require.NoError(t, streams.Reopen(), "Reopen")
	logger.Info("after")
	require.NoError(t, streams.Close(), "Close")

	assert.Equal(t, []string{`{"level":"info","msg":"before"}`}, lines(t, logPath(dir)+".1"), "the renamed file")
	assert.Equal(t, []string{`{"level":"info","msg":"after"}`}, lines(t, logPath(dir)), "a new file at the path")
	assert.Equal(t, uint64(1), streams.Stats()[u].Reopens, "the reopen is counted")
}
