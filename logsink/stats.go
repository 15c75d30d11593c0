package logsink

import (
	"encoding/json"
	"sync/atomic"
)

// Stats counts what a stream has done since it was created. Entries +
// Dropped equals the number of Write and WriteKeep calls that returned nil
// (a call that returns ErrClosed is not counted), plus the drop summaries
// the stream wrote, which are entries too.
//
// Stats implements expvar.Var: its String method returns JSON. To publish a
// live view, use expvar.Publish(name, expvar.Func(func() any { return s.Stats() })).
type Stats struct {
	Entries      uint64 `json:"entries"`       // entries accepted into the buffer
	Bytes        uint64 `json:"bytes"`         // bytes accepted into the buffer
	Dropped      uint64 `json:"dropped"`       // entries refused: Drop policy, block timeout, or a dead destination
	DroppedBytes uint64 `json:"dropped_bytes"` // bytes of the refused entries
	LostBytes    uint64 `json:"lost_bytes"`    // accepted bytes never written: the destination failed for good or Close gave up
	Flushes      uint64 `json:"flushes"`       // successful writes to the destination
	Errors       uint64 `json:"errors"`        // destination failures (write, sync, rotate, reopen, close)
	Rotations    uint64 `json:"rotations"`     // completed rotations, by any trigger
	Reopens      uint64 `json:"reopens"`       // reopens of the destination's file: Reopen, a signal, or following the path
	Sampled      uint64 `json:"sampled"`       // entries zap's sampler discarded before they reached the stream (Build)

	// The spill (WithSpill): entries and bytes written to it, entries and
	// bytes delivered from it, bytes on disk now (records included, what a
	// previous stream left too), and bytes skipped as corrupt (a torn tail
	// after a crash).
	SpilledEntries  uint64 `json:"spilled_entries"`
	SpilledBytes    uint64 `json:"spilled_bytes"`
	ReplayedEntries uint64 `json:"replayed_entries"`
	ReplayedBytes   uint64 `json:"replayed_bytes"`
	SpillBytes      uint64 `json:"spill_bytes"`
	SpillCorrupt    uint64 `json:"spill_corrupt"`
}

// String returns the stats as a JSON object.
func (s Stats) String() string {
	b, _ := json.Marshal(s) // a struct of integers: cannot fail
	return string(b)
}

type counters struct {
	dropped, droppedBytes, lostBytes             atomic.Uint64
	flushes, errors, rotations, reopens, sampled atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Dropped:      c.dropped.Load(),
		DroppedBytes: c.droppedBytes.Load(),
		LostBytes:    c.lostBytes.Load(),
		Flushes:      c.flushes.Load(),
		Errors:       c.errors.Load(),
		Rotations:    c.rotations.Load(),
		Reopens:      c.reopens.Load(),
		Sampled:      c.sampled.Load(),
	}
}
