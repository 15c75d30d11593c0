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
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// These tests run a real rsyslogd on loopback, started by the test with
// its own config in a temp dir: imtcp and imudp bound to 127.0.0.1, every
// message written by omfile as one line of tab-separated fields. In CI
// (CI=true) a missing rsyslogd fails them; elsewhere they are skipped.
//
// rsyslog's defaults that matter here: imtcp accepts RFC 6587 octet
// counting as well as newline framing on the same port
// (SupportOctetCountedFraming, on by default), and messages longer than
// maxMessageSize (8k by default) are truncated, so the config raises it.

// rsyslogTemplate writes each message as severity, facility, hostname,
// app-name, procid, msg and rawmsg, tab-separated.
const rsyslogTemplate = `%syslogseverity%\t%syslogfacility%\t%hostname%\t%app-name%\t%procid%\t%msg%\t%rawmsg%\n`

type rsyslogd struct {
	t       *testing.T
	bin     string
	dir     string
	conf    string
	out     string // the received messages
	tcpPort int
	udpPort int
	proc    *daemon
	// defaults leaves maxMessageSize at rsyslog's default (8096 bytes of
	// message) instead of raising it to 64k.
	defaults bool
}

// rsyslogdPath finds rsyslogd (NETSINK_RSYSLOGD names it, else PATH and
// /usr/sbin), or skips the test (fails it under CI=true).
func rsyslogdPath(t *testing.T) string {
	t.Helper()
	return findCollector(t, "NETSINK_RSYSLOGD", []string{"rsyslogd", "/usr/sbin/rsyslogd"},
		"install rsyslog to run the collector tests; .ci/run does")
}

// startRsyslogd starts rsyslogd listening on loopback: tcp on a port the
// kernel picks, and udp too if withUDP. It is killed when the test ends.
func startRsyslogd(t *testing.T, withUDP bool) *rsyslogd {
	t.Helper()
	return startRsyslogdWith(t, rsyslogOptions{udp: withUDP})
}

// startRsyslogdDefaults starts rsyslogd on tcp with its default message
// size limit, as a collector nobody configured for netsink.
func startRsyslogdDefaults(t *testing.T) *rsyslogd {
	t.Helper()
	return startRsyslogdWith(t, rsyslogOptions{defaultSize: true})
}

// rsyslogOptions says how to run rsyslogd: with a udp input too, and with
// its default message size limit instead of 64k.
type rsyslogOptions struct{ udp, defaultSize bool }

func startRsyslogdWith(t *testing.T, opts rsyslogOptions) *rsyslogd {
	t.Helper()
	r := &rsyslogd{t: t, bin: rsyslogdPath(t), dir: t.TempDir(), defaults: opts.defaultSize}
	r.out = filepath.Join(r.dir, "received.log")
	if opts.udp {
		// imudp cannot report a port it picked: take a free one.
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err, "find a free udp port")
		r.udpPort = pc.LocalAddr().(*net.UDPAddr).Port
		require.NoError(t, pc.Close(), "free the udp port")
	}
	r.start()
	t.Cleanup(r.kill)
	if opts.udp {
		r.waitUDP()
	}
	return r
}

