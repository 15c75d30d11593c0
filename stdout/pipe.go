package stdout

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

var brokenPipe struct {
	once sync.Once
	ch   chan os.Signal
}

// SurviveBrokenPipe makes the process survive writing to a broken pipe on
// standard output or standard error: the write fails with EPIPE instead of
// the Go runtime killing the process with SIGPIPE. A stream whose reader
// went away then reports the EPIPE once through OnError and drops and counts
// later entries, and the program runs on.
//
// It does so by calling signal.Notify for SIGPIPE on a buffered channel that
// nothing reads, which changes the whole process, not one stream; see the
// package documentation for exactly what. Calling it again does nothing.
func SurviveBrokenPipe() {
	brokenPipe.once.Do(func() {
		// signal.Notify never blocks sending: with the buffer full and no
		// reader, later SIGPIPEs are discarded, which is all we want.
		brokenPipe.ch = make(chan os.Signal, 1)
		signal.Notify(brokenPipe.ch, syscall.SIGPIPE)
	})
}
