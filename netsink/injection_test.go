package netsink_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// The log injection tests (issue 25) play an attacker who controls one
// field of a logged request and wants a second record at the collector,
// with a forged host, app name and severity (CWE-117). Each entry goes
// through zap's JSON encoder, slog's text handler and a raw Write, in
// every framing, to the real rsyslog (its default settings, 8096 bytes of
// message) and syslog-ng; every entry must be exactly one record, and no
// record may carry the forged host or app name.

// forgedBSD and forged5424 are the syslog headers the attacker forges.
const (
	forgedHost = "forgedhost"
	forgedApp  = "forgedapp"
	forgedBSD  = "<9>Dec  6 12:00:00 " + forgedHost + " " + forgedApp + "[666]: FORGED"
	forged5424 = "<9>1 2026-12-06T12:00:00Z " + forgedHost + " " + forgedApp + " 666 - - FORGED"
)

// attack is one attacker-controlled field value.
type attack struct {
	name    string
	payload string
}

// attacks returns the field values of a run; tag, in every part that
// could become a record of its own, tells the run's records apart.
func attacks(tag string) []attack {
	// 52 bytes with the tag, then a forged message: rsyslog reading "52 "
	// as an octet count would take the 52 bytes as one message and the
	// forged header as the start of the next.
	count := fmt.Sprintf("x %s ", tag)
	count += strings.Repeat("x", 52-len(count))
	big := func(size int) string {
		// Forged headers over and over, so that wherever a collector cuts
		// the message, what follows holds the tag and a forged header.
		unit := " " + forgedBSD + " " + tag
		return strings.Repeat(unit, size/len(unit)+1)[:size]
	}
	return []attack{
		{"LF", "alice " + tag + "\n" + forgedBSD + " " + tag},
		{"CR", "alice " + tag + "\r" + forgedBSD + " " + tag},
		{"CRLF", "alice " + tag + "\r\n" + forgedBSD + " " + tag},
		{"NUL", "alice " + tag + "\x00" + forgedBSD + " " + tag},
		{"leading 52", "52 " + count + forgedBSD + " " + tag},
		{"RFC 5424 header after a newline", "alice " + tag + "\n" + forged5424 + " " + tag},
		{"8KiB field", big(8 << 10)},
		{"64KiB field", big(64 << 10)},
		{"1MiB field", big(1 << 20)},
	}
}

// injectionWriter writes one entry holding a field value through a stream.
type injectionWriter struct {
	name  string
	write func(s *logsink.Stream, tag, payload string)
}

var injectionWriters = []injectionWriter{
	{"zap", func(s *logsink.Stream, tag, payload string) {
		logger := zap.New(logsink.NewCore(zapcore.NewJSONEncoder(testEncoderConfig), s, zapcore.InfoLevel))
		logger.Info("login "+tag, zap.String("user", payload))
	}},
	{"slog text", func(s *logsink.Stream, tag, payload string) {
		slog.New(logsink.NewSlogHandler(s, &logsink.SlogOptions{Text: true})).Info("login "+tag, "user", payload)
	}},
	{"raw Write", func(s *logsink.Stream, _, payload string) {
		_, _ = s.Write([]byte(payload + "\n")) // the entry starts with the attacker's bytes
	}},
}

// injectionTarget is a collector input a framing is sent to, and its view
// of the records.
type injectionTarget struct {
	collector, input string
	framing          netsink.Framing
	addr             string
	records          func(t *testing.T) []injectionRecord
	logs             func() string // the collector's config and messages, for a failure report
}

// injectionRecord is one record at a collector: the host and app name it
// parsed, and the message (rsyslog: the raw message, header included;
// syslog-ng: $MESSAGE).
type injectionRecord struct{ host, app, raw string }

// text is what the record shows: the app name (where a parsing input may
// have put part of an entry) and the message.
func (r injectionRecord) text() string { return r.app + " " + r.raw }

// forged reports whether the record carries the forged host or app name.
func (r injectionRecord) forged() bool { return r.host == forgedHost || r.app == forgedApp }

