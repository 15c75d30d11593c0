package logsink

import "io"

// output is the destination and the way the flusher writes to it, chosen
// once in New from the interfaces the destination has: a plain Write, an
// EntryWriter's WriteEntries, or Writes split where a SizeRotator must
// rotate. Only the flusher uses it.
type output struct {
	dst      io.Writer
	syncer   interface{ Sync() error }
	closer   io.Closer
	rotator  Rotator
	reopener Reopener
	sizer    SizeRotator
	timer    TimeRotator
	follower Follower
	entries  EntryWriter

	// write writes p, whose entries end at the offsets in ends, and
	// returns how many bytes the destination took.
	write func(p []byte, ends []int) (int, error)
	// rotate flushes nothing, syncs and rotates the destination; the
	// flusher sets it, for the size-splitting write.
	rotate func() error
	// midEntry is set when the next byte to write is inside an entry,
	// after a partial write: no rotation may happen before it.
	midEntry bool
}

func newOutput(dst io.Writer) *output {
	o := &output{dst: dst}
	o.syncer, _ = dst.(interface{ Sync() error })
	o.closer, _ = dst.(io.Closer)
	o.rotator, _ = dst.(Rotator)
	o.reopener, _ = dst.(Reopener)
	o.sizer, _ = dst.(SizeRotator)
	o.timer, _ = dst.(TimeRotator)
	o.follower, _ = dst.(Follower)
	o.entries, _ = dst.(EntryWriter)
	switch {
	case o.sizer != nil:
		o.write = o.writeSized
	case o.entries != nil:
		o.write = o.entries.WriteEntries
	default:
		o.write = o.writePlain
	}
	return o
}

// needsEnds reports whether the write needs each entry's end.
func (o *output) needsEnds() bool { return o.sizer != nil || o.entries != nil }

func (o *output) writePlain(p []byte, _ []int) (int, error) { return o.dst.Write(p) }

// writeSized writes p, rotating between two entries whenever the next entry
// would take a non-empty file past its size limit. An entry larger than the
// limit goes alone into a file of its own. If a rotation fails, the rest
// goes into the old file and the next write tries again.
func (o *output) writeSized(p []byte, ends []int) (int, error) {
	if len(ends) == 0 {
		return o.dst.Write(p)
	}
	size, limit := o.sizer.SizeLimit()
	written, start := 0, 0 // p[written:start] fits in the current file
	fill := size
	rotateOK := true
	for i, end := range ends {
		n := int64(end - start)
		canSplit := i > 0 || !o.midEntry
		if rotateOK && canSplit && limit > 0 && fill > 0 && fill+n > limit {
			if start > written {
				m, err := o.dst.Write(p[written:start])
				written += m
				if err != nil {
					return written, err
				}
			}
			if err := o.rotate(); err != nil {
				rotateOK = false
			}
			size, limit = o.sizer.SizeLimit()
			fill = size
		}
		fill += n
		start = end
	}
	if written == len(p) {
		return written, nil
	}
	m, err := o.dst.Write(p[written:])
	return written + m, err
}
