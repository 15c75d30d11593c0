package logsink

// A waiter is a writer queued for room (Block, or WriteKeep). Whoever frees
// room stores the waiting entries into the ring in queue order, so that a
// writer cannot lose the race for room again and again and the entries
// keep the order their Writes were called in. Waiters are reused, so that
// waiting allocates nothing once the stream has run a while.
type waiter struct {
	p      []byte        // the entry; valid while its Write waits
	ready  chan struct{} // capacity 1: a token wakes the writer
	stored bool          // the entry is in the ring: the Write has succeeded
}

func (w *waiter) wake() {
	select {
	case w.ready <- struct{}{}:
	default: // already woken
	}
}

// waitQueue is the queue of waiters, first in line first. Its methods need
// the stream's lock.
type waitQueue struct {
	q    []*waiter
	free []*waiter
}

func (wq *waitQueue) len() int { return len(wq.q) }

// front returns the first waiter in line, or nil.
func (wq *waitQueue) front() *waiter {
	if len(wq.q) == 0 {
		return nil
	}
	return wq.q[0]
}

// add queues a waiter for p at the back.
func (wq *waitQueue) add(p []byte) *waiter {
	var w *waiter
	if k := len(wq.free); k > 0 {
		w, wq.free = wq.free[k-1], wq.free[:k-1]
	} else {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	w.p, w.stored = p, false
	wq.q = append(wq.q, w)
	return w
}

// popFront removes the first waiter, whose entry was stored, and wakes it.
func (wq *waitQueue) popFront() {
	w := wq.q[0]
	wq.q = wq.q[:copy(wq.q, wq.q[1:])]
	w.stored = true
	w.wake()
}

// remove takes w out of the line, if it is still in it.
func (wq *waitQueue) remove(w *waiter) {
	for i, x := range wq.q {
		if x == w {
			wq.q = append(wq.q[:i], wq.q[i+1:]...)
			return
		}
	}
}

// recycle keeps w for reuse, without its entry or a stale wake-up token.
func (wq *waitQueue) recycle(w *waiter) {
	w.p = nil
	select {
	case <-w.ready:
	default:
	}
	wq.free = append(wq.free, w)
}

// wakeAll wakes every waiter, to find the stream ended or failed.
func (wq *waitQueue) wakeAll() {
	for _, w := range wq.q {
		w.wake()
	}
}
