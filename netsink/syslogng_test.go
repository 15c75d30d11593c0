package netsink_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// These tests run a real syslog-ng on loopback, the second collector
// besides rsyslog, started by the test with its config, pid, persist and
// control files in a temp dir (absolute paths: relative ones resolve under
// /var/lib/syslog-ng). SYSLOG_NG names the binary (.ci/syslog-ng prints a
// wrapper that runs Debian's syslog-ng-core without installing it, as it
// conflicts with rsyslog), else PATH and /usr/sbin are searched. In CI
// (CI=true) a missing syslog-ng fails them; elsewhere they are skipped.
//
// syslog-ng has four tcp sources here, one per way of receiving:
// syslog() parses octet-counted RFC 5424 messages (RFC 6587 framing);
// with flags(no-parse) it takes each octet-counted frame whole as the
// message. network() parses newline-terminated BSD (RFC 3164) lines; with
// flags(no-parse) it takes each line whole. log-msg-size is its default,
// 64KiB: a longer octet-counted frame makes syslog-ng close the connection.

// syslogNGSources are the source names, each on a port of its own.
var syslogNGSources = []string{"syslog", "syslog_noparse", "network", "network_noparse"}

// syslogNGTemplate writes each message as its source, severity, facility,
// host, program, pid and message, tab-separated.
const syslogNGTemplate = `${SOURCE}\t${LEVEL_NUM}\t${FACILITY_NUM}\t${HOST}\t${PROGRAM}\t${PID}\t${MESSAGE}\n`

type syslogNG struct {
	t     *testing.T
	bin   string
	dir   string
	out   string         // the received messages
	ports map[string]int // by source name
	proc  *daemon
}

// syslogNGPath finds syslog-ng ($SYSLOG_NG, else PATH and /usr/sbin), or
// skips the test (fails it under CI=true).
func syslogNGPath(t *testing.T) string {
	t.Helper()
	return findCollector(t, "SYSLOG_NG", []string{"syslog-ng", "/usr/sbin/syslog-ng"},
		"set SYSLOG_NG=$(.ci/syslog-ng) to run the syslog-ng tests; .ci/run does")
}

