// Package netsink ships a logsink.Stream to a log collector (rsyslog,
// syslog-ng, Fluent Bit, Vector, Logstash) over TCP, UDP or a Unix socket,
// one framed message per entry, and dials again when the collector goes
// away. An outage then behaves like a slow disk: the stream buffers, Block
// waits, Drop counts, and no entry is torn.
//
//	s, err := netsink.Open(netsink.Config{
//		Address: "logs.internal:6514",
//		Framing: netsink.RFC5424,
//		TLS:     true,
//	}, logsink.WithPolicy(logsink.Drop))
//	if err != nil {
//		return err
//	}
//	defer s.Close() // flushes, then closes the connection
//	logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(encCfg), s, zap.InfoLevel))
//
// Importing the package also registers the URL scheme "net", so that a
// zap.Config's OutputPaths, logsink.Build and logsink.OpenURL can name a
// collector:
//
//	net://127.0.0.1:5140?proto=tcp&framing=octet&policy=drop
//	net:///dev/log?proto=unixgram&framing=rfc3164
//
// # Framing
//
// A stream hands [Conn] whole entries, several at a time, with the end of
// each ([logsink.EntryWriter]), so one Write call on the stream, one zap
// entry, is one message, whatever bytes it holds. A Conn used on its own
// through its Write method cannot know where entries end: it splits at
// every newline, so there each line is a message. An entry's line ending
// ("\n" or "\r\n", zap's EncoderConfig.LineEnding) is not part of the
// message. Empty entries are skipped. Each entry, without its line ending,
// is framed as [Config.Framing] says:
//
//   - [Lines]: the entry and a newline. For the tcp inputs of Fluent Bit,
//     Vector and Logstash (JSON lines), rsyslog, and syslog-ng's network()
//     source with flags(no-parse) (without it, syslog-ng parses each line
//     as a BSD syslog message and mangles a bare entry).
//   - [Octet]: RFC 6587 octet counting, "LEN SP ENTRY", which survives
//     newlines in messages and lets the receiver drop a frame cut short.
//     rsyslog's imtcp accepts it on the same port as newline framing;
//     syslog-ng's syslog() source needs flags(no-parse) for it.
//   - [RFC5424]: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - ENTRY",
//     octet counted on tcp and unix (RFC 5425 and RFC 6587): rsyslog, and
//     syslog-ng's syslog() source.
//   - [RFC3164]: "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PROCID]: ENTRY", newline
//     terminated on tcp and unix: old relays, rsyslog, syslog-ng's network()
//     source.
//
// # Log injection
//
// An entry is never more than one record at the collector, whatever a
// field an attacker controls holds: a second record could carry a forged
// host, app name and severity (CWE-117, log forging).
//
//   - Lines and RFC3164, on every transport, escape every C0 control
//     character but the tab (NUL to 0x1F: LF, CR, NUL, VT, FF, ESC, ...)
//     as rsyslog writes them, '#' and three octal digits: "#012" for LF,
//     "#015" for CR, "#000" for NUL. The tab, DEL and all other bytes go
//     as they are; '#' is not escaped either, as in rsyslog, so the
//     escaping cannot be undone exactly.
//   - Lines on tcp and unix put a space before an entry that starts with
//     an ASCII digit: rsyslog's imtcp reads a frame that starts with a
//     digit as an octet count ("52 x" takes the next 52 bytes as one
//     message; "2026-12-06 ..." loses the rest of the connection).
//   - Octet and RFC5424 keep every byte, NUL included: the octet count
//     says where the message ends. rsyslog records control characters
//     escaped (#012, #000) anyway; syslog-ng keeps them in $MESSAGE, so a
//     plain-text file destination writes an entry's newline as a line
//     break, unless the source has flags(no-multi-line) (which turns them
//     into spaces) or the template escapes ($(format-json)). These are the
//     framings to choose where the collector takes them.
//   - No message is longer than [Config.MaxMessageSize], which by default
//     fits the smallest common collector limit, so no collector cuts one
//     and reads the rest as a message of its own (see Message size).
//
// What the escaping cannot change: lines and octet send bare entries, and
// an input that parses syslog (rsyslog's imtcp, syslog-ng's network()
// without flags(no-parse)) reads the start of each entry as a syslog
// header. An entry whose first bytes come from outside belongs in rfc5424
// or rfc3164, whose header netsink writes.
//
// On udp and unixgram each entry is one datagram, without a length prefix
// or newline, whatever the framing.
//
// The syslog TIMESTAMP is the time the message is framed, when the stream
// flushes it, not the time it was logged: after an outage it can be late by
// the outage. The entry keeps its own time field. RFC 3164 times are in the
// clock's local time zone, with neither zone nor year: the collector reads
// them in its own zone (a sender on Tokyo time, a collector on UTC: every
// entry 9 hours in the future), so run the sender in UTC or prefer rfc5424.
//
// # Severity
//
// The priority of a syslog message is [Config.Facility] times eight plus
// the severity, which comes from the entry itself: the destination sees
// only bytes, so it scans each entry for its level. In a JSON entry (one
// that starts with '{') it takes the first "level":"..." member, under
// [Config.LevelKey]; zap's JSON encoder writes the level before any field,
// so with a LevelKey set that is the entry's level, and a "level" key in a
// nested object is found only if the entry has none of its own. In other
// entries it looks at the first three tab-separated fields, where zap's
// console encoder puts the level. Names match in any case: debug 7, info 6,
// warn 4, error 3, and dpanic, panic and fatal 2 (critical), as well as the
// syslog names. Entries without a recognisable level get [Config.Severity].
//
// # Delivery
//
// Write hands frames to the kernel, and a write that returns without error
// means the kernel has them, not that the collector does: plain TCP syslog
// has no acknowledgements from the collector (RELP has; these framings do
// not). What can happen to an entry:
//
//   - It is in the stream's buffer while the collector is down: it waits,
//     in order, and goes when a connection is up again. Under Block the
//     buffer filling up makes writers wait; under Drop new entries are
//     dropped and counted (Stats().Dropped, OnDrop).
//   - It is the entry being written when the connection fails (the peer
//     closed or reset it, or a write error): Write reports how many bytes
//     of whole entries it wrote, the stream keeps the rest, and that entry
//     is written again, whole, on the next connection. This is
//     at-least-once for the entry in flight: if part of its frame had
//     reached the collector, the collector saw a fragment at the end of
//     the old connection. Octet-counted frames (octet, rfc5424 on a stream)
//     let the collector discard it; with newline framing (lines, rfc3164) a
//     collector that submits a last line without a newline (rsyslog does)
//     records a truncated copy, followed by the whole entry. Stats().Resent
//     counts these entries.
//   - It was written whole to a connection. The Conn takes it as confirmed once the collector's kernel has acknowledged it
//     (TCP_INFO on Linux: nothing unacknowledged, the receive window open)
//     and confirmAge (a second) has passed with the connection up, since a
//     collector that is up reads what its kernel took within milliseconds;
//     on a unix socket, once the collector has read it (the socket's output
//     queue is empty). If the connection ends otherwise than by Close's
//     confirmation (the collector closes or resets it, found before each
//     write and once per flush interval on an idle connection by Follow; or
//     a write fails), the entries written to it and not confirmed are
//     counted as possibly lost: Stats().LostEntries and LostBytes, the
//     stream's Stats().LostBytes (through logsink.Binding.Lost), and the
//     *ConnError reported through OnError. Under Block on plain TCP (the
//     stream's policy as Config.Policy gives it), the entries of which the
//     collector's kernel had acknowledged not one byte (TCP_INFO's
//     tcpi_bytes_acked) are sent again instead, first, on the next
//     connection, or by Close on a connection of its own: at-least-once, as
//     an acknowledgement may just not have come back (Stats().Resent counts
//     them). Each entry goes again at most once and a frame acknowledged in
//     part never, so that a collector dropping the connection over a frame
//     too large for it is not sent it again and again. Under Drop, and over
//     TLS or unix sockets, nothing is sent again. The loss count is an
//     upper bound in the common case (a collector killed while
//     keeping up loses nothing, yet its last second is counted) and exact
//     on unix sockets; it misses only a collector that took data and sat on
//     it unread for over a second before dying. On systems other than
//     Linux, and for connections from Config.Dial that are not *net.TCPConn
//     or *net.UnixConn (or TLS over one), nothing is confirmed before Close.
//   - The stream is closed: Close confirms delivery as far as TCP allows.
//     It gives the collector 250ms after the last write to refuse what it
//     got (a collector that drops the connection over a frame has read
//     everything, which the end-of-stream exchange alone could not tell
//     from a clean close), then half-closes the connection and waits, until
//     the stream's close timeout, for the collector to close its end, which
//     it does once it has read everything; if the collector had gone,
//     resets the connection or does not answer in time, the unconfirmed
//     entries are counted as possibly lost (under Block the unacknowledged
//     tail goes again first) and Close returns a *ConnError
//     (ErrNotConfirmed for a timeout). A connection from Config.Dial
//     without a CloseWrite method is closed unconfirmed.
//   - The stream is closed while the collector is still down: Close retries
//     for the stream's close timeout (5s by default), then gives up and
//     reports the bytes not written (Stats().LostBytes).
//
// Over udp, datagrams can be lost or reordered without anyone knowing: a
// datagram write succeeds whether a collector listens or not. An entry
// longer than [Config.MaxMessageSize] (65507 bytes by default on udp and
// unixgram, 8096 on tcp and unix) is truncated to it (see Message size) and
// counted in Stats().Truncated; a datagram the kernel
// still refuses as too large (EMSGSIZE, say a unixgram socket with a
// smaller buffer) is dropped and counted as lost (Stats().Oversize and
// LostEntries, the stream's LostBytes), not reported as an error (the
// stream would retry it in vain), and the entries after it go on.
//
// # Message size
//
// Every collector has a message size limit, and none of them handles a
// longer message well: rsyslog cuts it and reads the rest as a new message
// (which a field an attacker controls can fill with a forged syslog
// header), syslog-ng splits a long line the same way and closes the
// connection over a long octet-counted frame, losing what was queued
// behind it. So netsink never sends a message longer than
// [Config.MaxMessageSize]: a longer entry is cut at a UTF-8 boundary and
// ends in [TruncationMarker] ("[truncated]"), and Stats().Truncated counts
// it. The limit counts what the collectors count: the syslog header, the
// escapes and the marker, not the octet count or the newline.
//
// On tcp and unix it defaults to [DefaultMaxMessageSize], 8096 bytes, the
// most rsyslog takes by default (its maxMessageSize; syslog-ng's
// log-msg-size() is 65536, Fluent Bit's tcp Buffer_Size 32KiB). Raise it
// only with the collector's limit: rsyslog's global(maxMessageSize=...)
// (measured: maxMessageSize="64k" takes exactly 65536 bytes),
// syslog-ng's options { log-msg-size(...); }, Fluent Bit's Buffer_Size.
// [NoMessageLimit] (text form 0) sends every entry whole. On udp and
// unixgram the default is 65507, the most a UDP datagram carries; rsyslog
// cuts a longer datagram at its limit and drops the rest, with no second
// record.
//
// A zero MaxMessageSize means the default in Go; in text (JSON, YAML, URLs)
// "0" means no limit, and the default is had by leaving the key out (see
// [MessageSize]).
//
// # Connections
//
// Open and [NewConn] do not dial; the first flush does, with
// [Config.DialTimeout]. When a connection is lost, the next Write (the
// stream's next retry) dials again at once if the connection had delivered
// entries. A failed dial, or a connection that failed before delivering
// anything, makes the following dials wait: [Config.ReconnectMin] after the
// first failure, doubling with each further one up to
// [Config.ReconnectMax], minus a random part of up to half, so that many
// clients of one collector do not all dial at the same moment. A Write
// during the wait returns at once with a [*ConnError] whose cause is
// [ErrNotConnected]; nothing waits inside Write, so the stream's Sync,
// Flush and Close are never held up by a reconnect wait.
//
// The two layers compose: the stream retries a failing Write with its own
// backoff (10ms doubling to 1s), keeping the unwritten entries buffered,
// and a ConnError's RetryAfter tells it to wait at least until the next
// dial is due, so background retries land on the Conn's schedule; only a
// Sync or Flush during the wait meets ErrNotConnected. Every failure, waits
// included, is a ConnError that the
// stream counts in its Stats().Errors and reports through OnError. A
// ConnError does not unwrap to its cause, so a socket's EPIPE is never
// mistaken for a pipe whose reader left for good; read the cause with
// errors.As and ConnError.Err.
//
// Each write to the socket has [Config.WriteTimeout]. A collector that stops
// reading backs up into the socket and then the stream's buffer, where the
// policy decides. A write that times out keeps the connection: if it
// stopped in the middle of a frame, the next Write finishes that frame on
// the same connection before anything else, so the entry is neither torn
// nor repeated. Over TLS a timed-out write leaves the connection unusable
// (crypto/tls), so it counts as lost.
//
// # TLS
//
// With [Config.TLS] (tcp only), the Conn runs a TLS handshake over each
// connection, within the dial timeout, verifying the collector's
// certificate against [Config.CAFile] or the system roots, for
// [Config.ServerName] or else the host in Address; [Config.CertFile] and
// [Config.KeyFile] give a client certificate. Go callers can set
// [Config.TLSConfig] instead.
//
// # Stats
//
// Open returns the stream; to read the connection's counters as well, make
// the [Conn] yourself:
//
//	conn, err := netsink.NewConn(cfg)
//	if err != nil {
//		return err
//	}
//	s := logsink.New(conn, cfg.Options()...)
//	expvar.Publish("collector", expvar.Func(func() any { return conn.Stats() }))
//
// [Stats] gives the state (idle, connected, backoff, closed), the time of
// the next dial, and counts of connects, reconnects, disconnects, dial and
// write errors, entries and bytes written, entries resent, truncated and
// refused as oversize, entries and bytes possibly lost, and the bytes not
// yet confirmed on the current connection. Streams opened through the "net" URL scheme do
// not expose their Conn.
//
// # URLs
//
// The "net" scheme takes the address as the URL's host (net://host:port)
// or, for unix sockets, its path (net:///run/collector.sock, proto unix by
// default); every other [Config] setting, the stream settings included, is a
// query parameter under its JSON name: proto, framing, facility, severity,
// level_key, hostname, app_name, proc_id, msg_id, max_message_size,
// dial_timeout, write_timeout, reconnect_min, reconnect_max, tls, ca_file,
// cert_file, key_file, server_name, insecure_skip_verify, buffer_size,
// high_water_mark, flush_interval, policy, block_timeout, close_timeout and
// keep_timeout.
// A bad or unknown parameter is an error that names it.
//
// # Goroutines
//
// A Conn starts no goroutine: it dials and writes on the goroutine that
// calls Write, the stream's flusher. Close interrupts a dial or write in
// progress; after the stream's Close returns, nothing of this package is
// left running, also when the collector was down and a reconnect pending.
package netsink
