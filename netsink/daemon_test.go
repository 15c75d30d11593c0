package netsink_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// findCollector finds a real collector's binary for the tests that run
// one: the path in the environment variable env if it is set, else the
// first of names found (on PATH or as given). Without one the test is
// skipped, or fails under CI=true, where CI must provide it; hint says how.
func findCollector(t *testing.T, env string, names []string, hint string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: CI must provide it (%s)", names[0], hint)
	}
	t.Skipf("%s not found; %s (CI=true makes this a failure)", names[0], hint)
	return ""
}

// daemon is a collector process a test started in the foreground.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited
}

// startDaemon starts bin with args, its output appended to the file
// stderrPath.
func startDaemon(t *testing.T, stderrPath, bin string, args ...string) *daemon {
	t.Helper()
	stderr, err := os.OpenFile(stderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err, "open %s", stderrPath)
	defer stderr.Close()
	d := &daemon{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = stderr, stderr
	require.NoError(t, d.cmd.Start(), "start %s", bin)
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	return d
}

// kill kills the process with SIGKILL and waits for it to exit. A nil
// daemon is a no-op.
func (d *daemon) kill() {
	if d == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}

// poll calls cond until it holds, or fails t after waitLimit, describing
// what it waited for and logs(). The collectors are other processes that
// write files: there is no event to wait on.
func poll(t *testing.T, desc string, cond func() bool, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s\n%s", desc, waitLimit, logs())
		}
		time.Sleep(10 * time.Millisecond) // polling another process
	}
}

// signal sends sig to the process, to stop it (SIGSTOP) or let it go on
// (SIGCONT).
func (d *daemon) signal(sig syscall.Signal) {
	_ = d.cmd.Process.Signal(sig)
}
