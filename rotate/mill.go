package rotate

import (
	"sync"
	"time"
)

// A mill runs a File's backup retention and compression on a goroutine of
// its own, so that neither the stream's flusher nor its hooks wait for a
// directory listing or a gzip. Passes are coalesced: a kick during a pass
// asks for one more pass after it. Close stops it, after the passes asked
// for, within a bound. (lumberjack's own mill goroutine is never stopped,
// which is why rotate does this itself.)
type mill struct {
	work func(abort <-chan struct{})
	wake chan struct{} // a pass is due
	quit chan struct{} // closed: run the pass that is due, if any, and exit
	stop chan struct{} // closed: abort the pass in progress
	done chan struct{}
	once sync.Once
}

// startMill starts a goroutine that runs work each time the mill is
// kicked, until it is closed.
func startMill(work func(abort <-chan struct{})) *mill {
	m := &mill{
		work: work,
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go m.run()
	return m
}

func (m *mill) run() {
	defer close(m.done)
	for {
		select {
		case <-m.wake:
			m.work(m.stop)
		case <-m.quit:
			select {
			case <-m.wake:
				m.work(m.stop)
			default:
			}
			return
		}
	}
}

// kick asks for a pass. It never waits; a nil mill ignores it, and so
// does a closed one.
func (m *mill) kick() {
	if m == nil {
		return
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// close lets the mill finish the passes asked for and waits for its
// goroutine at most timeout; then it aborts the pass in progress, which
// stops between files and between chunks of a compression, and returns
// without waiting more. The bound is in wall time, since what it waits
// for is a file system. close reports whether the goroutine had exited. A
// nil mill is closed.
func (m *mill) close(timeout time.Duration) bool {
	if m == nil {
		return true
	}
	m.once.Do(func() { close(m.quit) })
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-m.done:
		return true
	case <-t.C:
		close(m.stop)
		return false
	}
}
