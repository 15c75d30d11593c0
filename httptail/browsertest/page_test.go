package browsertest

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/httptail"
)

var screenshot = flag.String("screenshot", "", "save a screenshot of the page to this PNG file (the README's is docs/httptail.png)")

// wait bounds each step in the browser: a hang is a red test.
const wait = 30 * time.Second

// browser returns the path of a Chromium, or skips the test; under
// CI=true a missing browser fails it.
func browser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on the path (apt-get install chromium): the browser test cannot run")
	}
	t.Skip("no chromium on the path; apt-get install chromium, or set CHROMIUM")
	return ""
}

// service logs like a small API would, into hub, until stop is closed: a
// request stream at info, cache lookups at debug, now and then a slow
// upstream (warn) and a failed checkout (error).
type service struct {
	stop chan struct{}
	done chan struct{}
}

func startService(hub *httptail.Hub) *service {
	s := &service{stop: make(chan struct{}), done: make(chan struct{})}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), hub, zap.DebugLevel)).Named("api")
	paths := []string{"/api/items", "/api/items/42", "/api/cart", "/api/users/7", "/healthz"}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(15 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			path := paths[i%len(paths)]
			switch {
			case i%11 == 5:
				logger.Error("checkout failed", zap.String("path", "/api/checkout"), zap.Int("status", 502),
					zap.String("order", fmt.Sprintf("ord-%05d", 31000+i)), zap.Error(fmt.Errorf("payment gateway: connection reset")))
			case i%7 == 3:
				logger.Warn("slow upstream", zap.String("upstream", "inventory"), zap.Duration("took", time.Duration(1200+i%5*150)*time.Millisecond))
			case i%3 == 0:
				logger.Debug("cache hit", zap.String("key", fmt.Sprintf("item:%d", i%97)))
			default:
				logger.Info("request served", zap.String("method", "GET"), zap.String("path", path),
					zap.Int("status", 200), zap.Duration("took", time.Duration(3+i%17)*time.Millisecond))
			}
		}
	}()
	return s
}

func (s *service) close() {
	close(s.stop)
	<-s.done
}

// refusals counts the requests the Hub answered with 403.
type refusals struct{ n atomic.Int64 }

func (rf *refusals) count() int { return int(rf.n.Load()) }

// watch wraps h, counting its 403s; the writer it passes on unwraps, so
// that the Hub can still flush and set deadlines.
func (rf *refusals) watch(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&statusWriter{ResponseWriter: w, rf: rf}, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	rf *refusals
}

