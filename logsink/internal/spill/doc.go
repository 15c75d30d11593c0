// Package spill is the store behind logsink's WithSpill: a FIFO of entries
// in a directory, between a stream's memory buffer and its destination,
// that keeps what it promised across a crash or a power cut.
//
//	fsys, err := spill.Dir(dir)
//	st, err := spill.Open(spill.Config{FS: fsys, MaxBytes: max, Report: onError})
//	err = st.Append(p, ends)           // the spiller: a region of the ring, with its entry ends
//	err = st.Sync()                    // Sync, Flush, the flush interval: durable from here
//	p, ends, err := st.Read(buf, e, n) // the flusher: the oldest batch, at most n bytes
//	err = st.Ack()                     // the destination took it all
//	err = st.Close()                   // what is left stays for the next stream
//
// The store reaches the file system only through FS, so that tests put a
// SimDisk in its place and cut its power (FuzzSpillCrash).
//
// # On disk
//
// The directory holds:
//
//   - segments "<order>-<id>.spill" (20 decimal digits each): a 32-byte
//     header ("LSSPILL1", id, order, CRC-32C) and then records, one per
//     entry: length uint32 LE, never 0 | CRC-32C of length and entry |
//     entry. Segments are read in order; ids are never used twice, restarts
//     and power cuts included: the position file reserves ids in blocks of
//     64, durably, before a segment takes one. A segment is closed for
//     appending at Config.SegmentBytes and removed once delivered to its
//     end; an empty store keeps none.
//   - "spill.position": two 64-byte slots written in turn, each with a
//     generation and a CRC-32C, saying which segment delivery is in, how
//     far, which orders are delivered, and the ids reserved. Every write is
//     fsynced; the valid slot with the highest generation wins.
//   - "lock": flock'ed while a store is open (the name the spill of earlier
//     versions used, so that old and new exclude each other).
//   - "<segment>.bad": a segment that could not be read, set aside.
//
// Files of the spill before this package ("*.seg", "position") are reported
// through Config.Report at Open and left in place, not read.
//
// # Durability
//
// Following what POSIX promises and no more (file data is durable up to its
// last fsync, directory entries up to the directory's last fsync):
//
//   - Sync returns nil once everything appended before it is durable: it
//     fsyncs the newest segment and then the directory. Older segments were
//     fsynced when Append moved on from them.
//   - Open fsyncs the position file and the directory when it creates the
//     position file, and fsyncs the position it starts from, every segment
//     an earlier store left (a crash may have left them in the page cache
//     only) and the directory.
//   - Prepend returns nil once its entries are durable: the new segment is
//     fsynced, then the directory, then the position that names it.
//   - Ack returns nil once the position is durable past the batch.
//   - A call that returns an error leaves the store usable: Append and
//     Prepend store nothing (unless the power goes while a failed Prepend
//     cleans up: then its entries may come back once, before everything
//     else), Ack leaves the batch read (to Ack again or Rewind; whether the
//     position on disk moved past it is unknown until Close writes it
//     again). What the position says, even a write of it that failed, is
//     never made false later: a segment it calls delivered takes no more
//     appends, and no segment goes before the oldest while a delivered one
//     whose removal failed is still on disk.
//   - An fsync that fails is not retried in the hope that the next says
//     nil (Linux may drop the dirty pages and report the error once): the
//     segment ends there, and Sync returns an error for as long as it holds
//     entries not delivered. The same for a segment Open cannot fsync.
//   - Removals of delivered segments reach the disk at the next directory
//     fsync; one lost in a power cut is redone at Open, because the
//     position says the segment was delivered. The position never names a
//     segment by a rule that a segment begun later could match.
//
// After a power cut, a store opened on the directory reads back every
// entry a Sync, Prepend or Close that returned nil covered, minus those an
// Ack that returned nil covered. What was appended and not synced may be
// there or not, whole entries only: a torn, zeroed or partly written tail
// is skipped at the first record that is cut short, zero-length or fails
// its checksum, counted in Stats().CorruptBytes and told to Config.Report.
// A segment that cannot be opened or read, or whose header is wrong (or
// whose size Open cannot get), is skipped whole, counted the same and in CorruptSegments, and renamed
// "<name>.bad"; delivery goes on with the next. Nothing is skipped
// silently: for a drained store, RecoveredBytes plus the record bytes
// appended equal the record bytes acknowledged plus CorruptBytes.
//
// # Duplicates
//
// Entries are read again only if they were read and not acknowledged: after
// a crash or a power cut, or a Close, the next store returns the batch the
// last Read returned if Ack had not returned nil for it (an Ack that
// returned an error may or may not have moved the position on disk), and
// nothing else that was read before. That batch is at most the maxBytes the reader asked
// for (a stream asks for a quarter of its buffer, at most 1 MiB), or one
// entry if that entry is larger. The price is one fsync of the position per
// Ack.
//
// # Contract for the stream
//
//   - One goroutine may Append (and Sync) while another Reads and Acks; all
//     methods are safe for concurrent use and serialize on one lock, held
//     during file-system calls (fsync included). Stats, Size and Empty
//     never wait for it.
//   - Read returns one batch at a time, never across segments; until Ack
//     (delivered) or Rewind (give it back: the next Read returns it again)
//     it returns ErrReadPending. The caller keeps the batch's bytes until
//     then: buf is reused by the next Read.
//   - Append stores all of a batch or none: ErrFull past MaxBytes (counted
//     in FullEntries and FullBytes; the stream's policy decides), ErrBadEnds
//     for ends that break CheckEnds' rule (the same as logsink.CheckEnds: no
//     empty entry, strictly increasing, the last at len(p)), or the file
//     system's error.
//   - Prepend puts a batch before everything, ignoring MaxBytes, while
//     nothing is read and unacknowledged (ErrReadPending) and the oldest
//     segment is not partly delivered (ErrNotAtHead): the rest of a batch
//     the stream copied out of memory while the store was empty.
//   - Close syncs and releases the lock; everything not acknowledged stays
//     for the next store. Size then says how much: what a stream reports
//     as left in the spill.
//   - Report is called with the store's lock held: it must not call the
//     store.
package spill
