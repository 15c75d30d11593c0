package logsink_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
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
	return f.files[len(f.files)-1].Write(p)
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
	f.files = append(f.files, &bytes.Buffer{})
	f.syncs = append(f.syncs, 0)
	f.rotations <- struct{}{}
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
