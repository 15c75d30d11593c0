// Package examples_test builds and runs every program under examples/, so
// that none of them can rot.
package examples_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples lists every program with its arguments and what its output
// must contain.
var examples = []struct {
	name  string
	args  []string
	stdin string
	want  []string // substrings of the combined output
}{
	{name: "backlog", args: []string{"-requests", "300", "-fail", "217"}, want: []string{"requests: 300, failed: 1", "info lines: 301, error lines: 1",
		"debug lines written: 3, all marked backlog: true, by request: req=217:3", "debug lines written before each error: req=217:3", `"backlog":true`}},
	{name: "backpressure", args: []string{"-entries", "3000"}, want: []string{"block", "drop", "waits for drain", " 3000 "}},
	{name: "quickstart", args: []string{"-dir", "logs"}, want: []string{"writing to logs", "app.log", "AfterRotate calls:", `"rotations":`}},
	{name: "httptail", args: []string{"-addr", "127.0.0.1:0"},
		want: []string{"live log: http://", "ndjson> {", `level=warn> {"level":"`, "sse> retry: 3000", "sse> data: {", "hub closed", `"lost_bytes":0`}},
	{name: "httptail-unix", want: []string{"listening on ", "drwx------", "Srw-------", "curl -N --unix-socket", "GET over the socket: 200 OK",
		`unix> {"level":"info"`, "hub closed", "socket removed"}},
	{name: "config", args: []string{"-dir", "."}, want: []string{"logs/app.log", "logs/audit.log", "-rw-------", `"rotations":`}},
	{name: "netsink", want: []string{"collector received 5000 of 5000 entries, in order: true", `"reconnects":1`, "OnError:", `"lost_bytes":0`}},
	{name: "pipe", args: []string{"-file", "logs/app.log", "-max-size", "4KiB"}, stdin: numberedLines(5000),
		want: []string{"5000 lines written, 0 dropped", "rotations", "app.log"}},
	{name: "slog", args: []string{"-dir", "."}, want: []string{"every warning kept: true", "summaries account for every drop: true",
		`"msg":"logsink: dropped log entries"`, `"service":"orders"`, "stats: {"}},
	{name: "spill", args: []string{"-entries", "20000", "-down", "1s"},
		want: []string{"collector stopped", "none missing: true", "in order: true", `"dropped":0`, `"spill_bytes":0`}},
	{name: "stdout", want: []string{`"msg":"starting"`, `"msg":"slow upstream"`, `"msg":"shutting down"`, "stats: {", "kept "}},
}

func numberedLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "line %d of the piped program's output\n", i)
	}
	return b.String()
}

func TestExamplesRun(t *testing.T) {
	for _, tt := range examples {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(t.TempDir(), tt.name)
			build := exec.Command("go", "build", "-o", bin, "./"+tt.name)
			out, err := build.CombinedOutput()
			require.NoError(t, err, "go build ./%s:\n%s", tt.name, out)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			cmd.Dir = t.TempDir()
			cmd.Stdin = strings.NewReader(tt.stdin)
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			require.NoError(t, cmd.Run(), "running %s:\n%s", tt.name, buf.String())
			for _, w := range tt.want {
				assert.Contains(t, buf.String(), w, "output of %s", tt.name)
			}
		})
	}
}

func TestEveryExampleIsRun(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var names []string
	for _, ex := range examples {
		names = append(names, ex.name)
	}
	for _, e := range entries {
		if e.IsDir() {
			assert.Contains(t, names, e.Name(), "examples/%s has no row in examples", e.Name())
		}
	}
}

// Run without -dir, the examples that write files write them in a temporary
// directory and remove it: nothing is left in TMPDIR.
func TestExamplesRemoveWhatTheyCreate(t *testing.T) {
	for _, tt := range []struct {
		name string
		says string // what the program prints before the directory it uses
		args []string
	}{
		{name: "quickstart", says: "writing to "},
		{name: "config", says: "writing to "},
		{name: "slog", says: "writing to "},
		{name: "httptail", says: "writing to ", args: []string{"-addr", "127.0.0.1:0"}},
		{name: "httptail-unix", says: "listening on "},
	} {
		name := tt.name
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(t.TempDir(), name)
			out, err := exec.Command("go", "build", "-o", bin, "./"+name).CombinedOutput()
			require.NoError(t, err, "go build ./%s:\n%s", name, out)

			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			out, err = cmd.CombinedOutput()
			require.NoError(t, err, "running %s:\n%s", name, out)
			assert.Contains(t, string(out), tt.says+tmp, "%s wrote in the temporary directory", name)
			left, err := os.ReadDir(tmp)
			require.NoError(t, err, "read TMPDIR")
			assert.Empty(t, left, "%s left files in TMPDIR", name)
			left, err = os.ReadDir(cmd.Dir)
			require.NoError(t, err, "read the working directory")
			assert.Empty(t, left, "%s left files in its working directory", name)
		})
	}
}
