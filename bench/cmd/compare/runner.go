package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// libraryModule is the module the bench module measures; -core points its
// replace elsewhere.
const libraryModule = "github.com/streamsink/streamsink"

// stallPkg is cmd/stall, relative to the bench module's root, where compare
// runs.
const stallPkg = "./cmd/stall"

// runAll builds the binaries once and runs them c.n times, interleaved,
// writing their output (benchmark lines and stall records) to raw. It
// returns the conditions of the runs for the table's heading.
func runAll(raw io.Writer, c config) (string, error) {
	if c.bench == "" && strings.TrimSpace(c.stall) == "" {
		return "", errors.New("-bench '' and -stall '': nothing to run")
	}
	dir, err := os.MkdirTemp("", "compare")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	benchBin, stallBin, err := build(dir, c)
	if err != nil {
		return "", err
	}

	start := time.Now()
	loads := []string{loadAvg()}
	for i := range c.n {
		fmt.Fprintf(os.Stderr, "run %d/%d (load average %s)\n", i+1, c.n, loads[len(loads)-1])
		if benchBin != "" {
			cmd := exec.Command(benchBin, "-test.run", "^$", "-test.bench", c.bench,
				"-test.benchtime", c.benchtime, "-test.count", "1")
			cmd.Dir = c.pkg
			if err := runTo(raw, cmd); err != nil {
				return "", fmt.Errorf("run %d: benchmarks: %w", i+1, err)
			}
		}
		if stallBin != "" {
			cmd := exec.Command(stallBin, append(strings.Fields(c.stall), "-json")...)
			if err := runTo(raw, cmd); err != nil {
				return "", fmt.Errorf("run %d: %s: %w", i+1, stallPkg, err)
			}
		}
		loads = append(loads, loadAvg())
	}
	what := "every benchmark matching " + c.bench + ", -benchtime " + c.benchtime
	if benchBin == "" {
		what = "no benchmark"
	}
	if stallBin != "" {
		what += ", then cmd/stall " + c.stall
	}
	return fmt.Sprintf("%d interleaved runs of %s; library %s; %s; load average (1, 5, 15 min) %s",
		c.n, what, describeCore(c.core), time.Since(start).Round(time.Second), strings.Join(loads, " → ")), nil
}

// runTo runs cmd, its output going to raw and, for the impatient, stderr.
func runTo(raw io.Writer, cmd *exec.Cmd) error {
	cmd.Stderr = os.Stderr
	cmd.Stdout = io.MultiWriter(raw, os.Stderr)
	return cmd.Run()
}

// build compiles the benchmarks' test binary (unless c.bench is empty) and
// cmd/stall (unless c.stall is empty) into dir, against c.core if it is set.
func build(dir string, c config) (benchBin, stallBin string, err error) {
	var modArgs []string
	if c.core != "" {
		modfile, err := coreModfile(dir, c.core)
		if err != nil {
			return "", "", err
		}
		modArgs = []string{"-modfile", modfile}
	}
	if c.bench != "" {
		benchBin = filepath.Join(dir, "bench.test")
		if err := goCmd(append(append([]string{"test", "-c", "-o", benchBin}, modArgs...), c.pkg)...); err != nil {
			return "", "", err
		}
	}
	if strings.TrimSpace(c.stall) != "" {
		stallBin = filepath.Join(dir, "stall")
		if err := goCmd(append(append([]string{"build", "-o", stallBin}, modArgs...), stallPkg)...); err != nil {
			return "", "", err
		}
	}
	return benchBin, stallBin, nil
}

func goCmd(args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// coreModfile writes into dir a copy of the bench module's go.mod and
// go.sum whose replace points at core, for go's -modfile flag: the bench
// module's own files stay as they are.
func coreModfile(dir, core string) (string, error) {
	abs, err := filepath.Abs(core)
	if err != nil {
		return "", fmt.Errorf("-core %q: %w", core, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("-core %q: not a checkout of the library: %w", core, err)
	}
	if !bytes.Contains(b, []byte("module "+libraryModule+"\n")) {
		return "", fmt.Errorf("-core %q: its go.mod is not module %s", core, libraryModule)
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	modfile := filepath.Join(dir, "bench.mod")
	for _, f := range []struct{ from, to string }{
		{filepath.Join(root, "go.mod"), modfile},
		{filepath.Join(root, "go.sum"), filepath.Join(dir, "bench.sum")},
	} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(f.to, b, 0o644); err != nil {
			return "", err
		}
	}
	if err := goCmd("mod", "edit", "-replace", libraryModule+"="+abs, modfile); err != nil {
		return "", err
	}
	return modfile, nil
}

// describeCore names the library's checkout the runs measured: its
// directory, the last commit that changed the library (the bench module
// aside), and whether the library had uncommitted changes.
func describeCore(core string) string {
	dir := core
	if dir == "" {
		dir = ".." // the bench module's replace
	}
	library := []string{"--", ".", ":(exclude)bench"}
	commit, err := exec.Command("git", append([]string{"-C", dir, "log", "-1", "--format=%h"}, library...)...).Output()
	if err != nil || len(bytes.TrimSpace(commit)) == 0 {
		return "at " + dir
	}
	s := fmt.Sprintf("at %s (last library commit %s", dir, strings.TrimSpace(string(commit)))
	st, err := exec.Command("git", append([]string{"-C", dir, "status", "--porcelain"}, library...)...).Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		s += ", with uncommitted changes"
	}
	return s + ")"
}
