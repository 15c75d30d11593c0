package logsink_test

import (
	"fmt"
	"strings"

	"github.com/streamsink/streamsink/logsink"
)

func ExampleNew() {
	// Any io.Writer is a destination. The stream owns it: Close flushes,
	// syncs and then closes it if it is an io.Closer (an *os.File, say).
	var out strings.Builder
	s := logsink.New(&out, logsink.WithPolicy(logsink.Drop))
	fmt.Fprintln(s, "buffered, then written by the flusher")
	if err := s.Close(); err != nil {
		fmt.Println("close:", err)
	}
	fmt.Print(out.String())
	fmt.Println(s.Stats())
	// Output:
	// buffered, then written by the flusher
	// {"entries":1,"bytes":38,"dropped":0,"dropped_bytes":0,"lost_bytes":0,"flushes":1,"errors":0,"rotations":0,"reopens":0,"sampled":0,"spilled_entries":0,"spilled_bytes":0,"replayed_entries":0,"replayed_bytes":0,"spill_bytes":0,"spill_corrupt":0}
}

func ExampleStream_ReadFrom() {
	// Like readable.pipe(writable): each line becomes one entry.
	var out strings.Builder
	s := logsink.New(&out)
	n, err := s.ReadFrom(strings.NewReader("first\nsecond\nno newline"))
	fmt.Println(n, err)
	_ = s.Close()
	fmt.Println(s.Stats().Entries, "entries")
	fmt.Printf("%q\n", out.String())
	// Output:
	// 23 <nil>
	// 3 entries
	// "first\nsecond\nno newline"
}

func ExampleStream_Drained() {
	// A producer that respects backpressure, as in Node.js:
	// if (!stream.write(chunk)) await once(stream, 'drain').
	var out strings.Builder
	s := logsink.New(&out, logsink.WithHighWaterMark(64))
	for i := range 100 {
		fmt.Fprintf(s, "entry %d\n", i)
		if s.NeedDrain() {
			<-s.Drained()
		}
	}
	_ = s.Close()
	fmt.Println(strings.Count(out.String(), "\n"), "lines,", s.Stats().Dropped, "dropped")
	// Output:
	// 100 lines, 0 dropped
}

func ExamplePolicy_UnmarshalText() {
	var p logsink.Policy
	fmt.Println(p.UnmarshalText([]byte("drop")), p)
	fmt.Println(p.UnmarshalText([]byte("sometimes")))
	// Output:
	// <nil> drop
	// logsink: unknown policy "sometimes" (want block or drop)
}
