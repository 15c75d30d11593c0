//go:build unix

package stdout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/stdout"
)

// The tests in this file re-execute the test binary as a child process whose
// standard output and standard error are real pipes (or /dev/null). The
// child runs TestHelperProcess, which does what helperEnv names and exits
// without returning to the testing package.
const (
	helperEnv  = "STDOUT_TEST_HELPER"  // scenario: lines, broken, zap
	targetEnv  = "STDOUT_TEST_TARGET"  // stdout or stderr
	surviveEnv = "STDOUT_TEST_SURVIVE" // broken: none, func or config
)

const (
	lineCount  = 2000 // about 200 KB: several flushes, more than a pipe holds
	keptLines  = 10   // broken: entries written before the first flush
	extraLines = 5    // broken: entries written after the pipe broke
	zapLines   = 200
)

// line returns entry i: 100 bytes, newline included.
func line(i int) []byte {
	return fmt.Appendf(nil, "entry %05d %s\n", i, strings.Repeat("x", 100-13))
}

// report is what a child prints, as JSON, on the descriptor it does not log
// to, when it lives to.
type report struct {
	SyncErr  string        `json:"sync_err"`
	CloseErr string        `json:"close_err"`
	AfterErr string        `json:"after_err"` // printing to the descriptor after Close
	OnError  []string      `json:"on_error"`
	Stats    logsink.Stats `json:"stats"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestHelperProcess(t *testing.T) {
	scenario := os.Getenv(helperEnv)
	if scenario == "" {
		return // not a child
	}
	target := os.Getenv(targetEnv)
	out, other := os.Stdout, os.Stderr
	if target == stdout.TargetStderr {
		out, other = os.Stderr, os.Stdout
	}
	var rep report
	var err error
	switch scenario {
	case "lines":
		rep, err = helperLines(target, out)
	case "broken":
		rep, err = helperBroken(target, os.Getenv(surviveEnv), out)
	case "zap":
		rep, err = helperZap(out)
	default:
		err = fmt.Errorf("unknown scenario %q", scenario)
	}
	if err != nil {
		fmt.Fprintln(other, "helper:", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(other).Encode(rep); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

// errorRecorder is an OnError hook that keeps what it is given.
type errorRecorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) option() logsink.Option {
	return logsink.OnError(func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.errs = append(r.errs, err.Error())
	})
}

func (r *errorRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

func newTarget(target string, opts ...logsink.Option) *logsink.Stream {
	if target == stdout.TargetStderr {
		return stdout.NewStderr(opts...)
	}
	return stdout.New(opts...)
}

// helperLines logs lineCount entries, syncs, closes, and prints a line
// straight to the descriptor after Close.
func helperLines(target string, out *os.File) (report, error) {
	var errs errorRecorder
	s := newTarget(target, errs.option())
	for i := range lineCount {
		if _, err := s.Write(line(i)); err != nil {
			return report{}, fmt.Errorf("write %d: %w", i, err)
		}
	}
	rep := report{SyncErr: errString(s.Sync())}
	rep.CloseErr = errString(s.Close())
	_, err := fmt.Fprintln(out, "after close")
	rep.AfterErr = errString(err)
	rep.OnError, rep.Stats = errs.list(), s.Stats()
	return rep, nil
}

// helperBroken waits until the parent has closed the read end of its output
// pipe (it closes our standard input after that), then logs keptLines
// entries, syncs (the first write: EPIPE), logs extraLines more and closes.
// Without an opt-in the Go runtime kills it during the Sync.
func helperBroken(target, survive string, out *os.File) (report, error) {
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return report{}, fmt.Errorf("wait for the parent: %w", err)
	}
	var errs errorRecorder
	// No flush before Sync: the entries are still buffered when it runs.
	opts := []logsink.Option{errs.option(), logsink.WithFlushInterval(time.Hour)}
	var s *logsink.Stream
	switch survive {
	case "none":
		s = newTarget(target, opts...)
	case "func":
		stdout.SurviveBrokenPipe()
		stdout.SurviveBrokenPipe() // a second call changes nothing
		s = newTarget(target, opts...)
	case "config":
		var err error
		s, err = stdout.Open(stdout.Config{Target: target, SurviveBrokenPipe: true}, opts...)
		if err != nil {
			return report{}, err
		}
	default:
		return report{}, fmt.Errorf("unknown %s %q", surviveEnv, survive)
	}
	for i := range keptLines {
		if _, err := s.Write(line(i)); err != nil {
			return report{}, fmt.Errorf("write %d: %w", i, err)
		}
	}
	rep := report{SyncErr: errString(s.Sync())}
	for i := range extraLines {
		if _, err := s.Write(line(keptLines + i)); err != nil {
			return report{}, fmt.Errorf("write %d after the pipe broke: %w", keptLines+i, err)
		}
	}
	rep.CloseErr = errString(s.Close())
	_, err := fmt.Fprintln(out, "after close")
	rep.AfterErr = errString(err)
	rep.OnError, rep.Stats = errs.list(), s.Stats()
	return rep, nil
}

// helperZap builds a zap logger from a zap.Config whose output is a stream
// URL, logs, syncs, closes, and prints after the close.
func helperZap(out *os.File) (report, error) {
	cfg := zap.NewProductionConfig()
	cfg.Sampling = nil
	cfg.OutputPaths = []string{"stream:stdout?policy=drop&buffer_size=256KiB&flush_interval=50ms"}
	cfg.ErrorOutputPaths = []string{"stderr"}
	logger, closeAll, err := logsink.Build(cfg)
	if err != nil {
		return report{}, err
	}
	for i := range zapLines {
		logger.Info("request", zap.Int("i", i))
	}
	logger.Warn("done", zap.Int("n", zapLines))
	rep := report{SyncErr: errString(logger.Sync())}
	rep.CloseErr = errString(closeAll())
	_, err = fmt.Fprintln(out, "after close")
	rep.AfterErr = errString(err)
	return rep, nil
}

// helperCmd returns a command that runs TestHelperProcess in a child.
func helperCmd(t *testing.T, scenario, target, survive string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario, targetEnv+"="+target, surviveEnv+"="+survive,
		// Under -race the child would otherwise sleep 1s at exit, waiting
		// for late race reports; its goroutines are done by then.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// runPiped runs the child with its target descriptor on a pipe that the
// parent reads to the end, and its other descriptor in a buffer. It returns
// what came through the pipe, the other output and Wait's error.
func runPiped(t *testing.T, cmd *exec.Cmd, target string) (piped, other []byte, waitErr error) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err, "os.Pipe")
	defer r.Close()
	var buf bytes.Buffer
	if target == stdout.TargetStderr {
		cmd.Stdout, cmd.Stderr = &buf, w
	} else {
		cmd.Stdout, cmd.Stderr = w, &buf
	}
	err = cmd.Start()
	w.Close() // the child holds the only write end now
	require.NoError(t, err, "start the child")
	piped, err = io.ReadAll(r)
	require.NoError(t, err, "read the child's %s", target)
	waitErr = cmd.Wait() // before reading buf: Wait finishes copying into it
	return piped, buf.Bytes(), waitErr
}

func parseReport(t *testing.T, other []byte) report {
	t.Helper()
	var rep report
	require.NoError(t, json.Unmarshal(other, &rep), "the child's report: %q", other)
	return rep
}

func TestChildEntriesThroughPipe(t *testing.T) {
	for _, target := range []string{stdout.TargetStdout, stdout.TargetStderr} {
		t.Run(target, func(t *testing.T) {
			piped, other, err := runPiped(t, helperCmd(t, "lines", target, ""), target)
			require.NoError(t, err, "the child exits 0; its other output: %s", other)

			lines := strings.SplitAfter(string(piped), "\n")
			require.Len(t, lines, lineCount+2, "every entry, the line printed after Close, and the empty rest")
			for i := range lineCount {
				if !assert.Equal(t, string(line(i)), lines[i], "entry %d arrives whole and in order", i) {
					break
				}
			}
			assert.Equal(t, "after close\n", lines[lineCount], "the child prints to its %s after Close", target)

			rep := parseReport(t, other)
			assert.Empty(t, rep.SyncErr, "Sync on a pipe returns nil")
			assert.Empty(t, rep.CloseErr, "Close returns nil")
			assert.Empty(t, rep.AfterErr, "printing after Close succeeds: the descriptor is open")
			assert.Empty(t, rep.OnError, "no destination errors")
			assert.Equal(t, uint64(lineCount), rep.Stats.Entries, "entries accepted")
			assert.Zero(t, rep.Stats.Dropped, "entries dropped")
			assert.Zero(t, rep.Stats.Errors, "destination errors")
		})
	}
}

func TestChildDevNull(t *testing.T) {
	cmd := helperCmd(t, "lines", stdout.TargetStdout, "")
	var other bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &other // nil: the child's stdout is /dev/null
	require.NoError(t, cmd.Run(), "the child exits 0; its stderr: %s", other.Bytes())

	rep := parseReport(t, other.Bytes())
	assert.Empty(t, rep.SyncErr, "Sync with stdout on /dev/null returns nil")
	assert.Empty(t, rep.CloseErr, "Close returns nil")
	assert.Empty(t, rep.AfterErr, "printing after Close succeeds")
	assert.Equal(t, uint64(lineCount), rep.Stats.Entries, "entries accepted")
	assert.Zero(t, rep.Stats.Errors, "destination errors")
}

// runBroken runs the broken-pipe child with the read end of its target
// descriptor closed before it writes.
func runBroken(t *testing.T, target, survive string) (other []byte, waitErr error) {
	t.Helper()
	cmd := helperCmd(t, "broken", target, survive)
	r, w, err := os.Pipe()
	require.NoError(t, err, "os.Pipe for the output")
	in, release, err := os.Pipe()
	require.NoError(t, err, "os.Pipe for the go-ahead")
	defer release.Close()
	var buf bytes.Buffer
	cmd.Stdin = in
	if target == stdout.TargetStderr {
		cmd.Stdout, cmd.Stderr = &buf, w
	} else {
		cmd.Stdout, cmd.Stderr = w, &buf
	}
	err = cmd.Start()
	w.Close()
	in.Close()
	require.NoError(t, err, "start the child")
	require.NoError(t, r.Close(), "close the read end: nobody reads the child's %s now", target)
	require.NoError(t, release.Close(), "let the child write")
	waitErr = cmd.Wait() // before reading buf: Wait finishes copying into it
	return buf.Bytes(), waitErr
}

func TestChildBrokenPipeKilled(t *testing.T) {
	// Go's behaviour, unchanged by the stream: a write to a broken pipe on
	// descriptor 1 or 2 makes the runtime kill the process with SIGPIPE.
	for _, target := range []string{stdout.TargetStdout, stdout.TargetStderr} {
		t.Run(target, func(t *testing.T) {
			other, err := runBroken(t, target, "none")
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr, "the child does not exit normally; its other output: %s", other)
			status, ok := exitErr.Sys().(syscall.WaitStatus)
			require.True(t, ok, "a unix wait status")
			assert.True(t, status.Signaled(), "the child was killed by a signal: %v", status)
			assert.Equal(t, syscall.SIGPIPE, status.Signal(), "the signal is SIGPIPE")
			assert.Empty(t, other, "the child reported nothing: it died in the first Sync")
		})
	}
}

func TestChildBrokenPipeSurvives(t *testing.T) {
	tests := []struct {
		target  string
		survive string // how the child opts in
	}{
		{target: stdout.TargetStdout, survive: "func"},
		{target: stdout.TargetStderr, survive: "func"},
		{target: stdout.TargetStdout, survive: "config"},
		{target: stdout.TargetStderr, survive: "config"},
	}
	for _, tt := range tests {
		t.Run(tt.target+"/"+tt.survive, func(t *testing.T) {
			other, err := runBroken(t, tt.target, tt.survive)
			require.NoError(t, err, "the child survives and exits 0; its other output: %s", other)

			rep := parseReport(t, other)
			lineLen := uint64(len(line(0)))
			if assert.Len(t, rep.OnError, 1, "OnError fires exactly once") {
				assert.Contains(t, rep.OnError[0], syscall.EPIPE.Error(), "OnError reports EPIPE")
			}
			assert.Contains(t, rep.SyncErr, syscall.EPIPE.Error(), "Sync returns the EPIPE")
			assert.Contains(t, rep.CloseErr, syscall.EPIPE.Error(), "Close reports the EPIPE")
			assert.Contains(t, rep.AfterErr, syscall.EPIPE.Error(), "a plain print to the broken %s returns EPIPE too", tt.target)
			assert.Equal(t, logsink.Stats{
				Entries:      keptLines,
				Bytes:        keptLines * lineLen,
				Dropped:      extraLines,
				DroppedBytes: extraLines * lineLen,
				LostBytes:    keptLines * lineLen,
				Errors:       1,
			}, rep.Stats, "buffered bytes are lost, later entries dropped, one error")
		})
	}
}

func TestChildZapURL(t *testing.T) {
	piped, other, err := runPiped(t, helperCmd(t, "zap", stdout.TargetStdout, ""), stdout.TargetStdout)
	require.NoError(t, err, "the child exits 0; its stderr: %s", other)
	rep := parseReport(t, other)
	assert.Empty(t, rep.SyncErr, "logger.Sync on a pipe returns nil")
	assert.Empty(t, rep.CloseErr, "the close function returns nil")
	assert.Empty(t, rep.AfterErr, "printing after the close succeeds")

	lines := strings.Split(strings.TrimSuffix(string(piped), "\n"), "\n")
	require.Len(t, lines, zapLines+2, "every entry and the line printed after the close: %q", piped)
	type entry struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		I     *int   `json:"i"`
	}
	for i := range zapLines {
		var e entry
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &e), "line %d is JSON: %q", i, lines[i])
		if !assert.Equal(t, "request", e.Msg, "line %d message", i) || !assert.NotNil(t, e.I, "line %d has i", i) {
			break
		}
		if !assert.Equal(t, i, *e.I, "entries arrive in order") {
			break
		}
	}
	var last entry
	require.NoError(t, json.Unmarshal([]byte(lines[zapLines]), &last), "the warning is JSON")
	assert.Equal(t, entry{Level: "warn", Msg: "done"}, last, "the warning comes last")
	assert.Equal(t, "after close", lines[zapLines+1], "the child prints to stdout after the close")
}
