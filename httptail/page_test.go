package httptail_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/streamsink/streamsink/httptail"
)

// getPage fetches the page as a browser would.
func getPage(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err, "request")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "GET page")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err, "reading the page")
	return resp, string(body)
}

func TestPageIsOneSelfContainedFile(t *testing.T) {
	hub := httptail.New()
	srv := serve(t, hub)
	resp, page := getPage(t, srv.URL)
	require.Equal(t, http.StatusOK, resp.StatusCode, "status")
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), "content type")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "nosniff")
	assert.Zero(t, hub.Clients(), "the page itself is not a client")

	for _, external := range []string{"src=", "href=", "<link", "@import", "url(", "http://", "https://"} {
		assert.NotContains(t, page, external, "the page loads nothing from elsewhere")
	}
	assert.Contains(t, page, `new EventSource(`, "the page follows the SSE stream")
	assert.Contains(t, page, `u.searchParams.set("format", "sse")`, "from its own URL")
}

// The CSP allows exactly the page's inline script and style, by hash.
func TestPageCSP(t *testing.T) {
	srv := serve(t, httptail.New())
	resp, page := getPage(t, srv.URL)
	csp := resp.Header.Get("Content-Security-Policy")
	require.NotEmpty(t, csp, "Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'", "nothing is allowed unless named")
	assert.Contains(t, csp, "connect-src 'self'", "the event stream")
	assert.Contains(t, csp, "frame-ancestors 'none'", "no framing")

	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	require.Len(t, scripts, 1, "one inline script")
	assert.Contains(t, csp, "script-src "+hash(scripts[0][1])+";", "the script's hash")
	styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
	require.Len(t, styles, 1, "one inline style")
	assert.Contains(t, csp, "style-src "+hash(styles[0][1])+";", "the style's hash")
}

func TestPageConfig(t *testing.T) {
	cfg := zap.NewDevelopmentEncoderConfig() // keys T, L, M, N, C, S
	srv := serve(t, httptail.New(httptail.WithEncoderConfig(cfg)))
	_, page := getPage(t, srv.URL)
	m := regexp.MustCompile(`<script id="config" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	require.Len(t, m, 2, "the config element")
	var got struct {
		LevelKey, TimeKey, MessageKey, NameKey, CallerKey, StacktraceKey string
		Levels                                                           map[string]int
		Dropped                                                          string
	}
	require.NoError(t, json.Unmarshal([]byte(m[1]), &got), "config JSON")
	assert.Equal(t, []string{"L", "T", "M", "N", "C", "S"},
		[]string{got.LevelKey, got.TimeKey, got.MessageKey, got.NameKey, got.CallerKey, got.StacktraceKey}, "keys")
	assert.Equal(t, 4, got.Levels["warn"], "warn's severity")
	assert.Equal(t, 2, got.Levels["fatal"], "fatal's severity")
	assert.Len(t, got.Levels, 17, "every level name")
	assert.Equal(t, httptail.DroppedMessage, got.Dropped, "drop summary message")
}

func TestPageHead(t *testing.T) {
	srv := serve(t, httptail.New())
	req, err := http.NewRequest(http.MethodHead, srv.URL+"?format=html", nil)
	require.NoError(t, err, "request")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "HEAD")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "status")
	assert.Empty(t, body, "HEAD has no body")
	assert.NotEmpty(t, resp.Header.Get("Content-Security-Policy"), "CSP")
}