// rsyslogTargets are rsyslog's imtcp in every framing (one port takes
// them all).
func rsyslogTargets(r *rsyslogd) []injectionTarget {
	records := func(*testing.T) []injectionRecord {
		var out []injectionRecord
		for _, rec := range r.records() {
			out = append(out, injectionRecord{host: rec.hostname, app: rec.appName, raw: rec.raw})
		}
		return out
	}
	var out []injectionTarget
	for _, f := range []netsink.Framing{netsink.Lines, netsink.Octet, netsink.RFC5424, netsink.RFC3164} {
		out = append(out, injectionTarget{"rsyslog", "imtcp", f, r.tcpAddr(), records, r.logs})
	}
	return out
}

// syslogNGTargets are syslog-ng's sources, each with the framing made for
// it.
func syslogNGTargets(n *syslogNG) []injectionTarget {
	sources := []struct {
		source  string
		framing netsink.Framing
	}{
		{"network_noparse", netsink.Lines}, {"syslog_noparse", netsink.Octet},
		{"syslog", netsink.RFC5424}, {"network", netsink.RFC3164},
	}
	var out []injectionTarget
	for _, s := range sources {
		out = append(out, injectionTarget{"syslog-ng", s.source, s.framing, n.addr(s.source), n.jsonRecords, n.logs})
	}
	return out
}

func TestLogInjection(t *testing.T) {
	r := startRsyslogdDefaults(t)
	n := startSyslogNG(t)
	targets := append(rsyslogTargets(r), syslogNGTargets(n)...)
	// Lines into network(), which parses each line as a BSD syslog
	// message: the input the issue found forged with lines.
	targets = append(targets, injectionTarget{"syslog-ng", "network", netsink.Lines, n.addr("network"), n.jsonRecords, n.logs})

	var matrix strings.Builder
	fmt.Fprintf(&matrix, "\n%-9s %-15s %-8s %7s %7s %6s %9s\n", "collector", "input", "framing", "entries", "records", "forged", "truncated")
	for i, target := range targets {
		name := target.collector + "/" + target.input + "/" + string(target.framing)
		t.Run(name, func(t *testing.T) {
			tag := fmt.Sprintf("run=inj%d", i)
			entries := 0
			conn, recs, err := runThrough(t, target, netsink.Config{Hostname: "web-1", AppName: "api", ProcID: "4242"}, tag,
				func(s *logsink.Stream) {
					for _, w := range injectionWriters {
						for _, a := range attacks(tag) {
							w.write(s, tag, a.payload)
							entries++
						}
					}
				})
			require.NoError(t, err, "Close")
			st := conn.Stats()
			require.Equal(t, uint64(entries), st.Entries, "every entry written")
			forged := 0
			for _, rec := range recs {
				if rec.forged() {
					forged++
					t.Errorf("forged record: host %q app %q: %.200q", rec.host, rec.app, rec.raw)
				}
			}
			fmt.Fprintf(&matrix, "%-9s %-15s %-8s %7d %7d %6d %9d\n", target.collector, target.input, target.framing, entries, len(recs), forged, st.Truncated)
			assert.Len(t, recs, entries, "one record per entry")
			assert.Positive(t, st.Truncated, "the big fields were cut to the default size")
			assert.Equal(t, uint64(len(injectionWriters)*3), st.Truncated, "exactly the three big fields of each writer")
		})
	}
	t.Log(matrix.String())
}

