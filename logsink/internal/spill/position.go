package spill

import (
	"encoding/binary"
	"hash/crc32"
)

// The position file records how far delivery has come, so that a store
// opened after a crash or power cut starts where the last one stopped:
//
//	head segment id, order and offset: everything before the offset in the
//	head segment, and every segment whose order is below the head's, was
//	delivered (id 0: no head, every segment up to that order was delivered);
//	the first segment id not reserved: every id below it may have been
//	used, so that no id is used twice, even one whose segment a power cut
//	lost.
//
// It holds two slots of 64 bytes, written in turn, each
//
//	"LSPOSIT1" | generation | head id | head order | head offset | next id (uint64 LE each) | CRC-32C of the 48 bytes before, uint32 LE | 12 zero bytes
//
// and is fsynced after every write. A power cut can tear only the slot
// being written; the other still holds the position before, and the slot
// with the highest generation whose checksum matches wins. After a write
// whose write or fsync failed, the next goes to the same slot: the other
// holds the last position surely on disk.
type position struct {
	gen       uint64
	headID    uint64
	headOrder uint64
	headOff   int64
	nextID    uint64
}

const (
	positionName  = "spill.position"
	positionMagic = "LSPOSIT1"
	positionSlot  = 64
)

// encode appends the slot of p to dst[:0].
func (p position) encode(dst []byte) []byte {
	b := append(dst[:0], make([]byte, positionSlot)...)
	copy(b, positionMagic)
	binary.LittleEndian.PutUint64(b[8:], p.gen)
	binary.LittleEndian.PutUint64(b[16:], p.headID)
	binary.LittleEndian.PutUint64(b[24:], p.headOrder)
	binary.LittleEndian.PutUint64(b[32:], uint64(p.headOff))
	binary.LittleEndian.PutUint64(b[40:], p.nextID)
	binary.LittleEndian.PutUint32(b[48:], crc32.Checksum(b[:48], crcTable))
	return b
}

func decodePosition(b []byte) (position, bool) {
	if len(b) < positionSlot || string(b[:8]) != positionMagic ||
		crc32.Checksum(b[:48], crcTable) != binary.LittleEndian.Uint32(b[48:]) {
		return position{}, false
	}
	return position{
		gen:       binary.LittleEndian.Uint64(b[8:]),
		headID:    binary.LittleEndian.Uint64(b[16:]),
		headOrder: binary.LittleEndian.Uint64(b[24:]),
		headOff:   int64(binary.LittleEndian.Uint64(b[32:])),
		nextID:    binary.LittleEndian.Uint64(b[40:]),
	}, true
}

// newestPosition returns the valid slot of b (the file's first two slots)
// with the highest generation.
func newestPosition(b []byte) (position, bool) {
	var best position
	found := false
	for i := 0; i+positionSlot <= len(b) && i < 2*positionSlot; i += positionSlot {
		if p, ok := decodePosition(b[i : i+positionSlot]); ok && (!found || p.gen > best.gen) {
			best, found = p, true
		}
	}
	return best, found
}
