package spill

import (
	"bytes"
	"testing"
)

// benchBatch is 64 entries of 128 bytes.
func benchBatch() ([]byte, []int) {
	var p []byte
	var ends []int
	for range 64 {
		p = append(p, bytes.Repeat([]byte("x"), 127)...)
		p = append(p, '\n')
		ends = append(ends, len(p))
	}
	return p, ends
}

func benchStore(b *testing.B, fsys FS) *Store {
	st, err := Open(Config{FS: fsys, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func realDir(b *testing.B) FS {
	fsys, err := Dir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return fsys
}

func BenchmarkAppend(b *testing.B) {
	st := benchStore(b, realDir(b))
	p, ends := benchBatch()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Append(p, ends); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendSync(b *testing.B) {
	st := benchStore(b, realDir(b))
	p, ends := benchBatch()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Append(p, ends); err != nil {
			b.Fatal(err)
		}
		if err := st.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAck appends and reads back batches of 8 KiB, each
// acknowledged with an fsync of the position: the price of the duplicate
// bound.
func BenchmarkReadAck(b *testing.B) {
	st := benchStore(b, realDir(b))
	p, ends := benchBatch()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	var buf []byte
	var e []int
	if err := st.Append(p, ends); err != nil { // one batch ahead: the store never empties
		b.Fatal(err)
	}
	for b.Loop() {
		if err := st.Append(p, ends); err != nil {
			b.Fatal(err)
		}
		var err error
		buf, e, err = st.Read(buf, e, len(p))
		if err != nil || len(e) != len(ends) {
			b.Fatal(err, len(e))
		}
		if err := st.Ack(); err != nil {
			b.Fatal(err)
		}
	}
}
