package httptail_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/httptail"
)

// A service tees its logger into a Hub mounted on its admin mux; a client
// follows the warnings, as `curl -N admin:6060/debug/logs?level=warn` would.
func Example() {
	hub := httptail.New()
	admin := http.NewServeMux()
	admin.Handle("/debug/logs", hub)
	srv := httptest.NewServer(admin) // in a service: an admin listener, never the public one
	defer srv.Close()
	defer hub.Close() // first: ends every client's response

	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "" // for a stable output
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), hub, zap.InfoLevel))

	resp, err := http.Get(srv.URL + "/debug/logs?level=warn")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))

	logger.Info("request served", zap.Int("status", 200)) // below warn: not sent
	logger.Warn("slow upstream", zap.Duration("took", 1500*time.Millisecond))
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(line)
	// Output:
	// application/x-ndjson
	// {"level":"warn","msg":"slow upstream","took":1.5}
}

// Authorize runs before anything else; an error that wraps
// ErrUnauthenticated is a 401, any other a 403, with the error's text.
func ExampleWithAuthorize() {
	hub := httptail.New(httptail.WithAuthorize(func(r *http.Request) error {
		switch r.Header.Get("Authorization") {
		case "":
			return fmt.Errorf("no token: %w", httptail.ErrUnauthenticated)
		case "Bearer oncall-token":
			return nil
		}
		return errors.New("this token may not read the logs")
	}))
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Close()

	for _, token := range []string{"", "Bearer intern-token"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ", body)
	}
	// Output:
	// 401 no token: httptail: authentication required
	// 403 this token may not read the logs
}

// BearerToken checks a shared token in constant time; the Hub then serves
// whoever presents it, wherever they connect from.
func ExampleBearerToken() {
	hub := httptail.New(httptail.WithAuthorize(httptail.BearerToken("s3cret-from-the-environment")))
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Close()

	for _, token := range []string{"", "wrong", "s3cret-from-the-environment"} {
		req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Output:
	// 401 Bearer realm="httptail"
	// 401 Bearer realm="httptail", error="invalid_token"
	// 200
}

// Behind a reverse proxy that keeps the client's Host, the Hub must be
// told the name it is served under; any other name is refused, as a
// DNS-rebinding page's would be.
func ExampleWithAllowedHosts() {
	hub := httptail.New(
		httptail.WithAllowedHosts("logs.internal.example"),
		httptail.WithAuthorize(httptail.BearerToken("s3cret-from-the-environment")),
	)
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Close()

	for _, host := range []string{"logs.internal.example", "attacker.example"} {
		req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer s3cret-from-the-environment")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(host, resp.StatusCode)
	}
	// Output:
	// logs.internal.example 200
	// attacker.example 403
}
