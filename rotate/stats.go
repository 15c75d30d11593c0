package rotate

import (
	"encoding/json"
	"sync/atomic"
)

// FileStats counts what a File did on its own, beside the stream's
// logsink.Stats: what it removed to keep Config.KeepFree, and the bytes it
// knows were lost, which the stream's Stats().LostBytes also counts. A
// stream from Open hides its File; to read these, open the File with
// NewFile and give it to logsink.Open with cfg.Config.Options().
//
// FileStats implements expvar.Var: its String method returns JSON.
type FileStats struct {
	// KeepFreeRemoved and KeepFreeRemovedBytes count the backups removed,
	// and the bytes they held on disk, to keep Config.KeepFree free.
	KeepFreeRemoved      uint64 `json:"keep_free_removed"`
	KeepFreeRemovedBytes uint64 `json:"keep_free_removed_bytes"`
	// UnlinkedBytes counts bytes written into a file that another tool
	// had deleted, found when Follow, a Write or Reopen saw it gone: at
	// most what went in since the path was last found to be that file.
	UnlinkedBytes uint64 `json:"unlinked_bytes"`
	// TornBytes counts the bytes of an entry cut short (the disk filled
	// in the middle of it) that Close removed from the end of the file,
	// because the stream gave up on the rest.
	TornBytes uint64 `json:"torn_bytes"`
}

// String returns the stats as a JSON object.
func (s FileStats) String() string {
	b, _ := json.Marshal(s) // a struct of integers: cannot fail
	return string(b)
}

type fileCounters struct {
	keepFreeRemoved, keepFreeRemovedBytes atomic.Uint64
	unlinkedBytes, tornBytes              atomic.Uint64
}

// Stats returns what the File has counted since NewFile. It is safe to
// call at any time, from any goroutine, also after Close.
func (f *File) Stats() FileStats {
	return FileStats{
		KeepFreeRemoved:      f.stats.keepFreeRemoved.Load(),
		KeepFreeRemovedBytes: f.stats.keepFreeRemovedBytes.Load(),
		UnlinkedBytes:        f.stats.unlinkedBytes.Load(),
		TornBytes:            f.stats.tornBytes.Load(),
	}
}
