package httptail

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// A response is the destination of one client's stream: it frames the
// entries the stream hands over in the client's format, writes them to the
// http.ResponseWriter and flushes them, each batch within the write
// timeout. It is written only by the stream's flusher, only after the
// handler has sent the headers, and never after retire.
type response struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	sse     bool
	timeout time.Duration
	ready   chan struct{} // closed once the handler has sent the headers
	dead    chan struct{} // closed when a write fails: the handler ends the client
	once    sync.Once
	buf     []byte // framed entries; flusher only

	use     sync.Mutex // held while the stream writes to w
	retired bool       // w is the handler's again: writes fail without touching it

	mu      sync.Mutex // orders the deadline changes
	aborted bool       // every write fails at once
	endBy   time.Time  // once the client is ending: no deadline later than this
}

var _ logsink.EntryWriter = (*response)(nil)

func newResponse(w http.ResponseWriter, f format, timeout time.Duration) *response {
	return &response{
		w:       w,
		rc:      http.NewResponseController(w),
		sse:     f == sse,
		timeout: timeout,
		ready:   make(chan struct{}),
		dead:    make(chan struct{}),
	}
}

// errAborted is the cause of a write after the client was ended.
var errAborted = errors.New("client ended")

// A clientError reports a failed write to a client. The client is gone, or
// stalled past the write timeout, and its connection cannot be written
// again: like a pipe whose reader left, it unwraps to EPIPE, so that the
// stream stops at once instead of retrying into a dead connection.
type clientError struct{ err error }

func (e *clientError) Error() string   { return "httptail: write to client: " + e.err.Error() }
func (e *clientError) Unwrap() []error { return []error{e.err, syscall.EPIPE} }

// Write writes p as entries separated by newlines.
func (o *response) Write(p []byte) (int, error) { return o.WriteEntries(p, nil) }

// WriteEntries frames the entries of p, which end at ends, writes them and
// flushes them to the client, within the write timeout. Ends that do not
// fit p are a bug in the stream: the batch is refused with ErrBadEnds
// before anything slices p, and the stream counts it as lost.
func (o *response) WriteEntries(p []byte, ends []int) (int, error) {
	if ends != nil {
		if err := logsink.CheckEnds(p, ends); err != nil {
			return 0, err
		}
	}
	<-o.ready
	o.use.Lock()
	defer o.use.Unlock()
	if o.retired {
		return 0, o.fail(errAborted)
	}
	out := o.frame(p, ends)
	if len(out) == 0 {
		return len(p), nil
	}
	if err := o.send(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// send writes b and flushes it, with a write deadline for the two that is
// cleared afterwards, so that an idle client is never cut off (HTTP/2
// resets a stream when its deadline passes, even with nothing to write).
// These deadlines replace the http.Server's WriteTimeout, which is for
// responses that end: a follower lives as long as it reads.
func (o *response) send(b []byte) error {
	if err := o.arm(); err != nil {
		return o.fail(err)
	}
	_, err := o.w.Write(b)
	if err == nil {
		err = o.rc.Flush()
	}
	o.disarm()
	if err != nil {
		return o.fail(err)
	}
	return nil
}

// sendHeader sends the status, the headers and any preamble, and lets the
// stream write.
func (o *response) sendHeader(preamble []byte) error {
	defer close(o.ready)
	o.w.WriteHeader(http.StatusOK)
	if len(preamble) == 0 {
		if err := o.arm(); err != nil {
			return o.fail(err)
		}
		err := o.rc.Flush()
		o.disarm()
		if err != nil {
			return o.fail(err)
		}
		return nil
	}
	return o.send(preamble)
}

func (o *response) arm() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.aborted {
		return errAborted
	}
	deadline := time.Now().Add(o.timeout)
	if !o.endBy.IsZero() && o.endBy.Before(deadline) {
		deadline = o.endBy
	}
	return o.rc.SetWriteDeadline(deadline)
}

// disarm clears the deadline, or once the client is ending puts back the
// one for the end.
func (o *response) disarm() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.aborted {
		_ = o.rc.SetWriteDeadline(o.endBy)
	}
}

