// Command pipe turns any program's output into a rotating, backpressured
// log file, like Apache's rotatelogs:
//
//	some-command | go run ./examples/pipe -file app.log -max-size 1MiB
//
// Each line read from stdin is one entry (Stream.ReadFrom), so a rotation
// never splits a line and the Drop policy never tears one. At EOF it closes
// the stream, which flushes and syncs everything, and prints what it did to
// stderr.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
)

func main() {
	file := flag.String("file", "app.log", "log file to write; backups are made beside it")
	var maxSize logsink.Size
	flag.TextVar(&maxSize, "max-size", logsink.Size(64<<10), "rotate when the file would pass this size")
	backups := flag.Int("max-backups", 0, "backups to keep (0 keeps all)")
	policy := flag.String("policy", "block", "block (lose nothing) or drop (never slow the writer)")
	flag.Parse()

	var p logsink.Policy
	if err := p.UnmarshalText([]byte(*policy)); err != nil {
		fatal(fmt.Errorf("-policy: %w", err))
	}
	s, err := rotate.Open(rotate.Config{Filename: *file, MaxSize: maxSize, MaxBackups: *backups},
		logsink.WithPolicy(p))
	if err != nil {
		fatal(err)
	}

	n, err := s.ReadFrom(os.Stdin)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fatal(err)
	}

	st := s.Stats()
	fmt.Fprintf(os.Stderr, "read %d bytes: %d lines written, %d dropped, %d rotations\n", n, st.Entries, st.Dropped, st.Rotations)
	matches, _ := filepath.Glob(strings.TrimSuffix(*file, filepath.Ext(*file)) + "*")
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			fmt.Fprintf(os.Stderr, "  %-40s %8d bytes\n", m, fi.Size())
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "pipe:", err)
	os.Exit(1)
}
