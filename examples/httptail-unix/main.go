// Command httptail-unix serves a service's live log on a Unix socket that
// only the service's own user can connect to: the answer to other users on
// the same host, whom a loopback listener admits as local clients.
//
//	go run ./examples/httptail-unix -for 1m
//	curl -N --unix-socket /path/printed/logs.sock http://localhost/debug/logs
//
// The socket is made in a directory of mode 0700 (so that no other user
// can reach it, even for the instant before the socket's own mode is set,
// and on systems that ignore a socket's mode), and the socket itself gets
// mode 0600. A Hub with default options admits a Unix-socket peer as a
// local client; the file modes decide who that can be. The program follows
// its own log through the socket as curl would, prints a few entries and
// the modes, then closes the Hub and removes the socket. Without -dir it
// works in a temporary directory, removed at exit: it leaves nothing
// behind.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/httptail"
)

func main() {
	dir := flag.String("dir", "", "a directory only this user can enter (mode 0700) for logs.sock (default: a temporary one, removed at exit)")
	runFor := flag.Duration("for", time.Second, "how long to serve before shutting down; 0 for until Ctrl-C")
	flag.Parse()
	if err := start(*dir, *runFor); err != nil {
		fmt.Fprintln(os.Stderr, "httptail-unix:", err)
		os.Exit(1)
	}
}

// start runs the service with its socket in dir, or in a temporary
// directory that it removes at the end.
func start(dir string, runFor time.Duration) error {
	if dir != "" {
		return run(dir, runFor)
	}
	tmp, err := os.MkdirTemp("", "httptail-*") // mode 0700; short, for the socket path's limit
	if err != nil {
		return err
	}
	return errors.Join(run(tmp, runFor), os.RemoveAll(tmp))
}

// maxSocketPath is the longest path a Unix socket can have everywhere: 104
// bytes with the terminating NUL on the BSDs and macOS (108 on Linux).
const maxSocketPath = 103

func run(dir string, runFor time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, runFor)
		defer cancel()
	}

	// The directory is what keeps other users out: refuse one they can
	// enter.
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s has mode %v: other users could reach a socket in it (chmod 700 it)", dir, fi.Mode())
	}
	sock := filepath.Join(dir, "logs.sock")
	if len(sock) > maxSocketPath {
		return fmt.Errorf("socket path %s is %d bytes long, more than a Unix socket allows (%d): use a shorter -dir", sock, len(sock), maxSocketPath)
	}
	ln, err := net.Listen("unix", sock) // removed again when the listener closes
	if err != nil {
		return err
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return err
	}

	hub := httptail.New() // default options: local clients, which a Unix-socket peer is
	mux := http.NewServeMux()
	mux.Handle("/debug/logs", hub)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = ""
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), hub, zap.DebugLevel)).Named("api")
	logged := make(chan struct{})
	logCtx, stopLogging := context.WithCancel(ctx)
	go func() {
		defer close(logged)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-logCtx.Done():
				return
			case <-tick.C:
			}
			logger.Info("request served", zap.Int("request", i), zap.String("session", "a secret a log should not show"))
		}
	}()

	fmt.Printf("listening on %s\n", sock)
	fmt.Printf("  %v %s (only this user, uid %d, can enter it)\n", fi.Mode(), dir, os.Getuid())
	if si, err := os.Stat(sock); err == nil {
		fmt.Printf("  %v %s\n", si.Mode(), sock)
	}
	fmt.Printf("follow it with: curl -N --unix-socket %s http://localhost/debug/logs\n", sock)
	if err := follow(ctx, sock, 3); err != nil {
		fmt.Println("client:", err)
	}

	<-ctx.Done()
	stopLogging()
	<-logged
	// Close the hub first: a client following the log ends only when the
	// hub closes or the client goes away, and Shutdown waits for it.
	if err := hub.Close(); err != nil {
		return err
	}
	fmt.Println("hub closed: every client's response ended")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if _, statErr := os.Stat(sock); errors.Is(statErr, os.ErrNotExist) {
		fmt.Println("socket removed")
	}
	return err
}

// follow reads the log through the socket, as curl --unix-socket would,
// and prints its first n lines.
func follow(ctx context.Context, sock string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	transport := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://localhost/debug/logs", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	fmt.Printf("GET over the socket: %s, %s\n", resp.Status, resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	for i := 0; i < n; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		fmt.Println("unix> " + strings.TrimSuffix(line, "\n"))
	}
	return nil
}