// start writes the config and starts rsyslogd, then waits until it
// listens on tcp. The first start binds port 0 and reads the port rsyslog
// got from its port file; a restart binds the same port again.
func (r *rsyslogd) start() {
	t := r.t
	t.Helper()
	work := filepath.Join(r.dir, "work")
	require.NoError(t, os.MkdirAll(work, 0o755), "work dir")
	portFile := filepath.Join(r.dir, "tcpport")
	var b strings.Builder
	if r.defaults {
		fmt.Fprintf(&b, "global(workDirectory=%q)\n", work)
	} else {
		fmt.Fprintf(&b, "global(workDirectory=%q maxMessageSize=\"64k\")\n", work)
	}
	b.WriteString("module(load=\"imtcp\")\n")
	fmt.Fprintf(&b, "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\" listenPortFileName=%q ruleset=\"in\")\n", r.tcpPort, portFile)
	if r.udpPort != 0 {
		b.WriteString("module(load=\"imudp\")\n")
		fmt.Fprintf(&b, "input(type=\"imudp\" address=\"127.0.0.1\" port=\"%d\" ruleset=\"in\")\n", r.udpPort)
	}
	b.WriteString(`template(name="check" type="string" string="` + rsyslogTemplate + "\")\n")
	fmt.Fprintf(&b, "ruleset(name=\"in\") { action(type=\"omfile\" file=%q template=\"check\") }\n", r.out)
	// rsyslogd's own messages, for the failure report.
	fmt.Fprintf(&b, "*.* action(type=\"omfile\" file=%q)\n", filepath.Join(r.dir, "rsyslogd.log"))
	r.conf = filepath.Join(r.dir, "rsyslog.conf")
	require.NoError(t, os.WriteFile(r.conf, []byte(b.String()), 0o644), "write rsyslog.conf")

	r.proc = startDaemon(t, filepath.Join(r.dir, "stderr.log"), r.bin, "-n", "-f", r.conf, "-i", filepath.Join(r.dir, "rsyslogd.pid"))

	// Wait until it listens: its port file on the first start, a connection
	// on a restart. There is no event to wait on, so poll, with a bound.
	deadline := time.Now().Add(waitLimit)
	for {
		select {
		case <-r.proc.exited:
			t.Fatalf("rsyslogd exited at start:\n%s", r.logs())
		default:
		}
		if r.tcpPort == 0 {
			if b, err := os.ReadFile(portFile); err == nil {
				if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 {
					r.tcpPort = p
				}
			}
		}
		if r.tcpPort != 0 {
			if c, err := net.DialTimeout("tcp", r.tcpAddr(), time.Second); err == nil {
				_ = c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not listen within %s:\n%s", waitLimit, r.logs())
		}
		time.Sleep(5 * time.Millisecond) // polling an external process
	}
}

func (r *rsyslogd) tcpAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.tcpPort)) }
func (r *rsyslogd) udpAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.udpPort)) }

// kill kills rsyslogd with SIGKILL and waits for it to exit.
func (r *rsyslogd) kill() {
	r.proc.kill()
	r.proc = nil
}

// restart starts rsyslogd again on the same ports, writing to the same file.
func (r *rsyslogd) restart() {
	r.t.Helper()
	r.kill()
	r.start()
}

func (r *rsyslogd) logs() string {
	var b strings.Builder
	for _, name := range []string{"rsyslog.conf", "stderr.log", "rsyslogd.log"} {
		data, _ := os.ReadFile(filepath.Join(r.dir, name))
		fmt.Fprintf(&b, "--- %s\n%s\n", name, data)
	}
	return b.String()
}

// record is one message as rsyslog parsed it.
type record struct {
	severity, facility             int
	hostname, appName, procID, msg string
	raw                            string
}

// records reads the messages rsyslog has written so far; a line being
// written is left out.
func (r *rsyslogd) records() []record {
	r.t.Helper()
	data, err := os.ReadFile(r.out)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(r.t, err, "read %s", r.out)
	var out []record
	for _, line := range lines(data) {
		f := strings.SplitN(line, "\t", 7)
		require.Len(r.t, f, 7, "a whole line from rsyslog: %q", line)
		sev, err1 := strconv.Atoi(f[0])
		fac, err2 := strconv.Atoi(f[1])
		require.NoError(r.t, errors.Join(err1, err2), "severity and facility in %q", line)
		out = append(out, record{severity: sev, facility: fac, hostname: f[2], appName: f[3], procID: f[4],
			msg: strings.TrimPrefix(f[5], " "), raw: f[6]})
	}
	return out
}

// waitRecords polls the output file until cond holds, or fails the test
// after waitLimit.
func (r *rsyslogd) waitRecords(desc string, cond func([]record) bool) []record {
	r.t.Helper()
	var recs []record
	poll(r.t, "rsyslogd: "+desc, func() bool {
		recs = r.records()
		return cond(recs)
	}, r.logs)
	return recs
}

