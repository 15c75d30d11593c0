// Package httptail serves a service's log live over HTTP, to `curl -N`, a
// program reading Server-Sent Events, or a browser, without a shell on the
// box: the fourth destination of a Node.js Writable stream, an HTTP
// response. A [Hub] is a zapcore.WriteSyncer that fans each entry out to
// the clients connected at that moment, and an http.Handler:
//
//	hub := httptail.New() // local clients only, until WithAuthorize says otherwise
//	admin.Handle("/debug/logs", hub)
//
//	logger := zap.New(zapcore.NewTee(
//		logsink.NewCore(enc, fileStream, zap.InfoLevel),
//		zapcore.NewCore(enc, hub, zap.DebugLevel),
//	))
//	defer hub.Close() // ends every client's response
//
// Then `curl -N http://localhost:6060/debug/logs?level=warn` prints warnings
// and errors as they are logged, one JSON entry per line, and a browser
// opening the same URL gets a page that shows them live.
//
// # Each client is its own stream
//
// Every client gets a [logsink.Stream] over its http.ResponseWriter, with
// the Drop policy and a buffer of its own ([WithBufferSize], 256 KiB by
// default); the stream flushes the response after each batch, and at least
// every [WithFlushInterval] (100ms). Hub.Write copies the entry into each
// client's buffer and returns: it never waits for a client. A client that
// reads slower than the service logs loses the entries that do not fit,
// counted, and finds one entry where the gap is, at warn level with message
// [DroppedMessage] and fields dropped_entries and dropped_bytes, encoded
// like the service's entries ([WithEncoderConfig]). Warnings and errors are
// dropped for a slow client too: a viewer must never slow the service. The
// service's own log and the other clients lose nothing.
//
// Each batch written to a client has a write deadline ([WithWriteTimeout],
// 10s): a client that stops reading altogether (a stopped terminal, a
// connection whose peer vanished) is cut off when it passes. A client that
// goes away ends its stream at once. Either way the client's goroutine and
// buffers are gone when its request ends. These deadlines replace the
// http.Server's WriteTimeout, meant for responses that end, for a client
// following the log.
//
// With no client connected, Write costs an atomic load (a few nanoseconds)
// and allocates nothing, so a Hub can stay in the logger for good.
//
// # Formats
//
// ?format= chooses, or else the Accept header:
//
//   - ndjson (the default, and what curl's */* gets): each entry as written,
//     one per line (application/x-ndjson), for curl -N and jq.
//   - sse (Accept: text/event-stream): each entry one Server-Sent Event,
//     with one data field per line of the entry.
//   - html (Accept: text/html, what a browser sends): a page, one file with
//     its script and style inline and a Content-Security-Policy that allows
//     nothing else, that follows the sse stream and shows each entry's
//     time, level in colour, message and fields, with pause and resume, a
//     level filter and a text filter. Entries are shown as text, never as
//     markup.
//
// # Filters
//
// Query parameters filter on the server, before an entry takes room in the
// client's buffer:
//
//   - level=warn: entries at that level or above. The level is read from
//     the entry itself, the first "level":"..." member of a JSON entry
//     (under the encoder config's LevelKey) or a console encoder's level
//     field, with the names netsink reads too: zap's (debug, info, warn,
//     error, dpanic, panic, fatal) and syslog's, in any case. An entry
//     whose level cannot be read is never filtered out by level.
//   - contains=text: entries holding text, byte for byte (case sensitive),
//     as written (JSON escapes included).
//
// The page's own level and text filters (the text filter ignores case) work
// on what the server sends it. A bad value is a 400 that names the
// parameter; parameters other than format, level and contains are left to
// the service (a token its Authorize reads, say). The level and format
// values are at most 16 bytes long, contains at most 1 KiB.
//
// # Who can read the log
//
// A log holds tokens, user data and internal addresses, so a Hub is
// private by default:
//
//   - Without [WithAuthorize], only local clients are served: a peer on
//     loopback (127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6) or on a
//     Unix socket, by the connection's own address. X-Forwarded-For and
//     the like are never trusted; a request that carries a proxy's header
//     is refused, as a proxy on the same host would make every client look
//     local. Others get 403 with a message naming WithAuthorize.
//   - Local is not private: any user of the same host, and any proxy or
//     sidecar on it, connects from loopback too. To keep them out, serve
//     the Hub on a Unix socket in a directory only the service's user can
//     enter (examples/httptail-unix), or require a token ([BearerToken]).
//   - WithAuthorize(f) hands the decision to the service: f alone decides,
//     wherever the client connects from. It is the only option that opens
//     the Hub beyond local clients; an f that admits everyone serves the
//     log to anyone who reaches the listener.
//   - Whatever Authorize says, a request whose Host is not an IP address,
//     localhost or a name given to [WithAllowedHosts] gets 403: that is how
//     a web page uses DNS rebinding to read a local port through a
//     developer's browser. A request a browser marks as sent by another
//     site's page (Sec-Fetch-Site, Origin) gets 403 too, unless it is a
//     top-level navigation. No response carries a CORS header, every one
//     carries Cross-Origin-Resource-Policy: same-origin, and the page's
//     CSP has frame-ancestors 'none'.
//   - Query values are bounded (format and level 16 bytes, contains 1 KiB):
//     a longer one is a 400, and no error repeats more than a short,
//     escaped prefix of what the client sent.
//
// Refused with 401 or 403, a request gets the error's text ([WithAuthorize],
// [ErrUnauthenticated]). [WithMaxClients] (8) bounds the clients following
// at once; past it a client gets 503 with a Retry-After. Each client holds
// one buffer of the buffer size (256 KiB by default). docs/httptail.md in
// the repository shows how to mount a Hub behind a service's own login.
//
// # Closing
//
// [Hub.Close] ends every client's response after writing what each has
// buffered (a stalled client within the write timeout), and waits for them;
// later Writes return logsink.ErrClosed and later requests get 503. Close
// the Hub before shutting the http.Server down (Shutdown waits for handlers,
// and a client following the log only ends when the Hub closes or it goes
// away).
package httptail
