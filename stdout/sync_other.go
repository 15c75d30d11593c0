//go:build !windows

package stdout

// cannotSyncOS reports system-specific forms of "cannot sync this kind of
// file"; outside Windows, cannotSync's errno checks cover them.
func cannotSyncOS(error) bool { return false }
