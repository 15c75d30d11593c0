package logsink_test

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/streamsink/streamsink/logsink"
)

// scripted is the model's destination: each call does what the program's
// script says, in turn, and then succeeds. It records every byte it took,
// checks the entry ends an EntryWriter is handed, and notes how much it had
// taken when it was rotated or reopened.
type scripted struct {
	mu         sync.Mutex
	writes     []fault
	syncs      []fault
	broken     bool // EPIPE was returned: the reader is gone for good
	took       bytes.Buffer
	badEnds    []string // what was wrong with the ends handed over
	switchedAt []switchPoint
	calls      int
	release    chan struct{} // closed by Release: the calls hanging now return
	closes     int
}

// switchPoint is how many bytes the destination had taken when it was
// rotated or reopened, and which call that was.
type switchPoint struct {
	what string
	took int
}

func newScripted(m model) *scripted {
	return &scripted{writes: m.writes, syncs: m.syncs, release: make(chan struct{})}
}

// next takes the next fault from the script.
func (d *scripted) next(script *[]fault) (fault, chan struct{}) {
	f := faultOK
	if len(*script) > 0 {
		f, *script = (*script)[0], (*script)[1:]
	}
	if d.broken {
		f = faultEPIPE
	}
	if f == faultEPIPE {
		d.broken = true
	}
	return f, d.release
}

// Release lets every call that hangs now return.
func (d *scripted) Release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.release)
	d.release = make(chan struct{})
}

func (d *scripted) write(p []byte) (int, error) {
	d.mu.Lock()
	d.calls++
	f, release := d.next(&d.writes)
	d.mu.Unlock()
	switch f {
	case faultHang:
		<-release
	case faultSlow:
		time.Sleep(2 * time.Millisecond) // the destination's own pace
	}
	n, err := len(p), error(nil)
	switch f {
	case faultShort:
		n = len(p) / 2
	case faultEAGAIN:
		n, err = 0, syscall.EAGAIN
	case faultEIO:
		n, err = 0, syscall.EIO
	case faultPartial:
		n, err = len(p)/2, syscall.EIO
	case faultEPIPE:
		n, err = 0, syscall.EPIPE
	}
	d.mu.Lock()
	d.took.Write(p[:n])
	d.mu.Unlock()
	return n, err
}

func (d *scripted) Write(p []byte) (int, error) { return d.write(p) }

// checkEnds notes what breaks the rule for ends: at least one, strictly
// increasing, the last at len(p), every entry ending in its only newline.
// The first entry of a call may be the rest of one a short write cut.
func (d *scripted) checkEnds(p []byte, ends []int) {
	if err := logsink.CheckEnds(p, ends); err != nil {
		d.badEnds = append(d.badEnds, err.Error())
		return
	}
	start := 0
	for _, e := range ends {
		if p[e-1] != '\n' || bytes.IndexByte(p[start:e-1], '\n') >= 0 {
			d.badEnds = append(d.badEnds, fmt.Sprintf("entry [%d:%d] of %q is not one entry", start, e, p))
			return
		}
		start = e
	}
}

// The model's destination kinds: plain, an EntryWriter, a file.
type (
	plainDest   struct{ d *scripted }
	entriesDest struct{ d *scripted }
	fileDest    struct{ d *scripted }
)

func (p plainDest) Write(b []byte) (int, error) { return p.d.write(b) }

func (e entriesDest) Write(b []byte) (int, error) { return e.d.write(b) }

func (e entriesDest) WriteEntries(b []byte, ends []int) (int, error) {
	e.d.mu.Lock()
	e.d.checkEnds(b, ends)
	e.d.mu.Unlock()
	return e.d.write(b)
}

func (f fileDest) Write(b []byte) (int, error) { return f.d.write(b) }
func (f fileDest) Sync() error                 { return f.d.control("sync") }
func (f fileDest) Rotate() error               { return f.d.control("rotate") }
func (f fileDest) Reopen() error               { return f.d.control("reopen") }

func (f fileDest) Close() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	f.d.closes++
	return nil
}

// control runs a Sync, Rotate or Reopen by the sync script.
func (d *scripted) control(what string) error {
	d.mu.Lock()
	f, release := faultOK, d.release
	if len(d.syncs) > 0 {
		f, d.syncs = d.syncs[0], d.syncs[1:]
	}
	d.mu.Unlock()
	if f == faultHang {
		<-release
	}
	if f == faultEIO {
		return fmt.Errorf("%s: %w", what, syscall.EIO)
	}
	if what != "sync" {
		d.mu.Lock()
		d.switchedAt = append(d.switchedAt, switchPoint{what, d.took.Len()})
		d.mu.Unlock()
	}
	return nil
}

// destination returns the io.Writer of the program's kind.
func (d *scripted) destination(kind destKind) io.Writer {
	switch kind {
	case destEntries:
		return entriesDest{d}
	case destFile:
		return fileDest{d}
	}
	return plainDest{d}
}

// taken returns how many bytes the destination has taken.
func (d *scripted) taken() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.took.Len()
}
