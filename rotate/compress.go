package rotate

import (
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
)

// errStopped is compress's answer when it gave up because Close aborted
// the background retention.
var errStopped = errors.New("stopped")

// compressChunk is how much compress reads between checks of abort, so
// that an abort never waits long for it.
const compressChunk = 256 << 10

// compress gzips the backup at name into name.gz, with the backup's mode
// and owner, and removes name. It writes name.gz.tmp, fsyncs it and renames
// it, so that name.gz is never partial, and name is removed only once
// name.gz is durable. It gives up, removing the temporary file, when abort
// is closed (errStopped). A backup removed meanwhile is no error.
func compress(name string, abort <-chan struct{}) (err error) {
	in, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	tmp := name + compressTemp
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = out.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := out.Chmod(info.Mode().Perm()); err != nil {
		return err
	}
	chownLike(out, info)

	zw := gzip.NewWriter(out)
	buf := make([]byte, compressChunk)
	for {
		select {
		case <-abort:
			return errStopped
		default:
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name+compressSuffix); err != nil {
		return err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
