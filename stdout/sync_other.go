//go:build !windows

package stdout

// cannotSyncOS reports system-specific forms of "cannot sync this kind of
// file" that the stream's own Sync does not know; outside Windows there
// are none.
func cannotSyncOS(error) bool { return false }
