//go:build linux

package rotate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/rotate"
)

// watchPath stats path in a loop until stop is called, as tail -F and
// health checks do, and counts the stats that found nothing.
func watchPath(path string) (stop func() (stats, misses int64)) {
	var n, missing atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-quit:
				return
			default:
			}
			if _, err := os.Stat(path); err != nil {
				missing.Add(1)
			}
			n.Add(1)
		}
	})
	return func() (int64, int64) {
		close(quit)
		wg.Wait()
		return n.Load(), missing.Load()
	}
}

func TestRotationNeverRemovesThePath(t *testing.T) {
	const rotations = 300
	dir := t.TempDir()
	f := newFile(t, rotate.Config{Filename: logPath(dir), Mode: 0o600})
	stop := watchPath(logPath(dir))
	for i := range rotations {
		_, err := fmt.Fprintf(f, "generation %d\n", i)
		require.NoError(t, err, "write")
		require.NoError(t, f.Rotate(), "rotate %d", i)
	}
	stats, misses := stop()
	require.NoError(t, f.Close(), "close")

	require.NotZero(t, stats, "the watcher ran")
	assert.Zero(t, misses, "stats that found no file at the path, of %d during %d rotations", stats, rotations)
	b := backups(t, dir)
	require.Len(t, b, rotations, "one backup per rotation")
	for i, name := range b {
		assert.Equal(t, fmt.Sprintf("generation %d\n", i), read(t, filepath.Join(dir, name)), "backup %s", name)
	}
	info, err := os.Stat(logPath(dir))
	require.NoError(t, err, "stat")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the new file's mode")
	assert.Equal(t, append(b, "app.log"), logFiles(t, dir), "no temporary file is left")
}

// BenchmarkRotationPathMisses reports how often a watcher that stats the
// path in a loop finds nothing during rotations: with the atomic exchange,
// and with rename then rename, as elsewhere.
func BenchmarkRotationPathMisses(b *testing.B) {
	for _, mode := range []string{"exchange", "rename"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			f, err := rotate.NewFile(rotate.Config{Filename: logPath(dir)})
			require.NoError(b, err, "NewFile")
			if mode == "rename" {
				rotate.RenameWithoutExchange(f)
			}
			stop := watchPath(logPath(dir))
			for b.Loop() {
				if _, err := f.Write([]byte("entry\n")); err != nil {
					b.Fatal(err)
				}
				if err := f.Rotate(); err != nil {
					b.Fatal(err)
				}
			}
			stats, misses := stop()
			b.ReportMetric(float64(misses)/float64(b.N), "misses/rotation")
			b.ReportMetric(float64(misses)/float64(stats), "misses/stat")
			require.NoError(b, f.Close(), "close")
		})
	}
}
