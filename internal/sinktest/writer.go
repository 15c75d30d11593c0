package sinktest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
)

// ErrInjected is the default failure a Writer returns when told to fail.
var ErrInjected = errors.New("sinktest: injected failure")

// Writer is a destination that records what it is given. It can fail,
// write partially, stall until released, and it counts Sync and Close calls.
// It is safe for concurrent use.
type Writer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	writes   int
	syncs    int
	closes   int
	writeErr error
	syncErr  error
	closeErr error
	maxWrite int
	gate     chan struct{}
	entered  chan struct{}
}

// NewWriter returns an empty Writer that accepts everything.
func NewWriter() *Writer {
	return &Writer{entered: make(chan struct{}, 1024)}
}

// Write records p, unless a failure or a stall is set.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	gate := w.gate
	w.mu.Unlock()
	if gate != nil {
		select {
		case w.entered <- struct{}{}:
		default:
		}
		<-gate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.writeErr != nil {
		if w.maxWrite > 0 && w.maxWrite < len(p) {
			n, _ := w.buf.Write(p[:w.maxWrite])
			return n, w.writeErr
		}
		if w.maxWrite == 0 {
			return 0, w.writeErr
		}
	}
	return w.buf.Write(p)
}

// Sync counts the call and returns the error set by FailSync.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.syncs++
	return w.syncErr
}

// Close counts the call and returns the error set by FailClose.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closes++
	return w.closeErr
}

// FailWrites makes every Write fail with err (nil heals the writer). If
// partial > 0, a failing Write first takes up to partial bytes.
func (w *Writer) FailWrites(err error, partial int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeErr, w.maxWrite = err, partial
}

// FailSync makes Sync return err.
func (w *Writer) FailSync(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.syncErr = err
}

// FailClose makes Close return err.
func (w *Writer) FailClose(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeErr = err
}

// Hold makes later Writes wait until Release.
func (w *Writer) Hold() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gate == nil {
		w.gate = make(chan struct{})
	}
}

// Release lets held and later Writes through.
func (w *Writer) Release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gate != nil {
		close(w.gate)
		w.gate = nil
	}
}

// Entered returns a channel that receives once each time a Write starts
// waiting on Hold.
func (w *Writer) Entered() <-chan struct{} { return w.entered }

// String returns everything written so far.
func (w *Writer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Lines returns everything written so far, split after each newline.
func (w *Writer) Lines() []string {
	lines := strings.SplitAfter(w.String(), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Counts returns the number of Write, Sync and Close calls so far.
func (w *Writer) Counts() (writes, syncs, closes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, w.syncs, w.closes
}
