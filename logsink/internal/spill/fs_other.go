//go:build !unix

package spill

import "os"

// lockFile does nothing where flock is missing: two streams on one spill
// directory are not detected there.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }

// syncDir does nothing where a directory cannot be opened for fsync
// (Windows makes directory entries durable with the file's metadata).
func syncDir(string) error { return nil }
