package httptail

import (
	"bytes"
	"sync"
	"sync/atomic"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/level"
	"github.com/streamsink/streamsink/logsink"
)

// A Hub fans each entry written to it out to the HTTP clients following the
// log at that moment. It is an io.Writer and a zapcore.WriteSyncer, where
// one Write is one entry, and an http.Handler that serves the log as
// NDJSON, Server-Sent Events or an HTML page. Each client has its own
// logsink.Stream under the Drop policy, so a slow or stalled client loses
// entries of its own and never slows the writer or the other clients.
//
// Create one with New and mount it where the service wants it. By default
// it serves local clients only (loopback or a Unix socket) and refuses a
// Host that is not an IP address or localhost; WithAuthorize opens it to
// whom the service's own check admits. It is safe for concurrent use.
type Hub struct {
	opts     options
	levelPat []byte              // `"level":"`, from the encoder config's LevelKey; nil for none
	summary  logsink.SummaryFunc // the drop summary of every client's stream
	page     []byte              // the HTML page, with its config filled in

	// clients is the list Write fans out to, replaced whole (never changed
	// in place) when a client joins or leaves, so that Write reads it
	// without a lock. After Close it is &closedList.
	clients atomic.Pointer[[]*client]

	mu      sync.Mutex // serialises joins, leaves and Close
	closing chan struct{}
	active  sync.WaitGroup // clients whose handlers have not finished
	once    sync.Once

	onLeave func() // tests: called when a client has ended
}

var (
	_ zapcore.WriteSyncer = (*Hub)(nil)

	// closedList marks a closed Hub.
	closedList = []*client{}
)

// New returns a Hub with the given options: without WithAuthorize, one that
// serves local clients only. It starts no goroutine: each client's stream
// has its own flusher, stopped when the client ends.
func New(opts ...Option) *Hub {
	h := &Hub{
		opts:    newOptions(opts),
		closing: make(chan struct{}),
	}
	if key := h.opts.encoder.LevelKey; key != "" {
		h.levelPat = level.Pattern(key)
	}
	h.summary = dropSummary(h.opts.encoder)
	h.page = buildPage(h.opts.encoder)
	none := []*client{}
	h.clients.Store(&none)
	return h
}

// Write hands p, one entry, to every client following the log whose
// filters it passes. It never waits for a client: a client whose buffer is
// full drops the entry and counts it. p is copied, never kept. With no
// client connected, Write only checks that there is none. It returns
// len(p), nil, or logsink.ErrClosed after Close.
func (h *Hub) Write(p []byte) (int, error) {
	cs := h.clients.Load()
	if len(*cs) == 0 {
		if cs == &closedList {
			return 0, logsink.ErrClosed
		}
		return len(p), nil
	}
	sev, known, parsed := 0, false, false
	for _, c := range *cs {
		if c.minLevel >= 0 {
			if !parsed {
				sev, known = level.Of(p, h.levelPat)
				parsed = true
			}
			if known && sev > c.minLevel {
				continue
			}
		}
		if len(c.contains) > 0 && !bytes.Contains(p, c.contains) {
			continue
		}
		// Under Drop, Write only fails once the client has ended.
		_, _ = c.stream.Write(p)
	}
	return len(p), nil
}

// Sync returns nil at once. It does not wait for clients: a client is
// flushed by its own stream, within the flush interval, and a viewer must
// never hold up the service (zap syncs before it exits on a fatal entry).
// After Close it returns logsink.ErrClosed.
func (h *Hub) Sync() error {
	if h.clients.Load() == &closedList {
		return logsink.ErrClosed
	}
	return nil
}

// Clients returns the number of clients following the log now.
func (h *Hub) Clients() int {
	cs := h.clients.Load()
	return len(*cs)
}

// Close ends every client's response: each client's stream writes what it
// has buffered (within the write timeout) and the response ends cleanly.
// Later Writes return logsink.ErrClosed and later requests get 503. Close
// waits for every client to end; it is idempotent and returns nil.
func (h *Hub) Close() error {
	h.once.Do(func() {
		h.mu.Lock()
		h.clients.Store(&closedList)
		close(h.closing)
		h.mu.Unlock()
	})
	h.active.Wait()
	return nil
}