// jsonRecords reads the records syslog-ng has written as JSON lines so far.
func (n *syslogNG) jsonRecords(t *testing.T) []injectionRecord {
	t.Helper()
	data, err := os.ReadFile(n.jsonOut())
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err, "read %s", n.jsonOut())
	var out []injectionRecord
	for _, line := range lines(data) {
		var rec struct {
			Host    string `json:"host"`
			Program string `json:"program"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a JSON record from syslog-ng: %.200q", line)
		out = append(out, injectionRecord{host: rec.Host, app: rec.Program, raw: rec.Message})
	}
	return out
}

// runThrough writes entries to a target through a stream with cfg
// (Address and Framing set from the target) and a 4MiB buffer, closes it,
// and returns the Conn, the records that hold tag, once a marker sent
// after them on a connection of its own has been recorded, and Close's
// error.
func runThrough(t *testing.T, target injectionTarget, cfg netsink.Config, tag string, write func(s *logsink.Stream)) (*netsink.Conn, []injectionRecord, error) {
	t.Helper()
	cfg.Address, cfg.Framing = target.addr, target.framing
	conn, err := netsink.NewConn(cfg)
	require.NoError(t, err, "NewConn")
	s := logsink.New(conn, logsink.WithBufferSize(4<<20))
	write(s)
	closeErr := s.Close()

	marker := "marker " + tag + " end"
	ms, err := netsink.Open(netsink.Config{Address: target.addr, Framing: target.framing})
	require.NoError(t, err, "Open the marker stream")
	_, _ = ms.Write([]byte(marker + "\n"))
	require.NoError(t, ms.Close(), "Close the marker stream")
	var recs []injectionRecord
	poll(t, "the marker "+tag, func() bool {
		recs = nil
		found := false
		for _, rec := range target.records(t) {
			switch {
			case strings.Contains(rec.text(), marker):
				found = true
			case strings.Contains(rec.text(), tag):
				recs = append(recs, rec)
			}
		}
		return found
	}, target.logs)
	return conn, recs, closeErr
}

// TestCollectorLimits measures where each collector's message size limit
// falls, against the real collectors: netsink's MaxMessageSize counts what
// they count (the syslog header, not the octet count or the newline), so a
// message of exactly the limit is recorded whole, and one a byte longer is
// cut (rsyslog, syslog-ng with newline framing: the rest would be a record
// of its own) or costs the connection (syslog-ng, octet counted). rsyslog
// runs with its default limit, 8096 bytes of message, which is netsink's
// default; syslog-ng with its default log-msg-size(), 65536.
func TestCollectorLimits(t *testing.T) {
	r := startRsyslogdDefaults(t)
	n := startSyslogNG(t)
	long := strings.Repeat("a", 100_000)
	for i, target := range append(rsyslogTargets(r), syslogNGTargets(n)...) {
		limit := 8096
		if target.collector == "syslog-ng" {
			limit = 65536
		}
		octet := target.framing == netsink.Octet || target.framing == netsink.RFC5424
		whole := target.collector == "rsyslog" || target.input == "network_noparse" || target.input == "syslog_noparse"
		name := target.collector + "/" + target.input + "/" + string(target.framing)
		atLimit := netsink.MessageSize(limit)
		if target.collector == "rsyslog" {
			// rsyslog's default limit is netsink's default.
			require.Equal(t, atLimit, netsink.DefaultMaxMessageSize, "the default is rsyslog's limit")
			atLimit = 0
		}
		t.Run(name+"/at the limit", func(t *testing.T) {
			tag := fmt.Sprintf("run=at%d", i)
			conn, recs, err := runThrough(t, target, netsink.Config{MaxMessageSize: atLimit}, tag,
				func(s *logsink.Stream) { _, _ = s.Write([]byte(tag + " " + long + "\n")) })
			require.NoError(t, err, "Close")
			require.Len(t, recs, 1, "one record")
			assert.True(t, strings.HasSuffix(recs[0].raw, netsink.TruncationMarker), "whole, with the marker: %q", tail(recs[0].raw))
			if whole {
				assert.Len(t, recs[0].raw, limit, "the whole message, header included")
			}
			assert.Equal(t, uint64(1), conn.Stats().Truncated, "truncation counted")
		})
		t.Run(name+"/one byte past", func(t *testing.T) {
			tag := fmt.Sprintf("run=past%d", i)
			conn, recs, closeErr := runThrough(t, target, netsink.Config{MaxMessageSize: netsink.MessageSize(limit + 1)}, tag,
				func(s *logsink.Stream) { _, _ = s.Write([]byte(tag + " " + long + "\n")) })
			if target.collector == "syslog-ng" && octet {
				assert.Empty(t, recs, "syslog-ng refuses the frame")
				assert.Error(t, closeErr, "and closes the connection: Close cannot confirm delivery")
				assert.Equal(t, uint64(1), conn.Stats().LostEntries, "the entry counted as possibly lost")
				return
			}
			require.NoError(t, closeErr, "Close")
			require.Len(t, recs, 1, "one record holds the tag")
			assert.False(t, strings.HasSuffix(recs[0].raw, netsink.TruncationMarker), "the collector cut the message: %q", tail(recs[0].raw))
			assert.True(t, strings.HasSuffix(recs[0].raw, netsink.TruncationMarker[:len(netsink.TruncationMarker)-1]), "its last byte: %q", tail(recs[0].raw))
			if whole {
				assert.Len(t, recs[0].raw, limit, "cut to the limit")
			}
		})
	}
}

// tail is the end of a long message, for failure messages.
func tail(s string) string { return s[max(0, len(s)-40):] }
