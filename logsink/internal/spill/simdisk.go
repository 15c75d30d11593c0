package spill

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"sync"
)

// SimDisk is an FS in memory that keeps what a POSIX file system promises
// to keep at a power cut, and no more: a file's data up to its last fsync
// (File.Sync), and the directory's entries (create, rename, remove) up to
// the directory's last fsync (SyncDir). PowerCut returns the disk as a
// machine would find it on restart, with what was not synced lost, torn,
// zeroed or partly written, as a chooser decides; the chooser is the fuzz
// input's, so that a saved input replays the same cut. Anchors: SQLite's
// crash-test VFS, RocksDB's FaultInjectionTestFS, the ALICE study (OSDI
// 2014).
//
// It is safe for concurrent use. Its zero value is not: use NewSimDisk.
type SimDisk struct {
	mu      sync.Mutex
	live    map[string]*simInode // the directory as calls see it
	durable map[string]*simInode // the directory at its last fsync
	dirLog  []simDirOp           // entry changes since then
	locked  bool
	off     bool // the power is cut: every call fails
	budget  int  // mutating calls left before the power goes; < 0: no limit
	calls   int  // mutating calls so far
	fault   func(op, name string) error
}

// ErrPowerCut is returned by every call to a SimDisk after its power was
// cut (PowerCut, CutAfter).
var ErrPowerCut = errors.New("spill: simulated disk: power cut")

type simInode struct {
	data   []byte     // what reads see
	synced []byte     // the data at the last fsync
	log    []simWrite // writes and truncates since then
}

type simWrite struct {
	off      int64
	data     []byte
	truncate bool // a truncate to off
}

type simDirOp struct {
	kind     string // "create", "remove", "rename"
	name, to string
	ino      *simInode
}

// NewSimDisk returns an empty simulated disk.
func NewSimDisk() *SimDisk {
	return &SimDisk{live: map[string]*simInode{}, durable: map[string]*simInode{}, budget: -1}
}

// CutAfter cuts the power after n more mutating calls (create, write,
// truncate, sync, rename, remove, directory sync): the call after them
// fails with ErrPowerCut and has no effect, like every later call.
func (d *SimDisk) CutAfter(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.budget = n
}

// Calls returns the mutating calls made so far.
func (d *SimDisk) Calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

// Off reports whether the power is cut: every call fails with
// ErrPowerCut.
func (d *SimDisk) Off() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.off
}

// SetFault makes every call consult f first, with the call's name ("open",
// "read", "write", "sync", ...) and file name: a non-nil error fails the
// call without effect.
func (d *SimDisk) SetFault(f func(op, name string) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fault = f
}

// PowerCut cuts the power and returns the disk a restarted machine finds:
// the directory as of its last fsync plus, for each change since, what
// choose(2) says (1: it reached the disk); each file's data as of its last
// fsync plus, for each write since, what choose(5) says: 0 lost, 1 whole,
// 2 a prefix, 3 zeros over its extent (the size reached the disk, the data
// did not), 4 a prefix and zeros after it (torn); a truncate since by
// choose(2). Prefix lengths come from choose(len+1). choose(n) must return
// a value in [0, n). Every call to the old disk fails from now on.
func (d *SimDisk) PowerCut(choose func(n int) int) *SimDisk {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.off = true
	ns := maps.Clone(d.durable)
	for _, op := range d.dirLog {
		if choose(2) == 0 {
			continue
		}
		switch op.kind {
		case "create":
			ns[op.name] = op.ino
		case "remove":
			delete(ns, op.name)
		case "rename":
			if ino, ok := ns[op.name]; ok {
				ns[op.to] = ino
				delete(ns, op.name)
			}
		}
	}
	nd := NewSimDisk()
	after := map[*simInode]*simInode{}
	for _, name := range slices.Sorted(maps.Keys(ns)) {
		ino := ns[name]
		if after[ino] == nil {
			data := ino.afterCut(choose)
			after[ino] = &simInode{data: data, synced: slices.Clone(data)}
		}
		nd.live[name] = after[ino]
		nd.durable[name] = after[ino]
	}
	return nd
}

// afterCut returns the file's data after a power cut.
func (ino *simInode) afterCut(choose func(n int) int) []byte {
	data := slices.Clone(ino.synced)
	for _, w := range ino.log {
		if w.truncate {
			if choose(2) == 1 {
				data = resize(data, w.off)
			}
			continue
		}
		var part []byte
		switch choose(5) {
		case 0:
			continue
		case 1:
			part = w.data
		case 2:
			part = w.data[:choose(len(w.data)+1)]
		case 3:
			part = make([]byte, len(w.data))
		case 4:
			part = make([]byte, len(w.data))
			copy(part, w.data[:choose(len(w.data)+1)])
		}
		data = writeAt(data, part, w.off)
	}
	return data
}

func resize(data []byte, size int64) []byte {
	if int64(len(data)) >= size {
		return data[:size]
	}
	return append(data, make([]byte, size-int64(len(data)))...)
}