// waitUDP sends probes until one arrives, so that imudp is known to listen.
func (r *rsyslogd) waitUDP() {
	r.t.Helper()
	c, err := net.Dial("udp", r.udpAddr())
	require.NoError(r.t, err, "dial udp")
	defer c.Close()
	r.waitRecords("a udp probe", func(recs []record) bool {
		_, _ = c.Write([]byte("probe"))
		for _, rec := range recs {
			if rec.raw == "probe" {
				return true
			}
		}
		return false
	})
}

// rsyslogRun is one run of numbered zap entries through rsyslog.
type rsyslogRun struct {
	name    string
	framing netsink.Framing
	levels  []zapcore.Level
}

// encoded is what the zap encoder below makes of entry n of a run.
func (run rsyslogRun) encoded(n int) string {
	return fmt.Sprintf(`{"level":"%s","msg":"entry","run":"%s","n":%d,"pad":"%s"}`,
		run.level(n), run.name, n, strings.Repeat("p", 40))
}

func (run rsyslogRun) level(n int) zapcore.Level { return run.levels[n%len(run.levels)] }

// log writes entries from..to-1 through a zap logger on s.
func (run rsyslogRun) log(s *logsink.Stream, from, to int) {
	enc := zapcore.NewJSONEncoder(testEncoderConfig)
	logger := zap.New(logsink.NewCore(enc, s, zapcore.DebugLevel))
	for n := from; n < to; n++ {
		if ce := logger.Check(run.level(n), "entry"); ce != nil {
			ce.Write(zap.String("run", run.name), zap.Int("n", n), zap.String("pad", strings.Repeat("p", 40)))
		}
	}
}

// numberOf returns the entry number in a message of this run, or -1.
func (run rsyslogRun) numberOf(msg string) int {
	prefix := fmt.Sprintf(`"run":"%s","n":`, run.name)
	i := strings.Index(msg, prefix)
	if i < 0 {
		return -1
	}
	rest := msg[i+len(prefix):]
	j := strings.IndexByte(rest, ',')
	if j < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		return -1
	}
	return n
}

// message returns the entry as the collector received it: the syslog MSG
// for the syslog framings, the raw message for the others.
func (run rsyslogRun) message(rec record) string {
	if run.framing == netsink.RFC5424 || run.framing == netsink.RFC3164 {
		return rec.msg
	}
	return rec.raw
}

// ofRun returns the records of this run.
func (run rsyslogRun) ofRun(recs []record) []record {
	var out []record
	tag := `"run":"` + run.name + `"`
	for _, rec := range recs {
		if strings.Contains(rec.raw, tag) {
			out = append(out, rec)
		}
	}
	return out
}

var allLevels = []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel}

// syslogSeverity is the severity netsink gives each zap level.
var syslogSeverity = map[zapcore.Level]int{
	zapcore.DebugLevel: 7, zapcore.InfoLevel: 6, zapcore.WarnLevel: 4, zapcore.ErrorLevel: 3,
}

const rsyslogEntries = 10_000

