package stdout_test

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/stdout"
)

func TestNewFileStreamLeavesFileOpen(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err, "os.Pipe")
	defer r.Close()

	s := stdout.NewFileStream(w)
	_, err = s.Write([]byte("entry\n"))
	require.NoError(t, err, "Write")
	assert.NoError(t, s.Sync(), "Sync on a pipe")
	assert.NoError(t, s.Close(), "Close")
	assert.True(t, s.Finished(), "the stream finished")

	_, err = w.Write([]byte("after close\n"))
	assert.NoError(t, err, "the file is still open after Close")
	require.NoError(t, w.Close(), "the caller closes its file")
	got, err := io.ReadAll(r)
	require.NoError(t, err, "read the pipe")
	assert.Equal(t, "entry\nafter close\n", string(got), "what reached the pipe")
}

func TestNewFileStreamNil(t *testing.T) {
	s := stdout.NewFileStream(nil)
	n, err := s.Write([]byte("entry\n"))
	assert.NoError(t, err, "Write to a nil file drops, without an error")
	assert.Equal(t, 6, n, "Write reports the whole entry")
	assert.Error(t, s.Sync(), "Sync reports the nil destination")
	assert.Error(t, s.Close(), "Close reports the nil destination")
	assert.Equal(t, uint64(1), s.Stats().Dropped, "the entry was dropped and counted")
}

// swapStd points *std at a pipe while open runs, and returns what the
// stream open made writes there after Close.
func swapStd(t *testing.T, std **os.File, open func(...logsink.Option) (*logsink.Stream, error)) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err, "os.Pipe")
	defer r.Close()
	saved := *std
	*std = w
	s, err := open()
	*std = saved
	require.NoError(t, err, "open")

	_, err = s.Write([]byte("entry\n"))
	require.NoError(t, err, "Write")
	require.NoError(t, s.Close(), "Close")
	require.NoError(t, w.Close(), "close the pipe's write end")
	got, err := io.ReadAll(r)
	require.NoError(t, err, "read the pipe")
	return string(got)
}

func openConfig(cfg stdout.Config) func(...logsink.Option) (*logsink.Stream, error) {
	return func(o ...logsink.Option) (*logsink.Stream, error) { return stdout.Open(cfg, o...) }
}

func TestTargets(t *testing.T) {
	tests := []struct {
		desc string
		std  **os.File
		open func(...logsink.Option) (*logsink.Stream, error)
	}{
		{desc: "New", std: &os.Stdout, open: func(o ...logsink.Option) (*logsink.Stream, error) { return stdout.New(o...), nil }},
		{desc: "NewStderr", std: &os.Stderr, open: func(o ...logsink.Option) (*logsink.Stream, error) { return stdout.NewStderr(o...), nil }},
		{desc: "Open zero", std: &os.Stdout, open: openConfig(stdout.Config{})},
		{desc: "Open stdout", std: &os.Stdout, open: openConfig(stdout.Config{Target: "stdout"})},
		{desc: "Open stderr", std: &os.Stderr, open: openConfig(stdout.Config{Target: "stderr"})},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			assert.Equal(t, "entry\n", swapStd(t, tt.std, tt.open), "the stream writes to the file current at the call")
		})
	}
}