// startSyslogNG starts syslog-ng with the four sources on free loopback
// ports; it is killed when the test ends.
func startSyslogNG(t *testing.T) *syslogNG {
	t.Helper()
	n := &syslogNG{t: t, bin: syslogNGPath(t), dir: t.TempDir()}
	n.out = filepath.Join(n.dir, "received.log")
	t.Cleanup(n.kill)
	// syslog-ng cannot report a port it picked: take free ones, and try
	// again in the rare case another process took one in between.
	for attempt := 1; ; attempt++ {
		n.ports = map[string]int{}
		for _, src := range syslogNGSources {
			n.ports[src] = freePort(t)
		}
		if n.start() {
			return n
		}
		if attempt == 3 {
			t.Fatalf("syslog-ng did not start:\n%s", n.logs())
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "find a free port")
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start writes the config and starts syslog-ng in the foreground, then
// waits until every source listens. It reports false if syslog-ng exited
// at start.
func (n *syslogNG) start() bool {
	t := n.t
	t.Helper()
	var b strings.Builder
	b.WriteString("@version: 3.38\n")
	b.WriteString("options { keep-hostname(yes); use-dns(no); dns-cache(no); stats-freq(0); log-msg-size(65536); };\n")
	for _, src := range syslogNGSources {
		driver, flags, _ := strings.Cut(src, "_")
		if flags != "" {
			flags = " flags(no-parse)"
		}
		fmt.Fprintf(&b, "source %s { %s(ip(127.0.0.1) port(%d) transport(tcp)%s); };\n", src, driver, n.ports[src], flags)
	}
	b.WriteString(`template t_check { template("` + syslogNGTemplate + `"); };` + "\n") // syslog-ng reads \t and \n
	fmt.Fprintf(&b, "destination d_check { file(%q template(t_check)); };\n", n.out)
	// The same records as JSON lines, one per record whatever the message
	// holds (newlines, NUL), for the log injection tests.
	b.WriteString(`template t_json { template("$(format-json --scope none source=${SOURCE} host=${HOST} program=${PROGRAM} pid=${PID} message=${MESSAGE})\n"); };` + "\n")
	fmt.Fprintf(&b, "destination d_json { file(%q template(t_json)); };\n", n.jsonOut())
	fmt.Fprintf(&b, "log { source(%s); destination(d_check); destination(d_json); };\n", strings.Join(syslogNGSources, "); source("))
	// syslog-ng's own messages, for the failure report.
	fmt.Fprintf(&b, "source s_internal { internal(); };\ndestination d_internal { file(%q); };\n", filepath.Join(n.dir, "internal.log"))
	b.WriteString("log { source(s_internal); destination(d_internal); };\n")
	conf := filepath.Join(n.dir, "syslog-ng.conf")
	require.NoError(t, os.WriteFile(conf, []byte(b.String()), 0o644), "write syslog-ng.conf")

	n.proc = startDaemon(t, filepath.Join(n.dir, "stderr.log"), n.bin, "-F", "--no-caps", "-f", conf,
		"-p", filepath.Join(n.dir, "syslog-ng.pid"),
		"-R", filepath.Join(n.dir, "syslog-ng.persist"),
		"-c", filepath.Join(n.dir, "syslog-ng.ctl"))

	// There is no event to wait on: poll each port, with a bound.
	deadline := time.Now().Add(waitLimit)
	for _, src := range syslogNGSources {
		for {
			select {
			case <-n.proc.exited:
				n.proc = nil
				return false
			default:
			}
			if c, err := net.DialTimeout("tcp", n.addr(src), time.Second); err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("syslog-ng did not listen within %s:\n%s", waitLimit, n.logs())
			}
			time.Sleep(5 * time.Millisecond) // polling an external process
		}
	}
	return true
}

// jsonOut is the file of the records as JSON lines.
func (n *syslogNG) jsonOut() string { return filepath.Join(n.dir, "received.json") }

func (n *syslogNG) addr(src string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.ports[src]))
}

// kill kills syslog-ng with SIGKILL and waits for it to exit.
func (n *syslogNG) kill() {
	n.proc.kill()
	n.proc = nil
}

// restart starts syslog-ng again on the same ports, writing to the same
// file.
func (n *syslogNG) restart() {
	n.t.Helper()
	n.kill()
	if !n.start() {
		n.t.Fatalf("syslog-ng did not start again:\n%s", n.logs())
	}
}

func (n *syslogNG) logs() string {
	var b strings.Builder
	for _, name := range []string{"syslog-ng.conf", "stderr.log", "internal.log"} {
		data, _ := os.ReadFile(filepath.Join(n.dir, name))
		fmt.Fprintf(&b, "--- %s\n%s\n", name, data)
	}
	return b.String()
}

// ngRecord is one message as syslog-ng parsed it.
type ngRecord struct {
	source                      string
	severity, facility          int
	host, program, pid, message string
}

// records reads the messages syslog-ng has written so far; a line being
// written is left out. t is the running (sub)test.
func (n *syslogNG) records(t *testing.T) []ngRecord {
	t.Helper()
	data, err := os.ReadFile(n.out)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err, "read %s", n.out)
	var out []ngRecord
	for _, line := range lines(data) {
		f := strings.SplitN(line, "\t", 7)
		require.Len(t, f, 7, "a whole line from syslog-ng: %q", line)
		sev, err1 := strconv.Atoi(f[1])
		fac, err2 := strconv.Atoi(f[2])
		require.NoError(t, errors.Join(err1, err2), "severity and facility in %q", line)
		out = append(out, ngRecord{source: f[0], severity: sev, facility: fac, host: f[3], program: f[4], pid: f[5], message: f[6]})
	}
	return out
}

