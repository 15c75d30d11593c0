package httptail

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the page
	"encoding/base64"
	"encoding/json"
	"net/http"

	"go.uber.org/zap/zapcore"

	"github.com/streamsink/streamsink/internal/level"
)

// pageTemplate is the HTML page: one file, its script and style inline, so
// that it works on an admin port with nothing else served.
//
//go:embed page.html
var pageTemplate []byte

// configMarker is replaced in the page by its config, as JSON.
var configMarker = []byte("/*CONFIG*/")

// pageCSP allows the page's own inline script and style, by hash, and
// connections back to the Hub, and nothing else: no other script runs even
// if an entry's text were ever taken for markup.
var pageCSP = "default-src 'none'; connect-src 'self'; " +
	"script-src " + inlineHash("<script>", "</script>") + "; " +
	"style-src " + inlineHash("<style>", "</style>") + "; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// inlineHash returns the CSP source for the inline element of the page
// between open and end.
func inlineHash(open, end string) string {
	i := bytes.Index(pageTemplate, []byte(open))
	if i < 0 {
		return "'none'" // a broken page stays inert; TestPageCSP catches it
	}
	body := pageTemplate[i+len(open):]
	j := bytes.Index(body, []byte(end))
	if j < 0 {
		return "'none'"
	}
	sum := sha256.Sum256(body[:j])
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// pageConfig is what the page needs to know about the entries it shows.
type pageConfig struct {
	LevelKey      string         `json:"levelKey"`
	TimeKey       string         `json:"timeKey"`
	MessageKey    string         `json:"messageKey"`
	NameKey       string         `json:"nameKey"`
	CallerKey     string         `json:"callerKey"`
	StacktraceKey string         `json:"stacktraceKey"`
	Levels        map[string]int `json:"levels"`  // level names to syslog severities, as the level filter reads them
	Dropped       string         `json:"dropped"` // DroppedMessage
}

// buildPage returns the page with the config for entries encoded with cfg.
func buildPage(cfg zapcore.EncoderConfig) []byte {
	pc := pageConfig{
		LevelKey:      cfg.LevelKey,
		TimeKey:       cfg.TimeKey,
		MessageKey:    cfg.MessageKey,
		NameKey:       cfg.NameKey,
		CallerKey:     cfg.CallerKey,
		StacktraceKey: cfg.StacktraceKey,
		Levels:        map[string]int{},
		Dropped:       DroppedMessage,
	}
	for _, n := range level.Names() {
		pc.Levels[n.Name] = n.Severity
	}
	// json.Marshal escapes <, > and &, so no value can end the script
	// element it sits in.
	js, err := json.Marshal(pc)
	if err != nil {
		js = []byte("{}")
	}
	return bytes.Replace(pageTemplate, configMarker, js, 1)
}

// servePage serves the HTML page, which follows the log as Server-Sent
// Events from the same URL.
func (h *Hub) servePage(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType(html))
	hdr.Set("Content-Security-Policy", pageCSP)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY") // frame-ancestors 'none', for browsers without CSP 2
	hdr.Add("Vary", "Accept")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(h.page)
}
