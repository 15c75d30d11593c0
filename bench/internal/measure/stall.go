package measure

import (
	"encoding/json"
	"strings"
	"time"
)

// StallKind marks a line of cmd/stall's -json output, so that a reader of
// mixed output (go test -bench lines and stall records) can tell them apart.
const StallKind = "stall"

// StallRecord is one run of cmd/stall (one sink, one number of producers,
// with or without stalls), as cmd/stall -json prints it, one JSON object a
// line.
type StallRecord struct {
	Kind      string `json:"kind"` // StallKind
	Stalls    bool   `json:"stalls"`
	Sink      string `json:"sink"`
	Producers int    `json:"producers"`

	// The configuration: Entries of Size bytes; the destination sleeps
	// Pause each time its byte count crosses a multiple of Every (Every 0:
	// never); the streams buffer BufferSize bytes.
	Entries    int           `json:"entries"`
	Size       int           `json:"size"`
	Every      int64         `json:"every"`
	Pause      time.Duration `json:"pause_ns"`
	BufferSize int           `json:"buffer_size"`

	P50   time.Duration `json:"p50_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	P9999 time.Duration `json:"p9999_ns"`
	Max   time.Duration `json:"max_ns"`
	Slow  int           `json:"slow_writes"` // Writes over SlowWrite

	Wall  time.Duration `json:"wall_ns"`  // until the producers finished
	Total time.Duration `json:"total_ns"` // until Close returned

	Written     int   `json:"written"`
	Delivered   int   `json:"delivered"`    // lines the destination received
	SinkDropped int64 `json:"sink_dropped"` // Stats().Dropped or the diode's alerts; -1 if the sink cannot say

	DstWrites int           `json:"dst_writes"`     // Write calls the destination took
	DstMaxGap time.Duration `json:"dst_max_gap_ns"` // the longest time it went without one
}

// SetLatency copies a latency summary into the record.
func (r *StallRecord) SetLatency(l Latency) {
	r.P50, r.P99, r.P999, r.P9999, r.Max, r.Slow = l.P50, l.P99, l.P999, l.P9999, l.Max, l.Slow
}

// ParseStallRecord parses one line of cmd/stall -json output. It reports
// false for any other line.
func ParseStallRecord(line string) (StallRecord, bool) {
	var r StallRecord
	if !strings.HasPrefix(strings.TrimSpace(line), "{") {
		return r, false
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil || r.Kind != StallKind {
		return StallRecord{}, false
	}
	return r, true
}