// waitRecords polls the output file until cond holds, or fails the
// running (sub)test t after waitLimit.
func (n *syslogNG) waitRecords(t *testing.T, desc string, cond func([]ngRecord) bool) []ngRecord {
	t.Helper()
	var recs []ngRecord
	poll(t, "syslog-ng: "+desc, func() bool {
		recs = n.records(t)
		return cond(recs)
	}, n.logs)
	return recs
}

// ofRun returns the messages of records that hold the run's tag.
func ofRun(run string, recs []ngRecord) []ngRecord {
	var out []ngRecord
	tag := `"run":"` + run + `"`
	for _, rec := range recs {
		if strings.Contains(rec.message, tag) {
			out = append(out, rec)
		}
	}
	return out
}

const syslogNGEntries = 5_000

// TestSyslogNGFramings sends every framing to the source made for it, and
// checks each entry arrives whole, once, in order, and, where syslog-ng
// parses the syslog header, with the header netsink wrote.
func TestSyslogNGFramings(t *testing.T) {
	n := startSyslogNG(t)
	tests := []struct {
		framing netsink.Framing
		source  string
		parsed  bool // syslog-ng parses the syslog header
	}{
		{framing: netsink.RFC5424, source: "syslog", parsed: true},
		{framing: netsink.Octet, source: "syslog_noparse"},
		{framing: netsink.RFC3164, source: "network", parsed: true},
		{framing: netsink.Lines, source: "network_noparse"},
	}
	for _, tt := range tests {
		t.Run(string(tt.framing)+"/"+tt.source, func(t *testing.T) {
			run := rsyslogRun{name: "ng-" + string(tt.framing), framing: tt.framing, levels: allLevels}
			conn, err := netsink.NewConn(netsink.Config{
				Address: n.addr(tt.source), Framing: tt.framing, Facility: "local4",
				Hostname: "web-1", AppName: "api", ProcID: "4242",
			})
			require.NoError(t, err, "NewConn")
			errs := newErrorLog()
			s := logsink.New(conn, logsink.OnError(errs.add))
			run.log(s, 0, syslogNGEntries)
			require.NoError(t, s.Close(), "Close: syslog-ng confirms it read everything")
			assert.Empty(t, errs.all(), "no errors")

			recs := n.waitRecords(t, "every entry", func(recs []ngRecord) bool {
				return len(ofRun(run.name, recs)) >= syslogNGEntries
			})
			recs = ofRun(run.name, recs)
			require.Len(t, recs, syslogNGEntries, "every entry once")
			for i, rec := range recs {
				if !assert.Equal(t, run.encoded(i), rec.message, "message %d whole and in order", i) {
					break
				}
				assert.Equal(t, tt.source, rec.source, "through the source under test")
				if tt.parsed {
					want := ngRecord{source: tt.source, severity: syslogSeverity[run.level(i)], facility: 20,
						host: "web-1", program: "api", pid: "4242", message: rec.message}
					if !assert.Equal(t, want, rec, "header of message %d as syslog-ng parsed it", i) {
						break
					}
				}
			}
			st := conn.Stats()
			assert.Equal(t, uint64(syslogNGEntries), st.Entries, "entries counted")
			assert.Zero(t, st.LostBytes, "nothing at risk")
			assert.Equal(t, uint64(1), st.Connects, "one connection")
		})
	}
}

