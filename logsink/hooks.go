package logsink

import (
	"sync"
	"time"
)

// maxQueuedErrors bounds the errors waiting for OnError: a destination that
// fails faster than the hook returns must not grow the queue without end.
// Errors past the bound are counted in Stats().Errors but not reported.
const maxQueuedErrors = 64

// hooks runs the stream's event hooks on a goroutine of its own, one at a
// time and in the order the events happened. Neither the flusher nor a
// writer ever waits for a hook: they queue the event and go on. So a hook
// may write to and log through its own stream, under either policy and
// however the destination behaves: the flusher keeps working while the hook
// waits for room. Events that pile up while a hook runs are coalesced
// (drops are summed, a drain is reported once), so the queue stays small.
type hooks struct {
	onDrain  func()
	onError  func(error)
	onDrop   func(entries, bytes int)
	onFinish func()
	onClose  func()

	mu     sync.Mutex
	queue  []event
	errors int  // error events in queue
	closed bool // the close event is queued: the goroutine ends after it
	firing bool // the goroutine is running a batch of hooks
	taken  bool // close took over the queue: the goroutine ends at once

	wake     chan struct{} // capacity 1
	done     chan struct{} // closed when the close event has run
	doneOnce sync.Once
}

type eventKind int

const (
	evDrain eventKind = iota
	evError
	evDrop
	evFinish
	evClose
	evFunc // a destination's own hook (Binding.Hook)
)

type event struct {
	kind     eventKind
	err      error
	entries  int
	bytes    int
	function func()
}

// newHooks returns the dispatcher and starts its goroutine, or returns nil
// if there is nothing to dispatch: no hooks, and a destination that cannot
// ask for any.
func newHooks(o *options, destinationHooks bool) *hooks {
	if o.onDrain == nil && o.onError == nil && o.onDrop == nil && o.onFinish == nil && o.onClose == nil && !destinationHooks {
		return nil
	}
	h := &hooks{
		onDrain:  o.onDrain,
		onError:  o.onError,
		onDrop:   o.onDrop,
		onFinish: o.onFinish,
		onClose:  o.onClose,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	go h.run()
	return h
}

func (h *hooks) run() {
	var batch []event
	for range h.wake {
		h.mu.Lock()
		if h.taken {
			h.mu.Unlock()
			return
		}
		batch, h.queue = h.queue, batch[:0]
		h.errors = 0
		h.firing = true
		h.mu.Unlock()
		last := h.fireAll(batch)
		h.mu.Lock()
		h.firing = false
		h.mu.Unlock()
		if last {
			return
		}
	}
}

// fireAll runs the hooks of batch in order and reports whether the close
// event was among them; then done is closed.
func (h *hooks) fireAll(batch []event) (last bool) {
	for i := range batch {
		if h.fire(&batch[i]) {
			h.doneOnce.Do(func() { close(h.done) })
			return true
		}
		batch[i] = event{} // let errors and functions go
	}
	return false
}

// fire calls the hook for e and reports whether it was the last event.
func (h *hooks) fire(e *event) (last bool) {
	switch e.kind {
	case evDrain:
		if h.onDrain != nil {
			h.onDrain()
		}
	case evError:
		if h.onError != nil {
			h.onError(e.err)
		}
	case evDrop:
		if h.onDrop != nil {
			h.onDrop(e.entries, e.bytes)
		}
	case evFinish:
		if h.onFinish != nil {
			h.onFinish()
		}
	case evFunc:
		e.function()
	case evClose:
		if h.onClose != nil {
			h.onClose()
		}
		return true
	}
	return false
}

// post queues e, coalescing it with the event before it where that loses
// nothing a hook is told, and wakes the goroutine.
func (h *hooks) post(e event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if n := len(h.queue); n > 0 {
		last := &h.queue[n-1]
		switch {
		case e.kind == evDrop && last.kind == evDrop:
			last.entries += e.entries
			last.bytes += e.bytes
			return
		case e.kind == evDrain && last.kind == evDrain:
			return
		}
	}
	if e.kind == evError {
		if h.errors >= maxQueuedErrors {
			return
		}
		h.errors++
	}
	if e.kind == evClose {
		h.closed = true
	}
	h.queue = append(h.queue, e)
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hooks) drain() {
	if h != nil && h.onDrain != nil {
		h.post(event{kind: evDrain})
	}
}

func (h *hooks) error(err error) {
	if h != nil && h.onError != nil {
		h.post(event{kind: evError, err: err})
	}
}

func (h *hooks) drop(bytes int) {
	if h != nil && h.onDrop != nil {
		h.post(event{kind: evDrop, entries: 1, bytes: bytes})
	}
}

func (h *hooks) finish() {
	if h != nil && h.onFinish != nil {
		h.post(event{kind: evFinish})
	}
}

// call queues f, a destination's hook; without a dispatcher it runs f now.
func (h *hooks) call(f func()) {
	if h == nil {
		f()
		return
	}
	h.post(event{kind: evFunc, function: f})
}

// close queues the close event, after which the goroutine ends, and waits
// for it until deadline. It reports whether the hooks were all run.
func (h *hooks) close(deadline <-chan time.Time) bool {
	if h == nil {
		return true
	}
	h.post(event{kind: evClose})
	select {
	case <-h.done:
		return true
	case <-deadline:
	}
	// On a busy machine the goroutine may not have been scheduled yet.
	// Unless it is inside a hook that does not return, run what is left
	// here, so that OnClose has run when Close returns.
	h.mu.Lock()
	if h.firing {
		h.mu.Unlock()
		select {
		case <-h.done: // it was finishing
			return true
		default:
			return false
		}
	}
	h.taken = true
	batch := h.queue
	h.queue = nil
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}: // the goroutine ends
	default:
	}
	h.fireAll(batch)
	return true
}
