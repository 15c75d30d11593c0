package httptail

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// A client is one response following the log: its filters, and the stream
// that buffers its entries and writes them to the response.
type client struct {
	query
	stream *logsink.Stream
	out    *response
}

var (
	errFull   = errors.New("too many clients")
	errClosed = errors.New("hub is closed")
)

// join adds a client for out with the filters of q, unless the Hub is
// closed or full. From then on, Write hands it entries.
func (h *Hub) join(out *response, q query) (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.clients.Load()
	switch {
	case cs == &closedList:
		return nil, errClosed
	case len(*cs) >= h.opts.maxClients:
		return nil, errFull
	}
	c := &client{
		query: q,
		out:   out,
		stream: logsink.New(out,
			logsink.WithPolicy(logsink.Drop),
			logsink.WithBufferSize(h.opts.bufferSize),
			// Below the buffer size, so that a busy client is written
			// before its buffer is full: a Drop write that finds no room
			// does not wake the flusher, the high-water mark does.
			logsink.WithHighWaterMark(min(logsink.DefaultHighWaterMark, h.opts.bufferSize/2)),
			logsink.WithFlushInterval(h.opts.flushInterval),
			// A backstop: the write deadlines end every write sooner.
			logsink.WithCloseTimeout(2*h.opts.writeTimeout),
			logsink.WithDropSummary(h.summary),
		),
	}
	next := append(slices.Clone(*cs), c)
	h.clients.Store(&next)
	h.active.Add(1)
	return c, nil
}

// leave removes c from the clients Write hands entries to.
func (h *Hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.clients.Load()
	if cs == &closedList {
		return
	}
	next := slices.DeleteFunc(slices.Clone(*cs), func(x *client) bool { return x == c })
	h.clients.Store(&next)
}

// serveStream follows the log for one client until it goes away, a write
// to it fails, or the Hub closes.
func (h *Hub) serveStream(w http.ResponseWriter, r *http.Request, q query) {
	if err := canStream(w); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := newResponse(w, q.format, h.opts.writeTimeout)
	c, err := h.join(out, q)
	switch {
	case errors.Is(err, errFull):
		w.Header().Set("Retry-After", "10")
		http.Error(w, fmt.Sprintf("httptail: too many clients: %d are following the log, the most allowed; try again later", h.opts.maxClients),
			http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, "httptail: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.active.Done()

	// The headers, and for SSE the preamble; from then on only the
	// stream writes to w, until retire.
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Accel-Buffering", "no") // nginx: pass entries on as they come
	hdr.Add("Vary", "Accept")
	hdr.Set("Content-Type", contentType(q.format))
	var preamble []byte
	if q.format == sse {
		preamble = []byte("retry: 3000\n\n") // EventSource reconnects after 3s
	}
	_ = out.sendHeader(preamble) // a failure closes out.dead

	clean := false
	select {
	case <-r.Context().Done():
	case <-out.dead:
	case <-h.closing:
		clean = true
	}
	h.leave(c)
	if clean {
		out.ending()
	} else {
		out.abort()
	}
	// Under Drop, Close fails only to report what a gone client missed.
	_ = c.stream.Close()
	out.retire()
	if h.onLeave != nil {
		h.onLeave()
	}
}

// canStream checks that w can be flushed and given write deadlines,
// unwrapping middleware the way http.ResponseController does.
func canStream(w http.ResponseWriter) error {
	flush, deadline := false, false
	for rw := w; rw != nil; {
		switch rw.(type) {
		case http.Flusher, interface{ FlushError() error }:
			flush = true
		}
		if _, ok := rw.(interface{ SetWriteDeadline(time.Time) error }); ok {
			deadline = true
		}
		u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		rw = u.Unwrap()
	}
	switch {
	case !flush:
		return errors.New("httptail: the http.ResponseWriter cannot flush, so entries cannot be streamed (a middleware wraps it without an Unwrap method)")
	case !deadline:
		return errors.New("httptail: the http.ResponseWriter cannot set write deadlines, so a stalled client could not be cut off (a middleware wraps it without an Unwrap method)")
	}
	return nil
}