// TestSyslogNGOctetNeedsNoParse shows the trap the README's table warns
// of: bare octet-counted entries into syslog() without flags(no-parse)
// are parsed as BSD syslog lines, and come out mangled.
func TestSyslogNGOctetNeedsNoParse(t *testing.T) {
	n := startSyslogNG(t)
	s, err := netsink.Open(netsink.Config{Address: n.addr("syslog"), Framing: netsink.Octet})
	require.NoError(t, err, "Open")
	const entry = `{"level":"info","msg":"hello","run":"mangled"}`
	_, err = s.Write([]byte(entry))
	require.NoError(t, err, "Write")
	require.NoError(t, s.Close(), "Close")
	recs := n.waitRecords(t, "the entry", func(recs []ngRecord) bool { return len(recs) > 0 })
	require.Len(t, recs, 1, "one message")
	assert.NotEqual(t, entry, recs[0].message, "the entry is not the message")
	assert.Equal(t, `{"level"`, recs[0].program, "its start became the program name")
}

// bigEntry is an entry of a run larger than syslog-ng's 64KiB limit.
func bigEntry(run string) []byte {
	return fmt.Appendf(nil, `{"level":"info","msg":"big","run":"%s","pad":"%s"}`, run, strings.Repeat("B", 100_000))
}

// ngNumbers returns the entry numbers of a run's messages (rawEntry
// form), and the big entries that arrived.
func ngNumbers(t *testing.T, run string, recs []ngRecord) (numbers []int, big []string) {
	t.Helper()
	var msgs []string
	for _, rec := range ofRun(run, recs) {
		if strings.Contains(rec.message, `"msg":"big"`) {
			big = append(big, rec.message)
		}
		msgs = append(msgs, rec.message)
	}
	return runNumbers(t, run, msgs), big
}

