package logsink

import "github.com/streamsink/streamsink/logsink/internal/spill"

// WithSpillFS puts a stream's spill on fsys, such as a spill.SimDisk whose
// power a test cuts.
func WithSpillFS(fsys spill.FS) Option { return withSpillFS(fsys) }

// WaitersOf returns how many writers are queued for room, so that a test
// can start the next writer only once the previous one has queued.
func WaitersOf(s *Stream) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.len()
}

// FlusherDone returns a channel closed when the stream's flusher goroutine
// has returned, so that a test can wait for a flusher that Close gave up on.
func FlusherDone(s *Stream) <-chan struct{} { return s.done }