func (s *statusWriter) WriteHeader(code int) {
	if code == http.StatusForbidden {
		s.rf.n.Add(1)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// row is what the page shows for one entry.
type row struct {
	Time   string `json:"time"`
	Level  string `json:"level"`
	Class  string `json:"class"`
	Color  string `json:"color"`
	Body   string `json:"body"`
	Hidden bool   `json:"hidden"`
}

// readRows returns the page's entry rows.
const readRows = `[...document.querySelectorAll("#rows .entry")].map((r) => ({
	time: r.querySelector(".time").textContent,
	level: r.querySelector(".lvl").textContent,
	class: r.className,
	color: getComputedStyle(r.querySelector(".lvl")).color,
	body: r.querySelector(".body").textContent,
	hidden: r.hidden,
}))`

func TestPageInBrowser(t *testing.T) {
	exe := browser(t)

	hub := httptail.New()
	mux := http.NewServeMux()
	refusals := &refusals{}
	mux.Handle("/debug/logs", refusals.watch(hub))
	srv := httptest.NewServer(mux)
	// Another site, whose page tries to read the log.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>another site</title><p>nothing to see")
	}))
	defer attacker.Close()
	svc := startService(hub)
	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			svc.close()
			hub.Close()
			srv.Close()
		})
	}
	t.Cleanup(shutdown)

	// Everything the browser writes stays under the test's own temporary
	// directories, which the test removes: the profile, and what Chromium
	// puts in TMPDIR (its singleton socket directory, left behind when the
	// browser is stopped), HOME and the XDG directories (crash reports,
	// dconf).
	home, browserTmp := t.TempDir(), t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // as root, in CI
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("TMPDIR="+browserTmp, "HOME="+home,
			"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache")),
		// No connections of its own: this machine has no network but
		// loopback.
		chromedp.Flag("disable-quic", true),
		// attacker.example is a name of another site that resolves to
		// this machine, as a DNS-rebinding attacker's name does.
		chromedp.Flag("host-resolver-rules", "MAP attacker.example 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1200, 720),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first action starts the browser, on a context without a
	// deadline (a deadline there would stop the browser with it);
	// chromedp bounds the start itself.
	require.NoError(t, chromedp.Do(bctx), "starting %s", exe)
	left, err := os.ReadDir(browserTmp)
	require.NoError(t, err, "reading the browser's TMPDIR")
	assert.NotEmpty(t, left, "the browser keeps its temporary files in the TMPDIR the test gave it")

	// do runs steps with a deadline of their own.
	do := func(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, wait)
		defer cancel()
		require.NoError(t, chromedp.Do(ctx, steps...), what)
	}
	rows := func(t *testing.T) []row {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, wait)
		defer cancel()
		rs, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](readRows))
		require.NoError(t, err, "reading the rows")
		return rs
	}
	// until waits for the page to satisfy a JavaScript condition.
	until := func(t *testing.T, what, cond string) {
		t.Helper()
		do(t, what, chromedp.Poll[chromedp.Void](cond,
			chromedp.WithPollingTimeout(wait), chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	// choose sets a select's or an input's value and fires the event a
	// person's choice would.
	choose := func(t *testing.T, what, id, value, event string) {
		t.Helper()
		do(t, what, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event(%q)); })()`,
			id, value, event)))
	}

	t.Run("page loads and follows the log", func(t *testing.T) {
		do(t, "opening the page", chromedp.Navigate(srv.URL+"/debug/logs"))
		until(t, "the page going live", `document.getElementById("status").textContent === "live"`)
		until(t, "entries appearing", `document.querySelectorAll("#rows .entry").length >= 25`)
		assert.Equal(t, 1, hub.Clients(), "the page follows through one event stream")

		rs := rows(t)
		seen := map[string]row{}
		for _, r := range rs {
			assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d\d\d$`, r.Time, "time of %q", r.Body)
			assert.False(t, r.Hidden, "no filter yet: %q", r.Body)
			seen[r.Level] = r
		}
		require.Contains(t, seen, "info", "an info entry")
		assert.Contains(t, seen["info"].Body, "request served", "message")
		assert.Contains(t, seen["info"].Body, "status=200", "fields")
		assert.Contains(t, seen["info"].Body, "api", "logger name")
		require.Contains(t, seen, "error", "an error entry")
		assert.Contains(t, seen["error"].Body, `error=payment gateway: connection reset`, "error field")
		assert.Contains(t, seen["error"].Class, "error", "error row class")
		require.Contains(t, seen, "warn", "a warn entry")
		assert.NotEqual(t, seen["info"].Color, seen["warn"].Color, "levels in colour")
		assert.NotEqual(t, seen["warn"].Color, seen["error"].Color, "levels in colour")
		assert.NotEqual(t, seen["debug"].Color, seen["info"].Color, "levels in colour")

		n := len(rs)
		until(t, "more entries as the service logs", fmt.Sprintf(`document.querySelectorAll("#rows .entry").length > %d`, n+5))
	})

	if *screenshot != "" {
		t.Run("screenshot", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bctx, wait)
			defer cancel()
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			require.NoError(t, err, "screenshot")
			require.NoError(t, os.WriteFile(*screenshot, png, 0o644), "saving the screenshot")
			t.Logf("screenshot saved to %s", *screenshot)
		})
	}

	t.Run("level filter", func(t *testing.T) {
		choose(t, "choosing error and up", "level", "3", "change")
		before := len(rows(t))
		until(t, "entries arriving under the filter", fmt.Sprintf(`document.querySelectorAll("#rows .entry").length > %d`, before+30))
		visible := 0
		for _, r := range rows(t) {
			if r.Hidden {
				assert.NotEqual(t, "error", r.Level, "an error entry hidden by the error filter: %q", r.Body)
				continue
			}
			visible++
			assert.Equal(t, "error", r.Level, "a visible entry under the error filter: %q", r.Body)
		}
		assert.Positive(t, visible, "error entries still shown")
		choose(t, "back to all levels", "level", "", "change")
		for _, r := range rows(t) {
			assert.False(t, r.Hidden, "all levels shown again: %q", r.Body)
		}
	})

	t.Run("text filter", func(t *testing.T) {
		do(t, "typing a filter", chromedp.SendKeys(chromedp.ID("filter"), "INVENTORY"))
		visible := 0
		for _, r := range rows(t) {
			if !r.Hidden {
				visible++
				assert.Contains(t, r.Body, "inventory", "a visible entry under the text filter (any case)")
			}
		}
		assert.Positive(t, visible, "matching entries shown")
		choose(t, "clearing the filter", "filter", "", "input")
	})

	t.Run("pause and resume", func(t *testing.T) {
		do(t, "pausing", chromedp.Click(chromedp.ID("pause")))
		paused := len(rows(t))
		until(t, "20 entries held while paused",
			`Number((document.getElementById("count").textContent.match(/(\d+) new while paused/) || [0, 0])[1]) >= 20`)
		assert.Equal(t, paused, len(rows(t)), "no new rows while paused")
		do(t, "resuming", chromedp.Click(chromedp.ID("pause")))
		until(t, "held entries shown", fmt.Sprintf(`document.querySelectorAll("#rows .entry").length >= %d`, paused+20))
	})

	// A page of another site, in the same browser, cannot read the log: the
	// Hub refuses its requests and sends no CORS header.
	t.Run("another site's page cannot read the log", func(t *testing.T) {
		_, port, err := net.SplitHostPort(attacker.Listener.Addr().String())
		require.NoError(t, err, "attacker's port")
		do(t, "opening another site's page", chromedp.Navigate("http://attacker.example:"+port+"/"))
		logURL := srv.URL + "/debug/logs"
		ctx, cancel := context.WithTimeout(bctx, wait)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](fmt.Sprintf(`(async () => {
			const url = %q, out = {};
			try { const r = await fetch(url + "?format=ndjson"); out.fetch = "read " + r.status; } catch (e) { out.fetch = "blocked"; }
			try { const r = await fetch(url + "?format=ndjson", {mode: "no-cors"}); out.noCors = r.type; } catch (e) { out.noCors = "blocked"; }
			out.events = await new Promise((resolve) => {
				const es = new EventSource(url + "?format=sse");
				es.onmessage = () => { es.close(); resolve("read"); };
				es.onerror = () => { es.close(); resolve("blocked"); };
			});
			return out;
		})()`, logURL), chromedp.EvalAwaitPromise))
		require.NoError(t, err, "the other site's script")
		assert.Equal(t, "blocked", got["fetch"], "fetch from another site")
		assert.Equal(t, "blocked", got["noCors"], "a no-cors fetch: Cross-Origin-Resource-Policy withholds even an opaque response")
		assert.Equal(t, "blocked", got["events"], "EventSource from another site")
		assert.GreaterOrEqual(t, refusals.count(), 3, "the Hub itself refused the other site's requests")
	})

	// DNS rebinding: the attacker's name now resolves to this machine, and
	// a page at that name asks the Hub's port for the log. The Host check
	// refuses it.
	t.Run("a rebound name is refused", func(t *testing.T) {
		_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
		require.NoError(t, err, "hub's port")
		before := refusals.count()
		do(t, "opening the log under the attacker's name", chromedp.Navigate("http://attacker.example:"+port+"/debug/logs"))
		ctx, cancel := context.WithTimeout(bctx, wait)
		defer cancel()
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		require.NoError(t, err, "reading the page")
		assert.Contains(t, text, `Host "attacker.example:`+port+`" is not allowed`, "what the browser shows")
		assert.Equal(t, before+1, refusals.count(), "the Hub refused the request")
	})

	t.Run("back to the log", func(t *testing.T) {
		do(t, "opening the page", chromedp.Navigate(srv.URL+"/debug/logs"))
		until(t, "the page going live", `document.getElementById("status").textContent === "live"`)
	})

	t.Run("hub close", func(t *testing.T) {
		shutdown()
		until(t, "the page showing it is disconnected", `document.getElementById("status").className.includes("down")`)
	})
}
