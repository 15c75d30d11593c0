package httptail

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
)

func TestFrame(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		ends    []int
		wantND  string
		wantSSE string
	}{
		{
			name:    "whole lines go out as they are",
			give:    "{\"a\":1}\n{\"b\":2}\n",
			ends:    []int{8, 16},
			wantND:  "{\"a\":1}\n{\"b\":2}\n",
			wantSSE: "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n",
		},
		{
			name:    "a missing newline is added",
			give:    "one" + "two\n",
			ends:    []int{3, 7},
			wantND:  "one\ntwo\n",
			wantSSE: "data: one\n\ndata: two\n\n",
		},
		{
			name:    "an entry of several lines",
			give:    "panic: boom\n\tmain.go:12\n",
			ends:    []int{24},
			wantND:  "panic: boom\n\tmain.go:12\n",
			wantSSE: "data: panic: boom\ndata: \tmain.go:12\n\n",
		},
		{
			name:    "carriage returns end SSE lines too",
			give:    "a\r\nb\rc\r\n",
			ends:    []int{8},
			wantND:  "a\r\nb\rc\r\n",
			wantSSE: "data: a\ndata: b\ndata: c\n\n",
		},
		{
			name:    "entries of only a line ending are left out",
			give:    "\nx\n\r\n",
			ends:    []int{1, 3, 5},
			wantND:  "x\n",
			wantSSE: "data: x\n\n",
		},
		{
			name:    "an empty line inside an entry stays",
			give:    "a\n\nb\n",
			ends:    []int{5},
			wantND:  "a\n\nb\n",
			wantSSE: "data: a\ndata: \ndata: b\n\n",
		},
		{
			name:    "without ends, newlines separate entries",
			give:    "x\ny",
			wantND:  "x\ny\n",
			wantSSE: "data: x\n\ndata: y\n\n",
		},
		{
			name:    "bytes after the last end",
			give:    "x\ny\nz",
			ends:    []int{2},
			wantND:  "x\ny\nz\n",
			wantSSE: "data: x\n\ndata: y\n\ndata: z\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nd := &response{}
			assert.Equal(t, tt.wantND, string(nd.frame([]byte(tt.give), tt.ends)), "ndjson")
			ev := &response{sse: true}
			assert.Equal(t, tt.wantSSE, string(ev.frame([]byte(tt.give), tt.ends)), "sse")
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		give []string
		want format
	}{
		{give: nil, want: ndjson},
		{give: []string{"*/*"}, want: ndjson},
		{give: []string{"text/event-stream"}, want: sse},
		{give: []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, want: html},
		{give: []string{"application/json;q=0.9", "text/html;q=0.8"}, want: ndjson},
		{give: []string{"text/html;q=0", "text/event-stream;q=0.1"}, want: sse},
		{give: []string{"text/html;q=bad, application/x-ndjson"}, want: ndjson},
		{give: []string{"TEXT/HTML"}, want: html},
		{give: []string{";;;, text/event-stream"}, want: sse},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, negotiate(tt.give), "negotiate(%q)", tt.give)
	}
}

// deadlineRecorder is a ResponseRecorder that takes write deadlines, as a
// server's ResponseWriter does.
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetWriteDeadline(time.Time) error { return nil }

// Ends that do not fit the batch are refused with ErrBadEnds before
// anything slices the batch: nothing panics, nothing reaches the client.
func TestWriteEntriesRefusesBadEnds(t *testing.T) {
	tests := []struct {
		name string
		give string
		ends []int
	}{
		{name: "an end past the batch", give: "abc\n", ends: []int{2, 9}},
		{name: "ends going down", give: "abcdef\n", ends: []int{5, 3, 7}},
		{name: "an empty entry", give: "ab\ncd\n", ends: []int{3, 3, 6}},
		{name: "a first end of zero", give: "ab\n", ends: []int{0, 3}},
		{name: "a negative end", give: "ab\n", ends: []int{-1, 3}},
		{name: "the last end short of the batch", give: "ab\ncd\n", ends: []int{3}},
		{name: "ends for an empty batch", give: "", ends: []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := deadlineRecorder{httptest.NewRecorder()}
			o := newResponse(rec, ndjson, time.Second)
			close(o.ready)
			n, err := o.WriteEntries([]byte(tt.give), tt.ends)
			assert.ErrorIs(t, err, logsink.ErrBadEnds, "WriteEntries(%q, %v)", tt.give, tt.ends)
			assert.Zero(t, n, "bytes taken")
			assert.Empty(t, rec.Body.String(), "nothing written to the client")
		})
	}

	t.Run("good ends are written", func(t *testing.T) {
		rec := deadlineRecorder{httptest.NewRecorder()}
		o := newResponse(rec, sse, time.Second)
		close(o.ready)
		n, err := o.WriteEntries([]byte("ab\ncd"), []int{3, 5})
		require.NoError(t, err, "WriteEntries with good ends")
		assert.Equal(t, 5, n, "bytes taken")
		assert.Equal(t, "data: ab\n\ndata: cd\n\n", rec.Body.String(), "the events")
	})
}
