package httptail_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/httptail"
)

// nobody is the user another process on the host runs as in this test.
const nobody = 65534

// peerEnv tells the helper process where to connect: "unix /path" or
// "tcp host:port"; peerTokenEnv, a bearer token to send.
const (
	peerEnv      = "HTTPTAIL_TEST_PEER"
	peerTokenEnv = "HTTPTAIL_TEST_PEER_TOKEN"
)

// TestHelperPeer is not a test: it is the process that the tests below
// start as another user. It connects, asks for the log and prints what
// happened.
func TestHelperPeer(t *testing.T) {
	network, addr, ok := strings.Cut(os.Getenv(peerEnv), " ")
	if !ok {
		t.Skip("a helper process, run by the tests of other users on the host")
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		fmt.Printf("peer: dial: %v\n", err)
		return
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /debug/logs HTTP/1.1\r\nHost: localhost\r\n")
	if token := os.Getenv(peerTokenEnv); token != "" {
		fmt.Fprintf(conn, "Authorization: Bearer %s\r\n", token)
	}
	fmt.Fprint(conn, "\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		fmt.Printf("peer: response: %v\n", err)
		return
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	fmt.Printf("peer: %s %s\n", resp.Status, strings.TrimSpace(line))
}

// secretEntry is what the service logs in these tests.
const secretEntry = `{"level":"info","msg":"request served","secret_token":"s3cret"}`

// needRoot skips a test that starts a process as another user when not
// root, and fails it under CI=true.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test starts a process as another user, which needs root; CI runs as root")
		}
		t.Skip("needs root to start a process as another user; under CI=true this fails")
	}
}

// logSecrets writes secretEntry to hub every few milliseconds (the load's
// shape, not a synchronisation) until the test ends.
func logSecrets(t *testing.T, hub *httptail.Hub) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			hub.Write([]byte(secretEntry + "\n"))
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
}

// peerRunner returns a function that runs TestHelperPeer as user uid,
// connecting to where, with token if not empty, and returns its output.
func peerRunner(t *testing.T) func(uid uint32, where, token string) string {
	t.Helper()
	// The test binary, where the other user can run it (go test's own
	// build directory is private to this user).
	binDir, err := os.MkdirTemp("", "httptail-peer")
	require.NoError(t, err, "directory for the helper binary")
	t.Cleanup(func() { os.RemoveAll(binDir) })
	require.NoError(t, os.Chmod(binDir, 0o755), "helper directory mode")
	bin := filepath.Join(binDir, "peer.test")
	self, err := os.ReadFile(os.Args[0])
	require.NoError(t, err, "reading the test binary")
	require.NoError(t, os.WriteFile(bin, self, 0o755), "copying the test binary")

	return func(uid uint32, where, token string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-test.run=^TestHelperPeer$", "-test.count=1")
		cmd.Env = append(os.Environ(), peerEnv+"="+where, peerTokenEnv+"="+token)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "the helper process as uid %d:\n%s", uid, out)
		return string(out)
	}
}

// Loopback is not private: another user of the host connects from
// loopback too, and a Hub with default options serves it (the limit the
// docs state). A bearer token keeps it out.
func TestOtherUserOnLoopback(t *testing.T) {
	needRoot(t)
	peer := peerRunner(t)

	open := httptail.New()
	logSecrets(t, open)
	srv := serve(t, open)
	out := peer(nobody, "tcp "+srv.Listener.Addr().String(), "")
	assert.Contains(t, out, "peer: 200 OK "+secretEntry, "uid %d on loopback, default options: local, so served", nobody)

	guarded := httptail.New(httptail.WithAuthorize(httptail.BearerToken("9f1c-long-random-token")))
	logSecrets(t, guarded)
	srv = serve(t, guarded)
	out = peer(nobody, "tcp "+srv.Listener.Addr().String(), "")
	assert.Contains(t, out, "peer: 401 Unauthorized", "uid %d without the token", nobody)
	assert.NotContains(t, out, "s3cret", "uid %d read nothing", nobody)
	out = peer(nobody, "tcp "+srv.Listener.Addr().String(), "9f1c-long-random-token")
	assert.Contains(t, out, "peer: 200 OK "+secretEntry, "a client with the token")
}

// The answer to other users on the same host: a Unix socket in a directory
// only the service's user can enter. A process running as another user
// (uid 65534, as in the report) cannot connect; the service's own user
// can, and reads the log with default options.
func TestUnixSocketKeepsOtherUsersOut(t *testing.T) {
	needRoot(t)
	peer := peerRunner(t)
	dir, err := os.MkdirTemp("", "httptail") // mode 0700, in the world-writable TMPDIR
	require.NoError(t, err, "temporary directory")
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "logs.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err, "listen on %s", sock)
	require.NoError(t, os.Chmod(sock, 0o600), "socket mode")

	hub := httptail.New()
	mux := http.NewServeMux()
	mux.Handle("/debug/logs", hub)
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		closeWithin(t, hub)
		require.NoError(t, srv.Close(), "closing the server")
		within(t, errDone(served), "the server stopping")
	})
	logSecrets(t, hub)

	out := peer(nobody, "unix "+sock, "")
	assert.Contains(t, out, "peer: dial:", "uid %d connecting", nobody)
	assert.Contains(t, out, "permission denied", "uid %d connecting", nobody)
	assert.NotContains(t, out, "s3cret", "uid %d read nothing", nobody)

	out = peer(0, "unix "+sock, "") // the service's own user
	assert.Contains(t, out, "peer: 200 OK "+secretEntry, "the service's user")
}
