package logsink

import (
	"errors"
	"syscall"
)

// isIgnorableSyncOS reports the Windows form of "cannot sync this kind of
// file": FlushFileBuffers on a console handle fails with
// ERROR_INVALID_HANDLE ("sync /dev/stdout: The handle is invalid",
// uber-go/zap#991). A handle that is really invalid also fails its writes,
// which the stream reports. (Errno 6 is ENXIO elsewhere, hence this file.)
func isIgnorableSyncOS(err error) bool {
	return errors.Is(err, errorInvalidHandle)
}

// errorInvalidHandle is Windows' ERROR_INVALID_HANDLE, which package syscall
// does not name.
const errorInvalidHandle syscall.Errno = 6
