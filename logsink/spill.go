package logsink

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/streamsink/streamsink/logsink/internal/spill"
)

// ErrSpillInUse is returned when a spill directory is locked by another
// stream, in this process or another. Test with errors.Is.
var ErrSpillInUse = spill.ErrInUse

// spilling is a stream's spill (WithSpill): the store on disk
// (logsink/internal/spill), the spiller goroutine that moves the ring into
// it under pressure, and the batch in flight that a Sync or a Close must
// account for. The fields marked "under s.mu" are the writers' business
// and take the stream's lock; moveMu orders the movers of ring regions.
type spilling struct {
	store *spill.Store
	dir   string

	// Under s.mu.
	phase       spillPhase
	full        bool // the last append found the spill full
	at          int  // ring level that wakes the spiller
	flight      flight
	flights     uint64 // batches copied out so far
	flightStuck error  // why the flight stays in memory: the store refused it
	flightLost  bool   // Close gave up and could not save the flight: counted as lost

	moveMu  sync.Mutex // one mover at a time: the spiller, a request, or the end
	moveEnd []int      // the mover's scratch, under moveMu

	wake     chan struct{} // capacity 1
	done     chan struct{} // closed when the spiller has returned
	lastSync time.Time     // the spiller's last sync of the store

	started bool    // set by startSpill, before any goroutine uses the store
	early   []error // what the store reported before that
}

// flight is the batch the flusher copied out of the ring and is writing
// (or the rest of it, after a short write): in memory only, until it is
// written or saved in the store. resolved is closed when it is, or when
// the store refused it (flightStuck).
type flight struct {
	p        []byte
	ends     []int
	resolved chan struct{}
}

// openSpill opens the store in dir for s. What the store skips and counts
// (a torn tail, an unreadable segment) is reported through OnError: what
// it finds while it opens, once the hooks run.
func (s *Stream) openSpill(dir string, maxBytes int64) error {
	fsys, err := s.opts.spillFS, error(nil)
	if fsys == nil {
		if fsys, err = spill.Dir(dir); err != nil {
			return fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
		}
	}
	sp := &spilling{dir: dir, wake: make(chan struct{}, 1), done: make(chan struct{})}
	// The store calls Report with its own lock held: s.fail only counts
	// and queues.
	report := func(err error) {
		err = fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
		if !sp.started {
			sp.early = append(sp.early, err)
			return
		}
		s.fail(err)
	}
	sp.store, err = spill.Open(spill.Config{FS: fsys, MaxBytes: maxBytes, Report: report})
	if err != nil {
		return fmt.Errorf("logsink: spill_dir=%q: %w", dir, err)
	}
	s.spill = sp
	return nil
}

// startSpill starts the spiller, once the hooks run, and reports what the
// store found at Open.
func (s *Stream) startSpill() {
	sp := s.spill
	sp.started = true
	for _, err := range sp.early {
		s.fail(err)
	}
	sp.early = nil
	go sp.run(s)
}

// addStats adds the store's counters to st.
func (sp *spilling) addStats(st *Stats) {
	if sp == nil {
		return
	}
	ss := sp.store.Stats()
	st.SpilledEntries, st.SpilledBytes = ss.AppendedEntries, ss.AppendedBytes
	st.ReplayedEntries, st.ReplayedBytes = ss.AckedEntries, ss.AckedBytes
	st.SpillBytes = uint64(max(ss.Size, 0))
	st.SpillCorrupt = ss.CorruptBytes
}

// errSpillFull says the spill holds its maximum: the policy decides.
var errSpillFull = spill.ErrFull

// spillErr wraps an error of the store for OnError and the callers.
func spillErr(err error) error {
	if err == nil || errors.Is(err, spill.ErrFull) {
		return err
	}
	return fmt.Errorf("logsink: spill: %w", err)
}

// errInMemory says that a request could not make the flight durable: the
// store refused it (why), so it is in memory only.
func errInMemory(what string, n int, why error) error {
	if why == nil {
		return fmt.Errorf("logsink: %s: %d bytes being written are in memory only", what, n)
	}
	return fmt.Errorf("logsink: %s: %d bytes being written are in memory only: %w", what, n, why)
}

// waitForMover returns once no mover is appending to the store: what it
// took from the ring is in the store then.
func (sp *spilling) waitForMover() {
	sp.moveMu.Lock()
	defer sp.moveMu.Unlock()
}