func writeAt(data, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(data)) {
		data = resize(data, end)
	}
	copy(data[off:], p)
	return data
}

// enter checks a call: the power, the fault hook, and for a mutating call
// the budget. Called with d.mu held.
func (d *SimDisk) enter(op, name string, mutates bool) error {
	if d.off {
		return ErrPowerCut
	}
	if d.fault != nil {
		if err := d.fault(op, name); err != nil {
			return err
		}
	}
	if !mutates {
		return nil
	}
	if d.budget == 0 {
		d.off = true
		return ErrPowerCut
	}
	if d.budget > 0 {
		d.budget--
	}
	d.calls++
	return nil
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// Create implements FS.
func (d *SimDisk) Create(name string) (File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("create", name, true); err != nil {
		return nil, pathErr("create", name, err)
	}
	if _, ok := d.live[name]; ok {
		return nil, pathErr("create", name, fs.ErrExist)
	}
	ino := &simInode{}
	d.live[name] = ino
	d.dirLog = append(d.dirLog, simDirOp{kind: "create", name: name, ino: ino})
	return &simFile{d: d, ino: ino, name: name}, nil
}

// Open implements FS.
func (d *SimDisk) Open(name string) (File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("open", name, false); err != nil {
		return nil, pathErr("open", name, err)
	}
	ino, ok := d.live[name]
	if !ok {
		return nil, pathErr("open", name, fs.ErrNotExist)
	}
	return &simFile{d: d, ino: ino, name: name}, nil
}

// Rename implements FS.
func (d *SimDisk) Rename(oldname, newname string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("rename", oldname, true); err != nil {
		return pathErr("rename", oldname, err)
	}
	ino, ok := d.live[oldname]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	d.live[newname] = ino
	delete(d.live, oldname)
	d.dirLog = append(d.dirLog, simDirOp{kind: "rename", name: oldname, to: newname})
	return nil
}

// Remove implements FS.
func (d *SimDisk) Remove(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("remove", name, true); err != nil {
		return pathErr("remove", name, err)
	}
	if _, ok := d.live[name]; !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	delete(d.live, name)
	d.dirLog = append(d.dirLog, simDirOp{kind: "remove", name: name})
	return nil
}

// Size implements FS.
func (d *SimDisk) Size(name string) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("size", name, false); err != nil {
		return 0, pathErr("stat", name, err)
	}
	ino, ok := d.live[name]
	if !ok {
		return 0, pathErr("stat", name, fs.ErrNotExist)
	}
	return int64(len(ino.data)), nil
}

// ReadDir implements FS.
func (d *SimDisk) ReadDir() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("readdir", "", false); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(d.live)), nil
}

// SyncDir implements FS.
func (d *SimDisk) SyncDir() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("syncdir", "", true); err != nil {
		return err
	}
	d.durable = maps.Clone(d.live)
	d.dirLog = nil
	return nil
}

// Lock implements FS: one holder at a time; a power cut releases it.
func (d *SimDisk) Lock() (io.Closer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter("lock", lockName, false); err != nil {
		return nil, err
	}
	if d.locked {
		return nil, ErrInUse
	}
	d.locked = true
	return simLock{d: d, once: &sync.Once{}}, nil
}

type simLock struct {
	d    *SimDisk
	once *sync.Once
}

func (l simLock) Close() error {
	l.once.Do(func() {
		l.d.mu.Lock()
		l.d.locked = false
		l.d.mu.Unlock()
	})
	return nil
}

// ReadFile returns the data of the file name as reads see it now.
func (d *SimDisk) ReadFile(name string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ino, ok := d.live[name]
	if !ok {
		return nil, pathErr("open", name, fs.ErrNotExist)
	}
	return slices.Clone(ino.data), nil
}

// simFile is an open file of a SimDisk.
type simFile struct {
	d      *SimDisk
	ino    *simInode
	name   string
	closed bool
}

func (f *simFile) check(op string, mutates bool) error {
	if f.closed {
		return pathErr(op, f.name, fs.ErrClosed)
	}
	if err := f.d.enter(op, f.name, mutates); err != nil {
		return pathErr(op, f.name, err)
	}
	return nil
}

func (f *simFile) ReadAt(p []byte, off int64) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, fmt.Errorf("negative offset %d", off))
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *simFile) WriteAt(p []byte, off int64) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	f.ino.data = writeAt(f.ino.data, p, off)
	f.ino.log = append(f.ino.log, simWrite{off: off, data: slices.Clone(p)})
	return len(p), nil
}

func (f *simFile) Sync() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if err := f.check("sync", true); err != nil {
		return err
	}
	f.ino.synced = slices.Clone(f.ino.data)
	f.ino.log = nil
	return nil
}

func (f *simFile) Truncate(size int64) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if err := f.check("truncate", true); err != nil {
		return err
	}
	f.ino.data = resize(f.ino.data, size)
	f.ino.log = append(f.ino.log, simWrite{off: size, truncate: true})
	return nil
}

func (f *simFile) Close() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}
