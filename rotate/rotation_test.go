package rotate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func TestBackupNamesComeFromTheStreamClock(t *testing.T) {
	dir := t.TempDir()
	s, _ := openWithClock(t, rotate.Config{Filename: logPath(dir)}) // 2024-05-01 10:20:30 UTC
	for i := range 3 {
		writeLines(t, s, numbered(fmt.Sprint("generation ", i), 1))
		require.NoError(t, s.Rotate(), "rotate %d", i)
	}
	require.NoError(t, s.Close(), "close")
	assert.Equal(t, []string{
		"app-2024-05-01T10-20-30.000.log",
		"app-2024-05-01T10-20-30.001.log", // the clock stood still: never the same name twice
		"app-2024-05-01T10-20-30.002.log",
	}, backups(t, dir), "backup names")
}

func TestStreamSkipsEmptyBoundaries(t *testing.T) {
	dir := t.TempDir()
	s, clock := openWithClock(t, rotate.Config{Filename: logPath(dir), Every: time.Hour})
	tickers := 2 // the flush ticker and the first rotation timer
	clock.WaitTickers(tickers)
	boundary := func() {
		clock.Add(time.Hour)
		tickers++
		clock.WaitTickers(tickers) // the next rotation is scheduled: this one is done
	}

	for range 3 {
		boundary()
	}
	assert.Empty(t, backups(t, dir), "backups after three idle boundaries")

	writeLines(t, s, numbered("entry", 3))
	boundary()
	require.Len(t, backups(t, dir), 1, "a boundary after entries rotates")

	boundary()
	boundary()
	require.NoError(t, s.Close(), "close")
	b := backups(t, dir)
	require.Len(t, b, 1, "no empty backup at the idle boundaries after a rotation: %v", b)
	assert.Equal(t, numbered("entry", 3), lines(t, filepath.Join(dir, b[0])), "the backup")
	assert.Equal(t, uint64(1), s.Stats().Rotations, "Stats().Rotations")
}

func TestFileRotateWhenAnotherToolReplacedTheFile(t *testing.T) {
	dir := t.TempDir()
	path := logPath(dir)
	afterCalls := 0
	f := newFile(t, rotate.Config{Filename: path, AfterRotate: func(string) { afterCalls++ }})
	_, err := f.Write([]byte("ours\n"))
	require.NoError(t, err, "write")
	require.NoError(t, os.Rename(path, path+".1"), "mv")
	require.NoError(t, os.WriteFile(path, []byte("theirs\n"), 0o600), "create")

	require.NoError(t, f.Rotate(), "rotate")
	_, err = f.Write([]byte("after\n"))
	require.NoError(t, err, "write")
	require.NoError(t, f.Close(), "close")

	assert.Zero(t, afterCalls, "AfterRotate calls: the file at the path was not ours to rename")
	assert.Empty(t, backups(t, dir), "backups")
	assert.Equal(t, "ours\n", read(t, path+".1"), "the moved file")
	assert.Equal(t, "theirs\nafter\n", read(t, path), "the file at the path")
}

// TestRotationHooksMayLogThroughTheirStream logs more from the hooks than
// the buffer holds. It needs the stream to run hooks on a goroutine of
// their own (Binding.Hook); while the core runs them on the flusher, the
// Block case deadlocks, and the bounded wait turns that into a failure.
func TestRotationHooksMayLogThroughTheirStream(t *testing.T) {
	for _, policy := range []logsink.Policy{logsink.Block, logsink.Drop} {
		t.Run(policy.String(), func(t *testing.T) {
			const rotations, perHook = 5, 20
			dir := t.TempDir()
			var logger *zap.Logger
			pad := strings.Repeat("p", 100)
			hooksDone := make(chan struct{}, 2*rotations)
			s, err := rotate.Open(rotate.Config{
				Filename: logPath(dir),
				BeforeRotate: func() {
					for i := range perHook {
						logger.Info("rotation starting", zap.Int("i", i), zap.String("pad", pad))
					}
					hooksDone <- struct{}{}
				},
				AfterRotate: func(backup string) {
					for i := range perHook {
						logger.Info("rotated", zap.String("backup", filepath.Base(backup)), zap.Int("i", i), zap.String("pad", pad))
					}
					hooksDone <- struct{}{}
				},
			}, logsink.WithBufferSize(1<<10), logsink.WithHighWaterMark(256), logsink.WithPolicy(policy))
			require.NoError(t, err, "open")
			logger = zap.New(logsink.NewCore(zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"}), s, zap.InfoLevel))

			done := make(chan error, 1)
			go func() {
				for range rotations {
					logger.Info("entry")
					if err := s.Rotate(); err != nil {
						done <- err
						return
					}
				}
				for range 2 * rotations { // the hooks may still run after Rotate returns
					<-hooksDone
				}
				done <- s.Close()
			}()
			select {
			case err := <-done:
				require.NoError(t, err, "rotations and close")
			case <-time.After(10 * time.Second):
				t.Fatalf("rotation hooks that log through their own stream deadlocked it (%s): "+
					"the stream must run them on its hook goroutine (Binding.Hook)", policy)
			}
			assert.Equal(t, uint64(rotations), s.Stats().Rotations, "rotations")
			if policy == logsink.Block {
				total := 0
				for _, n := range logFiles(t, dir) {
					total += len(lines(t, filepath.Join(dir, n)))
				}
				assert.Equal(t, rotations*(1+2*perHook), total, "every entry, the hooks' included, is in a file")
			}
		})
	}
}

func TestStreamRotateRunsAfterRotateOncePerBackup(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var got []string
	s, err := rotate.Open(rotate.Config{
		Filename: logPath(dir),
		AfterRotate: func(p string) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, filepath.Base(p))
		},
	})
	require.NoError(t, err, "open")
	for i := range 4 {
		writeLines(t, s, numbered(fmt.Sprint("generation ", i), 1))
		require.NoError(t, s.Rotate(), "rotate")
	}
	require.NoError(t, s.Close(), "close")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, backups(t, dir), got, "AfterRotate got every backup, in order, before Close returned")
}
