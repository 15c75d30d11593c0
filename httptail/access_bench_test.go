package httptail_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/streamsink/streamsink/httptail"
)

// BenchmarkAdmission measures what the access checks cost a request: they
// run once per request (a HEAD here, which follows nothing), never per
// entry.
func BenchmarkAdmission(b *testing.B) {
	token := httptail.WithAuthorize(httptail.BearerToken("9f1c-long-random-token"))
	for _, bb := range []struct {
		name   string
		opts   []httptail.Option
		remote string
		host   string
		auth   string
		want   int
	}{
		{name: "local", remote: loopback, host: localHost, want: 200},
		{name: "remote-refused", remote: outsider, host: localHost, want: 403},
		{name: "rebound-refused", remote: loopback, host: "attacker.example", want: 403},
		{name: "bearer", opts: []httptail.Option{token}, remote: outsider, host: localHost, auth: "Bearer 9f1c-long-random-token", want: 200},
	} {
		b.Run(bb.name, func(b *testing.B) {
			hub := httptail.New(bb.opts...)
			defer hub.Close()
			r := httptest.NewRequest(http.MethodHead, "/?level=warn", nil)
			r.RemoteAddr, r.Host = bb.remote, bb.host
			if bb.auth != "" {
				r.Header.Set("Authorization", bb.auth)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				hub.ServeHTTP(w, r)
				if w.Code != bb.want {
					b.Fatalf("status %d, want %d", w.Code, bb.want)
				}
			}
		})
	}
}
