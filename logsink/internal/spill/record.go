package spill

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/streamsink/streamsink/internal/entryends"
)

// A record is one entry on disk:
//
//	length uint32 LE (> 0) | CRC-32C of length and entry, uint32 LE | entry
//
// The length is never 0 and the checksum covers it, so a run of zero bytes
// (what a power cut leaves where a file's size reached the disk and its
// data did not) never parses as a record: CRC-32C of nothing is 0, but a
// zero length is refused before the checksum is looked at.
const (
	recordHead = 8
	// MaxEntry is the largest entry a record holds.
	MaxEntry = 1 << 30
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrBadEnds is returned by Append and Prepend for entry ends that do not
// fit their bytes: a bug in the caller. Nothing is stored. Test with
// errors.Is.
var ErrBadEnds = errors.New("spill: entry ends do not fit the batch (a bug)")

// CheckEnds reports whether ends cut p into entries the spill stores: the
// rule of logsink.CheckEnds (internal/entryends), and no entry over
// MaxEntry. The error wraps ErrBadEnds.
func CheckEnds(p []byte, ends []int) error {
	if err := entryends.Check(p, ends, MaxEntry); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEnds, err)
	}
	return nil
}

// appendRecords appends the entries of p, ending at ends (checked), as
// records.
func appendRecords(dst, p []byte, ends []int) []byte {
	start := 0
	for _, end := range ends {
		e := p[start:end]
		n := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e)))
		dst = binary.LittleEndian.AppendUint32(dst, recordCRC(dst[n:n+4], e))
		dst = append(dst, e...)
		start = end
	}
	return dst
}

func recordCRC(length, entry []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, crcTable), crcTable, entry)
}

// recordsSize is the size on disk of the entries of p as records.
func recordsSize(p []byte, ends []int) int64 {
	return int64(len(p) + recordHead*len(ends))
}
