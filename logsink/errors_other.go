//go:build !windows

package logsink

// isIgnorableSyncOS reports system-specific forms of "cannot sync this kind
// of file" beyond the errnos every system shares; outside Windows there are
// none.
func isIgnorableSyncOS(error) bool { return false }