// abort makes every write to the client fail at once, the one in progress
// too: the client went away, or stopped taking entries.
func (o *response) abort() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.aborted = true
	_ = o.rc.SetWriteDeadline(time.Unix(1, 0))
}

// ending bounds everything still to be written to the client, the entries
// its stream holds and net/http's end of the body after the handler
// returns, by one write timeout from now.
func (o *response) ending() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.aborted {
		return
	}
	o.endBy = time.Now().Add(o.timeout)
	_ = o.rc.SetWriteDeadline(o.endBy)
}

// retire waits for a write in progress, which its deadline bounds, and
// makes later writes fail without touching the ResponseWriter, which the
// handler may then return.
func (o *response) retire() {
	o.use.Lock()
	defer o.use.Unlock()
	o.retired = true
}

// fail marks the client dead and returns the error the stream gets.
func (o *response) fail(err error) error {
	o.once.Do(func() { close(o.dead) })
	return &clientError{err}
}

// frame returns the entries of p in the client's format. Entries end at
// ends; with no ends, at newlines. NDJSON entries are written as they are,
// with a newline added where one is missing; each SSE event holds one
// entry, a "data:" field per line of it. Entries that hold nothing but a
// line ending are left out.
func (o *response) frame(p []byte, ends []int) []byte {
	if !o.sse && wholeLines(p, ends) {
		return p
	}
	b := o.buf[:0]
	start := 0
	next := func() ([]byte, bool) {
		if len(ends) > 0 {
			e := ends[0]
			ends = ends[1:]
			entry := p[start:e]
			start = e
			return entry, true
		}
		if start >= len(p) {
			return nil, false
		}
		e := len(p)
		if i := bytes.IndexByte(p[start:], '\n'); i >= 0 {
			e = start + i + 1
		}
		entry := p[start:e]
		start = e
		return entry, true
	}
	for {
		entry, ok := next()
		if !ok {
			break
		}
		line := trimLineEnd(entry)
		switch {
		case len(line) == 0:
		case o.sse:
			b = appendEvent(b, line)
		default:
			b = append(b, entry...)
			if len(line) == len(entry) {
				b = append(b, '\n')
			}
		}
	}
	o.buf = b
	return b
}

// wholeLines reports whether p, with entries ending at ends, can go out as
// NDJSON unchanged: the ends cover p, and every entry ends in a newline and
// holds more than that.
func wholeLines(p []byte, ends []int) bool {
	if len(ends) == 0 || ends[len(ends)-1] != len(p) {
		return false
	}
	prev := 0
	for _, e := range ends {
		if p[e-1] != '\n' || len(trimLineEnd(p[prev:e])) == 0 {
			return false
		}
		prev = e
	}
	return true
}

// trimLineEnd cuts one line ending ("\n" or "\r\n") off entry.
func trimLineEnd(entry []byte) []byte {
	entry = bytes.TrimSuffix(entry, []byte("\n"))
	return bytes.TrimSuffix(entry, []byte("\r"))
}

// appendEvent appends an SSE event holding entry: one "data:" field per
// line, split at "\r\n", "\n" or "\r" as SSE itself splits lines, so that
// the event's data is the entry with its lines joined by "\n".
func appendEvent(b, entry []byte) []byte {
	for {
		i := bytes.IndexAny(entry, "\r\n")
		b = append(b, "data: "...)
		if i < 0 {
			b = append(b, entry...)
			b = append(b, '\n')
			break
		}
		b = append(b, entry[:i]...)
		b = append(b, '\n')
		if entry[i] == '\r' && i+1 < len(entry) && entry[i+1] == '\n' {
			i++
		}
		entry = entry[i+1:]
	}
	return append(b, '\n')
}
