package spill

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// A segment is a file of records, named for its place in the spill's
// order and for its id: "<order>-<id>.spill", both 20 decimal digits. The
// id is unique over the spill's life, restarts included: no file name is
// ever used twice. The order sorts the segments, oldest first; a segment
// put before the oldest (Prepend) takes an order below it.
//
// A segment starts with a header that repeats its name's numbers:
//
//	"LSSPILL1" | id uint64 LE | order uint64 LE | CRC-32C of the 24 bytes before, uint32 LE | 4 zero bytes
type segment struct {
	id, order uint64
	size      int64 // bytes in the file: what was written, or found at Open
	syncErr   error // an fsync that failed: Sync fails until it is delivered
}

const (
	segmentExt   = ".spill"
	segmentMagic = "LSSPILL1"
	segmentHead  = 32
	// firstOrder leaves room below the first segment for Prepend.
	firstOrder = 1 << 40
)

func (sg segment) name() string {
	return fmt.Sprintf("%020d-%020d%s", sg.order, sg.id, segmentExt)
}

// parseSegmentName returns the segment a file name names, if it does.
func parseSegmentName(name string) (segment, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(base) != 41 || base[20] != '-' {
		return segment{}, false
	}
	order, err1 := strconv.ParseUint(base[:20], 10, 64)
	id, err2 := strconv.ParseUint(base[21:], 10, 64)
	if err1 != nil || err2 != nil || id == 0 {
		return segment{}, false
	}
	return segment{id: id, order: order}, true
}

func (sg segment) header() []byte {
	h := make([]byte, segmentHead)
	copy(h, segmentMagic)
	binary.LittleEndian.PutUint64(h[8:], sg.id)
	binary.LittleEndian.PutUint64(h[16:], sg.order)
	binary.LittleEndian.PutUint32(h[24:], crc32.Checksum(h[:24], crcTable))
	return h
}

// checkHeader reports whether h is the header of sg.
func (sg segment) checkHeader(h []byte) error {
	switch {
	case len(h) < segmentHead:
		return fmt.Errorf("a header cut short (%d bytes)", len(h))
	case string(h[:8]) != segmentMagic:
		return fmt.Errorf("no segment header (%q)", h[:8])
	case crc32.Checksum(h[:24], crcTable) != binary.LittleEndian.Uint32(h[24:]):
		return fmt.Errorf("a header whose checksum does not match")
	case binary.LittleEndian.Uint64(h[8:]) != sg.id || binary.LittleEndian.Uint64(h[16:]) != sg.order:
		return fmt.Errorf("a header of another segment (id %d, order %d)",
			binary.LittleEndian.Uint64(h[8:]), binary.LittleEndian.Uint64(h[16:]))
	}
	return nil
}
