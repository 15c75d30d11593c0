// Package entryends holds the one rule for entry ends that the stream
// hands a destination and the spill stores: at least one, strictly
// increasing, the first above 0 and the last exactly the batch's length,
// so that no entry is empty and none is cut or merged. logsink.CheckEnds
// and the spill's store both apply it, each wrapping its own sentinel.
package entryends

import "fmt"

// Check reports what is wrong with ends as the entry ends of p, or nil. A
// nil ends with an empty p is valid. Entries longer than maxEntry (if > 0)
// are refused too.
func Check(p []byte, ends []int, maxEntry int) error {
	if len(ends) == 0 {
		if len(p) == 0 {
			return nil
		}
		return fmt.Errorf("%d bytes with no entry end", len(p))
	}
	prev := 0
	for i, e := range ends {
		if e <= prev {
			return fmt.Errorf("end %d is %d, not above %d", i, e, prev)
		}
		if maxEntry > 0 && e-prev > maxEntry {
			return fmt.Errorf("entry %d holds %d bytes, more than %d", i, e-prev, maxEntry)
		}
		prev = e
	}
	if prev != len(p) {
		return fmt.Errorf("last end is %d, the batch holds %d bytes", prev, len(p))
	}
	return nil
}
