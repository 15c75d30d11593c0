package logsink

// WaitersOf returns how many writers are queued for room, so that a test
// can start the next writer only once the previous one has queued.
func WaitersOf(s *Stream) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiters)
}