func TestRsyslogTCP(t *testing.T) {
	r := startRsyslogd(t, false)
	for _, framing := range []netsink.Framing{netsink.Lines, netsink.Octet, netsink.RFC5424, netsink.RFC3164} {
		t.Run(string(framing), func(t *testing.T) {
			run := rsyslogRun{name: "tcp-" + string(framing), framing: framing, levels: allLevels}
			conn, err := netsink.NewConn(netsink.Config{
				Address: r.tcpAddr(), Framing: framing, Facility: "local4",
				Hostname: "web-1", AppName: "api", ProcID: "4242",
			})
			require.NoError(t, err, "NewConn")
			errs := newErrorLog()
			s := logsink.New(conn, logsink.OnError(errs.add))
			run.log(s, 0, rsyslogEntries)
			require.NoError(t, s.Close(), "Close")
			assert.Empty(t, errs.all(), "no errors")

			recs := r.waitRecords("every entry", func(recs []record) bool {
				return len(run.ofRun(recs)) >= rsyslogEntries
			})
			recs = run.ofRun(recs)
			require.Len(t, recs, rsyslogEntries, "every entry once")
			for n, rec := range recs {
				msg := run.message(rec)
				if !assert.Equal(t, run.encoded(n), msg, "message %d whole and in order", n) {
					break
				}
				if framing == netsink.RFC5424 || framing == netsink.RFC3164 {
					want := record{severity: syslogSeverity[run.level(n)], facility: 20, hostname: "web-1", appName: "api", procID: "4242"}
					got := record{severity: rec.severity, facility: rec.facility, hostname: rec.hostname, appName: rec.appName, procID: rec.procID}
					if !assert.Equal(t, want, got, "header of message %d as rsyslog parsed it", n) {
						break
					}
				}
			}
			st := conn.Stats()
			assert.Equal(t, uint64(rsyslogEntries), st.Entries, "entries counted")
			assert.Equal(t, uint64(1), st.Connects, "one connection")
		})
	}
}

func TestRsyslogUDP(t *testing.T) {
	// UDP may lose datagrams (a full socket buffer at rsyslog drops them),
	// so this checks that what arrived is whole and not duplicated, and
	// that something arrived.
	r := startRsyslogd(t, true)
	for _, framing := range []netsink.Framing{netsink.Lines, netsink.RFC5424} {
		t.Run(string(framing), func(t *testing.T) {
			run := rsyslogRun{name: "udp-" + string(framing), framing: framing, levels: allLevels}
			conn, err := netsink.NewConn(netsink.Config{
				Proto: "udp", Address: r.udpAddr(), Framing: framing, Facility: "local4",
				Hostname: "web-1", AppName: "api", ProcID: "4242", MaxMessageSize: 8 << 10,
			})
			require.NoError(t, err, "NewConn")
			s := logsink.New(conn)
			run.log(s, 0, rsyslogEntries)
			require.NoError(t, s.Close(), "Close")

			// The datagrams queue in one socket, in order: once a marker
			// sent after them arrives, every survivor has arrived too.
			marker := "marker-" + run.name
			c, err := net.Dial("udp", r.udpAddr())
			require.NoError(t, err, "dial")
			defer c.Close()
			recs := r.waitRecords("the marker", func(recs []record) bool {
				_, _ = c.Write([]byte(marker))
				for _, rec := range recs {
					if rec.raw == marker {
						return true
					}
				}
				return false
			})
			recs = run.ofRun(recs)
			require.NotEmpty(t, recs, "entries arrived")
			t.Logf("%d of %d datagrams arrived", len(recs), rsyslogEntries)
			seen := map[int]bool{}
			for _, rec := range recs {
				msg := run.message(rec)
				n := run.numberOf(msg)
				if !assert.Equal(t, run.encoded(n), msg, "every message whole") {
					break
				}
				assert.False(t, seen[n], "entry %d arrived once", n)
				seen[n] = true
				if framing == netsink.RFC5424 {
					assert.Equal(t, syslogSeverity[run.level(n)], rec.severity, "severity of %d", n)
				}
			}
			assert.Equal(t, uint64(rsyslogEntries), conn.Stats().Entries, "every datagram sent")
		})
	}
}

// TestRsyslogRestartBlock and TestRsyslogRestartDrop kill rsyslogd
// (SIGKILL) in the middle of a run and start it again (testRestart).
func TestRsyslogRestartBlock(t *testing.T) {
	testRestart(t, startRsyslogd(t, false), netsink.Lines, logsink.Block)
}

func TestRsyslogRestartDrop(t *testing.T) {
	testRestart(t, startRsyslogd(t, false), netsink.Octet, logsink.Drop)
}

// The restart tests' view of rsyslogd.
func (r *rsyslogd) addrFor(netsink.Framing) string { return r.tcpAddr() }

func (r *rsyslogd) messages(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, rec := range r.records() {
		out = append(out, rec.raw)
	}
	return out
}
