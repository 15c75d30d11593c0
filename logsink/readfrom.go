package logsink

import (
	"bufio"
	"errors"
	"io"
)

// ReadFrom reads r until EOF and writes each line, with its newline, as one
// entry, so that the Drop policy never tears a line; a final line without a
// newline is an entry too. It returns the number of bytes read, like Node's
// readable.pipe(writable) with backpressure: under Block it reads no faster
// than the destination takes.
//
// ReadFrom holds at most one buffer's worth of a line: a line longer than
// the buffer size is written as consecutive entries of the buffer size (the
// last one shorter). Under Block no byte is lost; under Drop each piece is
// kept or dropped whole, and counted.
func (s *Stream) ReadFrom(r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, min(64<<10, s.opts.bufferSize))
	var total int64
	var long []byte // a line longer than br's buffer, gathered in pieces
	for {
		chunk, err := br.ReadSlice('\n')
		total += int64(len(chunk))
		partial := errors.Is(err, bufio.ErrBufferFull)
		if partial || len(long) > 0 {
			var werr error
			if long, werr = s.gatherLine(long, chunk); werr != nil {
				return total, werr
			}
			if partial {
				continue
			}
			chunk = long
		}
		if len(chunk) > 0 {
			if _, werr := s.Write(chunk); werr != nil {
				return total, werr
			}
		}
		long = long[:0]
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// gatherLine appends chunk to the long line gathered so far, first writing
// the gathered piece as an entry whenever it has reached the buffer size.
func (s *Stream) gatherLine(long, chunk []byte) ([]byte, error) {
	limit := s.opts.bufferSize
	for len(chunk) > 0 {
		if len(long) == limit {
			if _, err := s.Write(long); err != nil {
				return long, err
			}
			long = long[:0]
		}
		k := min(len(chunk), limit-len(long))
		long = append(long, chunk[:k]...)
		chunk = chunk[k:]
	}
	return long, nil
}
