package rotate

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/streamsink/streamsink/logsink"
)

// ReopenOnSignal calls r.Reopen each time the process receives one of sigs,
// SIGHUP if none is given, until stop is called: the usual way to tell a
// service that logrotate has renamed its file. Pass the *logsink.Stream,
// whose Reopen flushes and fsyncs before the file is reopened and reports
// failures through its OnError hook; errors are not returned here.
//
// stop stops listening and waits for the goroutine to exit. It is
// idempotent. Call it before closing the stream.
func ReopenOnSignal(r logsink.Reopener, sigs ...os.Signal) (stop func()) {
	if len(sigs) == 0 {
		sigs = []os.Signal{syscall.SIGHUP}
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-c:
				_ = r.Reopen() // the stream reports it through OnError
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(c)
			close(quit)
			<-done
		})
	}
}