// TestSyslogNGOversize sends an entry larger than syslog-ng's log-msg-size
// among others. By default netsink truncates it to 8096 bytes, which
// syslog-ng accepts: every entry arrives. With no limit, syslog-ng closes the
// connection at the big frame and what was written behind it is lost:
// never silently, the disconnect is reported and the bytes at risk are
// counted.
func TestSyslogNGOversize(t *testing.T) {
	n := startSyslogNG(t)
	const before, after = 200, 2_000

	t.Run("default limit", func(t *testing.T) {
		const run = "oversize-default"
		conn, err := netsink.NewConn(netsink.Config{Address: n.addr("syslog_noparse"), Framing: netsink.Octet})
		require.NoError(t, err, "NewConn")
		errs := newErrorLog()
		s := logsink.New(conn, logsink.OnError(errs.add))
		for i := range before {
			_, _ = s.Write(rawEntry(run, i))
		}
		_, _ = s.Write(bigEntry(run))
		for i := before; i < before+after; i++ {
			_, _ = s.Write(rawEntry(run, i))
		}
		require.NoError(t, s.Close(), "Close")
		var got []int
		var big []string
		n.waitRecords(t, "every entry", func(recs []ngRecord) bool {
			got, big = ngNumbers(t, run, recs)
			return len(got) >= before+after
		})
		assertSeq(t, 0, before+after, got, "every entry, in order")
		require.Len(t, big, 1, "the big entry arrived")
		// The default was 64KiB, syslog-ng's own; it is rsyslog's 8096
		// since issue 25, changed here on purpose.
		assert.Len(t, big[0], int(netsink.DefaultMaxMessageSize), "truncated to the default, 8096 bytes")
		assert.True(t, strings.HasSuffix(big[0], netsink.TruncationMarker), "marked as cut")
		assert.True(t, strings.HasPrefix(string(bigEntry(run)), strings.TrimSuffix(big[0], netsink.TruncationMarker)), "a prefix of the entry")
		st := conn.Stats()
		assert.Equal(t, uint64(1), st.Truncated, "the truncation counted")
		assert.Zero(t, st.Disconnects, "syslog-ng kept the connection")
		assert.Zero(t, st.LostBytes, "nothing at risk")
		assert.Empty(t, errs.all(), "no errors")
	})

	t.Run("no limit", func(t *testing.T) {
		const run = "oversize-nolimit"
		conn, err := netsink.NewConn(netsink.Config{Address: n.addr("syslog_noparse"), Framing: netsink.Octet,
			MaxMessageSize: netsink.NoMessageLimit, ReconnectMin: time.Millisecond, ReconnectMax: 10 * time.Millisecond})
		require.NoError(t, err, "NewConn")
		errs := newErrorLog()
		s := logsink.New(conn, logsink.OnError(errs.add), logsink.WithFlushInterval(confirmTick))
		for i := range before {
			_, _ = s.Write(rawEntry(run, i))
		}
		require.NoError(t, s.Flush(), "Flush")
		n.waitRecords(t, "the entries before", func(recs []ngRecord) bool { return len(ofRun(run, recs)) >= before })
		waitConfirmed(t, conn)

		_, _ = s.Write(bigEntry(run))
		for i := before; i < before+after; i++ {
			_, _ = s.Write(rawEntry(run, i))
		}
		closeErr := s.Close() // an error if the loss is found at Close
		// A marker on a connection of its own, sent once the run's
		// connections are closed: when it arrives, syslog-ng has had all
		// the run's entries that it was going to get.
		marker, err := netsink.Open(netsink.Config{Address: n.addr("syslog_noparse"), Framing: netsink.Octet})
		require.NoError(t, err, "Open the marker stream")
		_, _ = marker.Write([]byte(`{"run":"` + run + `","msg":"marker"}`))
		require.NoError(t, marker.Close(), "Close the marker stream")
		n.waitRecords(t, "the marker", func(recs []ngRecord) bool {
			for _, rec := range ofRun(run, recs) {
				if strings.Contains(rec.message, `"msg":"marker"`) {
					return true
				}
			}
			return false
		})
		got, big := ngNumbers(t, run, n.records(t))
		assert.Empty(t, big, "syslog-ng refused the big entry")

		// Whatever did not arrive is counted as possibly lost.
		arrived := map[int]bool{}
		for _, i := range got {
			arrived[i] = true
		}
		missing := uint64(len(bigEntry(run)))
		for i := range before + after {
			if !arrived[i] {
				missing += uint64(len(rawEntry(run, i)))
			}
		}
		st, cst := s.Stats(), conn.Stats()
		t.Logf("%d of %d entries arrived; %d bytes missing, %d counted as possibly lost in %d entries; close: %v; conn %s",
			len(got), before+after, missing, st.LostBytes, cst.LostEntries, closeErr, cst)
		assert.GreaterOrEqual(t, st.LostBytes, missing, "no silent loss: every missing byte is counted")
		assert.Equal(t, st.LostBytes, cst.LostBytes, "the Conn counts the same")
		assert.Positive(t, cst.LostEntries, "and the entries")
		var reported bool
		for _, err := range errs.all() {
			var ce *netsink.ConnError
			if errors.As(err, &ce) && ce.LostEntries > 0 {
				reported = true
			}
		}
		assert.True(t, reported, "OnError reported a ConnError with the entries at risk: %v", errs.all())
		assert.True(t, cst.Disconnects > 0 || closeErr != nil, "the closed connection was noticed")
	})
}

// TestSyslogNGRestartBlock and TestSyslogNGRestartDrop kill syslog-ng
// (SIGKILL) in the middle of a run and start it again (testRestart).
func TestSyslogNGRestartBlock(t *testing.T) {
	testRestart(t, startSyslogNG(t), netsink.Octet, logsink.Block)
}

func TestSyslogNGRestartDrop(t *testing.T) {
	testRestart(t, startSyslogNG(t), netsink.Lines, logsink.Drop)
}

// The restart tests' view of syslog-ng: each bare framing goes to the
// source that takes it whole.
func (n *syslogNG) addrFor(f netsink.Framing) string {
	if f == netsink.Lines {
		return n.addr("network_noparse")
	}
	return n.addr("syslog_noparse")
}

func (n *syslogNG) messages(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, rec := range n.records(t) {
		out = append(out, rec.message)
	}
	return out
}
