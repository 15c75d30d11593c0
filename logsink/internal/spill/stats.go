package spill

import "sync/atomic"

// Stats counts what a store has done since Open. Record bytes are an
// entry's bytes plus its 8-byte record head; for a store that has been
// drained (Size 0):
//
//	RecoveredBytes + appended record bytes = acked record bytes + CorruptBytes
//
// and at any time Size is the left side minus the right.
type Stats struct {
	AppendedEntries uint64 // entries stored by Append and Prepend
	AppendedBytes   uint64 // their bytes (entries only)
	AckedEntries    uint64 // entries read and acknowledged as delivered
	AckedBytes      uint64 // their bytes (entries only)
	FullEntries     uint64 // entries Append refused with ErrFull
	FullBytes       uint64 // their bytes (entries only)
	CorruptBytes    uint64 // record bytes skipped: torn or zeroed tails, bad checksums, unreadable segments
	CorruptSegments uint64 // segments skipped whole: unreadable, or without a valid header
	RecoveredBytes  int64  // record bytes found at Open, left by an earlier store
	Size            int64  // record bytes on disk not yet delivered, record heads included
}

type counters struct {
	appendedEntries, appendedBytes atomic.Uint64
	ackedEntries, ackedBytes       atomic.Uint64
	fullEntries, fullBytes         atomic.Uint64
	corruptBytes, corruptSegments  atomic.Uint64
	recovered, size                atomic.Int64
}

// Stats returns the counters. It does not take the store's lock, so that a
// stream's Stats never waits for a slow disk.
func (st *Store) Stats() Stats {
	c := &st.stats
	return Stats{
		AppendedEntries: c.appendedEntries.Load(),
		AppendedBytes:   c.appendedBytes.Load(),
		AckedEntries:    c.ackedEntries.Load(),
		AckedBytes:      c.ackedBytes.Load(),
		FullEntries:     c.fullEntries.Load(),
		FullBytes:       c.fullBytes.Load(),
		CorruptBytes:    c.corruptBytes.Load(),
		CorruptSegments: c.corruptSegments.Load(),
		RecoveredBytes:  c.recovered.Load(),
		Size:            c.size.Load(),
	}
}
