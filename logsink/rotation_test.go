package logsink_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/internal/sinktest"
	"github.com/streamsink/streamsink/logsink"
)

// fakeFile is a rotating destination in memory: a list of files, the last
// one current. It records how many syncs each file saw before rotating.
type fakeFile struct {
	mu        sync.Mutex
	files     []*bytes.Buffer
	syncs     []int
	limit     int64
	every     time.Duration
	partial   int   // if > 0, the next Write takes this many bytes and fails
	rotateErr error // returned by Rotate while set
	reopens   []string
	rotations chan struct{}
}

func newFakeFile(limit int64, every time.Duration) *fakeFile {
	return &fakeFile{
		files:     []*bytes.Buffer{{}},
		syncs:     []int{0},
		limit:     limit,
		every:     every,
		rotations: make(chan struct{}, 100),
	}
}

func (f *fakeFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.partial; n > 0 && n < len(p) {
		f.partial = 0
		f.files[len(f.files)-1].Write(p[:n])
		return n, syscall.EIO
	}
	return f.files[len(f.files)-1].Write(p)
}

func (f *fakeFile) set(limit int64, partial int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit, f.partial = limit, partial
}

func (f *fakeFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs[len(f.syncs)-1]++
	return nil
}

func (f *fakeFile) Rotate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rotateErr != nil {
		return f.rotateErr
	}
	f.files = append(f.files, &bytes.Buffer{})
	f.syncs = append(f.syncs, 0)
	select {
	case f.rotations <- struct{}{}:
	default: // nobody is counting this many
	}
	return nil
}

// Reopen records what the current file held and how often it was synced.
func (f *fakeFile) Reopen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reopens = append(f.reopens, fmt.Sprintf("%q syncs=%d", f.files[len(f.files)-1], f.syncs[len(f.syncs)-1]))
	return nil
}

func (f *fakeFile) SizeLimit() (int64, int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(f.files[len(f.files)-1].Len()), f.limit
}

func (f *fakeFile) NextRotation(now time.Time) time.Time {
	if f.every <= 0 {
		return time.Time{}
	}
	return now.Truncate(f.every).Add(f.every)
}

func (f *fakeFile) contents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.files {
		out = append(out, b.String())
	}
	return out
}

var (
	_ logsink.SizeRotator = (*fakeFile)(nil)
	_ logsink.TimeRotator = (*fakeFile)(nil)
)

func TestSizeRotationBetweenEntries(t *testing.T) {
	const limit = 100
	f := newFakeFile(limit, 0)
	s := logsink.New(f, logsink.WithHighWaterMark(64))

	var want strings.Builder
	for i := range 300 {
		p := fmt.Sprintf("%d:%s\n", i, strings.Repeat("e", i%40))
		if i == 150 {
			p = strings.Repeat("B", 3*limit) + "\n" // larger than a whole file
		}
		want.WriteString(p)
		_, err := s.Write([]byte(p))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())

	files := f.contents()
	require.Greater(t, len(files), 10, "files")
	assert.Equal(t, want.String(), strings.Join(files, ""), "every entry once, in order")
	for i, c := range files {
		if len(c) > limit {
			assert.Equal(t, 1, strings.Count(c, "\n"), "file %d exceeds the limit with more than one entry", i)
		}
		assert.True(t, c == "" || strings.HasSuffix(c, "\n"), "file %d ends inside an entry", i)
	}
	st := s.Stats()
	assert.Equal(t, uint64(len(files)-1), st.Rotations, "Stats.Rotations")
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range len(f.syncs) - 1 {
		assert.Positive(t, f.syncs[i], "file %d synced before rotation", i)
	}
}

func TestRotateOrdersWithData(t *testing.T) {
	f := newFakeFile(0, 0)
	s := logsink.New(f)
	for _, p := range []string{"a\n", "b\n"} {
		_, err := s.Write([]byte(p))
		require.NoError(t, err)
	}
	require.NoError(t, s.Rotate())
	_, err := s.Write([]byte("c\n"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, []string{"a\nb\n", "c\n"}, f.contents())
	assert.Equal(t, uint64(1), s.Stats().Rotations)
}

func TestTimeRotation(t *testing.T) {
	f := newFakeFile(0, time.Hour)
	clk := sinktest.NewMockClock(epoch)
	s := logsink.New(f, logsink.WithClock(clk))
	_, err := s.Write([]byte("before the hour\n"))
	require.NoError(t, err)
	clk.WaitTickers(2) // the flush interval and the rotation timer
	clk.Set(epoch.Add(time.Hour))
	<-f.rotations
	_, err = s.Write([]byte("after the hour\n"))
	require.NoError(t, err)
	clk.WaitTickers(3) // the next rotation is scheduled
	clk.Add(time.Hour)
	<-f.rotations
	require.NoError(t, s.Close())
	assert.Equal(t, []string{"before the hour\n", "after the hour\n", ""}, f.contents())
	assert.Equal(t, uint64(2), s.Stats().Rotations)
}

// After a partial write, the rest of the torn entry goes to the same file,
// even when the file is now past its limit: rotation waits for the next
// entry boundary.
func TestSizeRotationAfterPartialWrite(t *testing.T) {
	f := newFakeFile(100, 0)
	s := logsink.New(f)
	e := func(c byte) []byte { return append(bytes.Repeat([]byte{c}, 29), '\n') }
	_, err := s.Write(e('1'))
	require.NoError(t, err)
	require.NoError(t, s.Flush())

	f.set(100, 10) // the next write takes 10 bytes and fails
	for _, c := range []byte{'2', '3'} {
		_, err := s.Write(e(c))
		require.NoError(t, err)
	}
	require.ErrorIs(t, s.Flush(), syscall.EIO, "the partial write fails")

	f.set(45, 0) // the file (40 bytes) is now nearly full
	require.NoError(t, s.Flush(), "the retry")
	require.NoError(t, s.Close())
	assert.Equal(t, []string{string(e('1')) + string(e('2')), string(e('3'))}, f.contents(),
		"the torn entry is finished in its file; the next entry starts a new one")
}

func TestReopenFlushesAndSyncsFirst(t *testing.T) {
	f := newFakeFile(0, 0)
	s := logsink.New(f)
	_, err := s.Write([]byte("before reopen\n"))
	require.NoError(t, err)
	require.NoError(t, s.Reopen())
	require.NoError(t, s.Close())
	assert.Equal(t, []string{`"before reopen\n" syncs=1`}, f.reopens, "flushed and synced before Reopen")
}

func TestRotateFailure(t *testing.T) {
	f := newFakeFile(0, 0)
	f.rotateErr = syscall.EACCES
	var errs []error
	s := logsink.New(f, logsink.OnError(func(err error) { errs = append(errs, err) }))
	_, err := s.Write([]byte("stays in the old file\n"))
	require.NoError(t, err)
	err = s.Rotate()
	assert.ErrorIs(t, err, syscall.EACCES, "Rotate")
	assert.ErrorContains(t, err, "rotate", "the error says what failed")
	require.NoError(t, s.Close())
	assert.Equal(t, []string{"stays in the old file\n"}, f.contents())
	st := s.Stats()
	assert.Zero(t, st.Rotations, "Rotations")
	assert.Equal(t, uint64(1), st.Errors, "Errors")
	assert.Len(t, errs, 1, "OnError")
}

// String returns every file's contents, oldest first.
func (f *fakeFile) String() string { return strings.Join(f.contents(), "") }
