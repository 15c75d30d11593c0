// Package docs_test checks the code in README.md and docs/*.md, so that
// what a reader copies compiles.
//
// TestDocs reads every fenced code block (``` or ~~~) of those files and
// checks:
//
//   - The fence names its language. A block that is not Go is fenced as
//     what it is: ```sh for commands, ```text for output and diagrams,
//     ```yaml, ```json, ```html.
//   - A ```go block compiles, as one of three kinds, told apart by its
//     text: a file (it begins with a package clause) is compiled as it is;
//     declarations (the block parses as top-level types, funcs, vars) are
//     compiled in a package of their own; anything else is a body,
//     compiled as the body of a func returning error, so "return err"
//     works and a variable it declares need not be used later.
//   - Imports are added for the packages a block names (logsink., zap.,
//     time., ...: see packages below), and the names snippets commonly
//     assume (s, p, enc, encCfg, cfg, logger, hub, ...: see assumed below)
//     are declared for it, so a snippet compiles as a reader sees it.
//   - A ```yaml or ```json block parses. One marked with the type it
//     configures is decoded into that type with unknown keys refused
//     (yaml KnownFields(true), json DisallowUnknownFields), as a service
//     should decode its config: a misspelt key is otherwise silently
//     ignored.
//
// A block is marked by HTML comments, invisible on GitHub and pkg.go.dev,
// on the lines right above its fence (blank lines may come between), one
// directive each:
//
//	<!-- doctest: assume var cfg struct{ Zap zap.Config } -->
//	    a declaration a Go block assumes, added to its package; it replaces
//	    an assumed name of the same name
//	<!-- doctest: body -->  <!-- doctest: decls -->  <!-- doctest: file -->
//	    the kind of a Go block, where its text does not tell
//	<!-- doctest: decode struct{ Audit rotate.Config `yaml:"audit"` } -->
//	    the Go type a YAML or JSON block configures
//	<!-- doctest: skip: the reason -->
//	    not compiled or decoded, for a block that needs a module streamsink
//	    does not depend on; the reason is required, and says what checks
//	    the block instead
//
// Every Go block becomes a package of its own in one temporary module that
// replaces streamsink with this checkout, and one "go vet" type-checks
// them all (offline, GOPROXY=off: the module cache holds what running this
// test needed); a second "go test" runs the decodes. //line directives
// make every error point at the Markdown file and line.
package docs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"
)

const module = "github.com/streamsink/streamsink"

// packages are the import paths of the package names a block may use
// without importing them.
var packages = map[string]string{
	"logsink": module + "/logsink", "rotate": module + "/rotate", "stdout": module + "/stdout",
	"netsink": module + "/netsink", "httptail": module + "/httptail",
	"zap": "go.uber.org/zap", "zapcore": "go.uber.org/zap/zapcore", "yaml": "go.yaml.in/yaml/v3",
	"lumberjack": "gopkg.in/natefinch/lumberjack.v2",
	"bufio":      "bufio", "bytes": "bytes", "context": "context", "errors": "errors", "expvar": "expvar",
	"flag": "flag", "fmt": "fmt", "io": "io", "log": "log", "os": "os", "strings": "strings",
	"strconv": "strconv", "sync": "sync", "syscall": "syscall", "time": "time", "runtime": "runtime",
	"slog": "log/slog", "http": "net/http", "net": "net", "url": "net/url", "json": "encoding/json",
	"filepath": "path/filepath", "signal": "os/signal", "tls": "crypto/tls", "x509": "crypto/x509",
	"atomic": "sync/atomic", "exec": "os/exec", "fs": "io/fs", "slices": "slices", "sort": "sort",
	"math": "math", "testing": "testing",
}

// assumed are the declarations of the names snippets commonly use without
// declaring them. A block gets those it uses and does not declare itself.
var assumed = map[string]string{
	"s":          "var s *logsink.Stream",
	"stream":     "var stream *logsink.Stream",
	"fileStream": "var fileStream *logsink.Stream",
	"streams":    "var streams *logsink.Streams",
	"p":          "var p []byte",
	"enc":        "var enc zapcore.Encoder",
	"encCfg":     "var encCfg zapcore.EncoderConfig",
	"cfg":        "var cfg zap.Config",
	"logger":     "var logger *zap.Logger",
	"f":          "var f *os.File",
	"hub":        "var hub *httptail.Hub",
	"mux":        "var mux *http.ServeMux",
	"adminMux":   "var adminMux *http.ServeMux",
	"w":          "var w http.ResponseWriter",
	"r":          "var r *http.Request",
	"ctx":        "var ctx context.Context",
	"upload":     "func upload(path string) {}",
}

// A block is one fenced code block.
type block struct {
	file  string // relative to the repository's root: README.md, docs/rotate.md
	line  int    // the fence's line
	lang  string
	text  string
	marks []mark
}

func (b block) pos() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// A mark is one doctest directive above a block.
type mark struct {
	verb, arg string
	line      int
}

func (b block) mark(verb string) (mark, bool) {
	for _, m := range b.marks {
		if m.verb == verb {
			return m, true
		}
	}
	return mark{}, false
}

var markRE = regexp.MustCompile(`^\s*<!--\s*doctest:\s*(\w+)(?::|\s)?\s*(.*?)\s*-->\s*$`)

// readBlocks returns the code blocks of the Markdown file rel, and what is
// wrong with its fences and marks.
func readBlocks(root, rel string) ([]block, []string, error) {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, nil, err
	}
	var (
		blocks   []block
		problems []string
		pending  []mark
		open     *block
		fence    string // the opening fence's run of ` or ~
		indent   int
		text     []string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " \t")
		if open != nil {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				open.text = strings.Join(text, "\n") + "\n"
				blocks = append(blocks, *open)
				open = nil
				continue
			}
			// Content loses the fence's indentation, as Markdown reads it.
			cut := 0
			for cut < indent && cut < len(line) && line[cut] == ' ' {
				cut++
			}
			text = append(text, line[cut:])
			continue
		}
		if m := markRE.FindStringSubmatch(line); m != nil {
			pending = append(pending, mark{verb: m[1], arg: m[2], line: n})
			continue
		}
		if run := fenceRun(trimmed); run != "" {
			info := strings.TrimSpace(trimmed[len(run):])
			lang, _, _ := strings.Cut(info, " ")
			open = &block{file: rel, line: n, lang: strings.ToLower(lang), marks: pending}
			fence, indent, text, pending = run, len(line)-len(trimmed), nil, nil
			continue
		}
		if strings.TrimSpace(line) != "" {
			for _, m := range pending {
				problems = append(problems, fmt.Sprintf("%s:%d: doctest mark %q is not right above a code block", rel, m.line, m.verb))
			}
			pending = nil
		}
	}
	if open != nil {
		problems = append(problems, fmt.Sprintf("%s: the code block fenced at line %d is never closed", open.pos(), open.line))
	}
	return blocks, problems, sc.Err()
}

// fenceRun returns the run of three or more backticks or tildes that line
// (trimmed) opens a code block with, or "".
func fenceRun(line string) string {
	for _, c := range []string{"`", "~"} {
		n := 0
		for n < len(line) && line[n] == c[0] {
			n++
		}
		if n >= 3 && (c == "~" || !strings.Contains(line[n:], "`")) {
			return line[:n]
		}
	}
	return ""
}

// markdownFiles lists README.md and docs/*.md, relative to root.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatalf("glob docs: %v", err)
	}
	for _, d := range docs {
		files = append(files, filepath.ToSlash(must(filepath.Rel(root, d))))
	}
	return files
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDocs checks every code block of README.md and docs/*.md: see the
// package comment.
func TestDocs(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var problems []string
	for _, rel := range markdownFiles(t, root) {
		bs, ps, err := readBlocks(root, rel)
		if err != nil {
			t.Fatalf("read %s: %v", rel, err)
		}
		blocks = append(blocks, bs...)
		problems = append(problems, ps...)
	}
	var goBlocks, decodeBlocks []block
	for _, b := range blocks {
		ps, compile, decode := checkBlock(b)
		problems = append(problems, ps...)
		if compile {
			goBlocks = append(goBlocks, b)
		}
		if decode {
			decodeBlocks = append(decodeBlocks, b)
		}
	}
	if len(problems) > 0 {
		t.Errorf("code blocks in the docs:\n\t%s\n(how to fence and mark a block: the comment at the top of docs/docs_test.go)",
			strings.Join(problems, "\n\t"))
	}
	if len(goBlocks)+len(decodeBlocks) == 0 {
		return
	}
	dir := t.TempDir()
	writeModule(t, root, dir)
	for i, b := range goBlocks {
		writeGoBlock(t, root, filepath.Join(dir, fmt.Sprintf("b%03d", i)), b)
	}
	if len(decodeBlocks) > 0 {
		writeDecodes(t, root, filepath.Join(dir, "decodes"), decodeBlocks)
	}
	if out, err := goCmd(dir, "vet", "-unreachable=false", "./..."); err != nil {
		t.Errorf("Go blocks in the docs do not compile (go vet: %v):\n%s\n"+
			"(a fragment may need a mark: see the comment at the top of docs/docs_test.go)", err, report(out, root, dir, goBlocks))
	}
	if len(decodeBlocks) > 0 {
		if out, err := goCmd(dir, "test", "-count=1", "./decodes"); err != nil {
			t.Errorf("YAML and JSON blocks in the docs do not decode into the types they configure (%v):\n%s",
				err, report(out, root, dir, goBlocks))
		}
	}
	t.Logf("%d Go blocks compiled, %d config blocks decoded, of %d code blocks", len(goBlocks), len(decodeBlocks), len(blocks))
}

// checkBlock checks what can be checked here and says whether b is to be
// compiled or decoded.
func checkBlock(b block) (problems []string, compile, decode bool) {
	bad := func(format string, args ...any) {
		problems = append(problems, b.pos()+": "+fmt.Sprintf(format, args...))
	}
	if b.lang == "" {
		bad("a code block without a language: fence it as what it is (```text for output or diagrams, ```sh for commands, ```go, ```yaml, ```json)")
	}
	known := map[string][]string{"assume": {"go"}, "body": {"go"}, "decls": {"go"}, "file": {"go"},
		"decode": {"yaml", "yml", "json"}, "skip": nil}
	for _, m := range b.marks {
		langs, ok := known[m.verb]
		switch {
		case !ok:
			bad("unknown doctest mark %q at line %d (want assume, body, decls, file, decode or skip)", m.verb, m.line)
		case langs != nil && !slices.Contains(langs, b.lang):
			bad("doctest mark %q at line %d is for ```%s blocks, not ```%s", m.verb, m.line, strings.Join(langs, ", ```"), b.lang)
		case m.verb == "skip" && m.arg == "":
			bad("doctest mark skip at line %d gives no reason (<!-- doctest: skip: what checks this block instead -->)", m.line)
		case (m.verb == "assume" || m.verb == "decode") && m.arg == "":
			bad("doctest mark %s at line %d gives no Go %s", m.verb, m.line, map[string]string{"assume": "declaration", "decode": "type"}[m.verb])
		}
	}
	if _, skip := b.mark("skip"); skip {
		return problems, false, false
	}
	switch b.lang {
	case "go":
		return problems, true, false
	case "yaml", "yml":
		if _, ok := b.mark("decode"); ok {
			return problems, false, true
		}
		d := yaml.NewDecoder(strings.NewReader(b.text))
		for {
			var v any
			err := d.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				bad("not YAML: %s", yamlLines(err, b))
				break
			}
		}
	case "json":
		if _, ok := b.mark("decode"); ok {
			return problems, false, true
		}
		d := json.NewDecoder(strings.NewReader(b.text))
		for {
			var v any
			err := d.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				line := b.line + 1 + strings.Count(b.text[:min(int(d.InputOffset()), len(b.text))], "\n")
				bad("not JSON (near line %d): %v", line, err)
				break
			}
		}
	}
	return problems, false, false
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlLines rewrites the block's line numbers in a YAML error as the
// Markdown file's.
func yamlLines(err error, b block) string {
	return yamlLineRE.ReplaceAllStringFunc(err.Error(), func(s string) string {
		n, _ := strconv.Atoi(s[len("line "):])
		return fmt.Sprintf("%s:%d", b.file, b.line+n)
	})
}

// writeModule writes the temporary module: streamsink's own requirements,
// and streamsink replaced by the checkout at root.
func writeModule(t *testing.T, root, dir string) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	modText := strings.Replace(string(mod), "module "+module, "module doctest.local", 1)
	modText += fmt.Sprintf("\nrequire %s v0.0.0\n\nreplace %s => %s\n", module, module, strconv.Quote(root))
	writeFile(t, filepath.Join(dir, "go.mod"), modText)
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineDirective points what follows at line n of the Markdown file.
func lineDirective(root, file string, n int) string {
	return fmt.Sprintf("//line %s:%d\n", filepath.Join(root, file), n)
}

// goKind tells a file, declarations or a body apart, unless b is marked.
func goKind(b block) string {
	for _, k := range []string{"file", "decls", "body"} {
		if _, ok := b.mark(k); ok {
			return k
		}
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(b.text)), []byte(b.text), nil, 0)
	if _, tok, _ := s.Scan(); tok == token.PACKAGE {
		return "file"
	}
	if _, err := parser.ParseFile(fset, "", "package p\n"+b.text, parser.SkipObjectResolution); err == nil {
		return "decls"
	}
	return "body"
}

// names is what a piece of Go declares and what it uses.
type names struct {
	declared  map[string]bool
	used      map[string]bool // identifiers, anywhere
	qualifier map[string]bool // X of X.Sel
}

func scan(n ast.Node) names {
	ns := names{declared: map[string]bool{}, used: map[string]bool{}, qualifier: map[string]bool{}}
	declare := func(ids ...*ast.Ident) {
		for _, id := range ids {
			ns.declared[id.Name] = true
		}
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			ns.used[n.Name] = true
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok {
				ns.qualifier[x.Name] = true
			}
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						declare(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						declare(id)
					}
				}
			}
		case *ast.ValueSpec:
			declare(n.Names...)
		case *ast.TypeSpec:
			declare(n.Name)
		case *ast.FuncDecl:
			declare(n.Name)
		case *ast.Field:
			declare(n.Names...)
		case *ast.ImportSpec:
			if n.Name != nil {
				declare(n.Name)
			} else if p, err := strconv.Unquote(n.Path.Value); err == nil {
				ns.declared[p[strings.LastIndex(p, "/")+1:]] = true
			}
		}
		return true
	})
	return ns
}

// imports returns an import declaration for the known packages that ns
// names without declaring.
func (ns names) imports() string {
	var paths []string
	for q := range ns.qualifier {
		if p, ok := packages[q]; ok && !ns.declared[q] {
			paths = append(paths, q+" "+strconv.Quote(p))
		}
	}
	if len(paths) == 0 {
		return ""
	}
	sort.Strings(paths)
	return "import (\n\t" + strings.Join(paths, "\n\t") + "\n)\n\n"
}

// writeGoBlock writes b as the package in dir.
func writeGoBlock(t *testing.T, root, dir string, b block) {
	t.Helper()
	fset := token.NewFileSet()
	var src strings.Builder
	pkg := "p"
	var ns names
	switch goKind(b) {
	case "file":
		src.WriteString(lineDirective(root, b.file, b.line+1) + b.text)
		if f, err := parser.ParseFile(fset, "", b.text, parser.SkipObjectResolution); err == nil {
			pkg, ns = f.Name.Name, scan(f)
		}
	case "decls":
		f, err := parser.ParseFile(fset, "", "package p\n"+b.text, parser.SkipObjectResolution)
		if err == nil {
			ns = scan(f)
		}
		src.WriteString("package p\n\n" + ns.imports() + lineDirective(root, b.file, b.line+1) + b.text)
	default: // body
		wrapped := "package p\nfunc docBlock() error {\n" + b.text + "\n}\n"
		var uses []string
		if f, err := parser.ParseFile(fset, "", wrapped, parser.SkipObjectResolution); err == nil {
			ns = scan(f)
			// What the body declares at its top level it need not use.
			for _, stmt := range f.Decls[0].(*ast.FuncDecl).Body.List {
				for _, name := range declaredVars(stmt) {
					uses = append(uses, "\t_ = "+name+"\n")
				}
			}
			sort.Strings(uses)
		}
		src.WriteString("package p\n\n" + ns.imports() + "func docBlock() error {\n" + lineDirective(root, b.file, b.line+1) + b.text +
			"//line doctest-wrapper.go:1\n" + strings.Join(uses, "") + "\treturn nil\n}\n")
	}
	writeFile(t, filepath.Join(dir, "block.go"), src.String())

	// The declarations the block assumes: its marks', then the common ones
	// it uses and does not declare.
	var decls []string
	given := map[string]bool{}
	for _, m := range b.marks {
		if m.verb != "assume" {
			continue
		}
		decls = append(decls, lineDirective(root, b.file, m.line)+m.arg+"\n")
		if f, err := parser.ParseFile(fset, "", "package p\n"+m.arg, parser.SkipObjectResolution); err == nil {
			for _, d := range f.Decls {
				for _, name := range declaredNames(d) {
					given[name] = true
				}
			}
		}
	}
	var common []string
	for name, decl := range assumed {
		if ns.used[name] && !ns.declared[name] && !given[name] {
			common = append(common, decl+"\n")
		}
	}
	sort.Strings(common)
	decls = append(decls, common...)
	if len(decls) == 0 {
		return
	}
	body := strings.Join(decls, "")
	var dns names
	if f, err := parser.ParseFile(fset, "", "package p\n"+body, parser.SkipObjectResolution); err == nil {
		dns = scan(f)
	}
	writeFile(t, filepath.Join(dir, "assumed.go"), "package "+pkg+"\n\n"+dns.imports()+"//line doctest-assumed.go:1\n"+body)
}

// declaredNames returns the names a statement or declaration declares in
// its own scope (not in nested ones).
func declaredNames(n ast.Node) []string {
	var out []string
	add := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id.Name != "_" {
				out = append(out, id.Name)
			}
		}
	}
	switch n := n.(type) {
	case *ast.AssignStmt:
		if n.Tok == token.DEFINE {
			for _, e := range n.Lhs {
				if id, ok := e.(*ast.Ident); ok {
					add(id)
				}
			}
		}
	case *ast.DeclStmt:
		return declaredNames(n.Decl)
	case *ast.GenDecl:
		for _, s := range n.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				add(s.Names...)
			case *ast.TypeSpec:
				add(s.Name)
			}
		}
	case *ast.FuncDecl:
		if n.Recv == nil {
			add(n.Name)
		}
	}
	return out
}

// declaredVars returns the variables a statement declares in its own
// scope: those a body must use, where types and constants may go unused.
func declaredVars(n ast.Stmt) []string {
	if d, ok := n.(*ast.DeclStmt); ok {
		if g, ok := d.Decl.(*ast.GenDecl); !ok || g.Tok != token.VAR {
			return nil
		}
	}
	return declaredNames(n)
}

// writeDecodes writes a test package that decodes each block into the
// type it is marked with, unknown keys refused.
func writeDecodes(t *testing.T, root, dir string, blocks []block) {
	t.Helper()
	var tests strings.Builder
	qual := names{declared: map[string]bool{}, used: map[string]bool{}, qualifier: map[string]bool{
		"errors": true, "io": true, "strings": true, "testing": true, "json": true, "yaml": true}}
	for i, b := range blocks {
		m, _ := b.mark("decode")
		if e, err := parser.ParseExpr(m.arg); err == nil {
			for q := range scan(e).qualifier {
				qual.qualifier[q] = true
			}
		}
		decode := "decodeYAML"
		if b.lang == "json" {
			decode = "decodeJSON"
		}
		fmt.Fprintf(&tests, "func TestBlock%03d(t *testing.T) {\n", i)
		fmt.Fprintf(&tests, "%s\tvar v %s\n//line doctest-decodes.go:1\n", lineDirective(root, b.file, m.line), m.arg)
		fmt.Fprintf(&tests, "\tif err := %s(%s, &v); err != nil {\n", decode, strconv.Quote(b.text))
		fmt.Fprintf(&tests, "\t\tt.Errorf(\"%%s: decoding into %%s, unknown keys refused (line numbers count from the block's first line): %%v\", %q, %q, err)\n\t}\n}\n\n", b.pos(), m.arg)
	}
	src := "package decodes\n\n" + qual.imports() + `func decodeYAML(text string, v any) error {
	d := yaml.NewDecoder(strings.NewReader(text))
	d.KnownFields(true)
	for {
		if err := d.Decode(v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func decodeJSON(text string, v any) error {
	d := json.NewDecoder(strings.NewReader(text))
	d.DisallowUnknownFields()
	for {
		if err := d.Decode(v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

` + tests.String()
	writeFile(t, filepath.Join(dir, "decodes_test.go"), src)
}

// goCmd runs the go command in the temporary module, offline.
func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	// -mod=mod lets the go command complete the module's go.sum from the
	// module cache; a -mod of the caller's would conflict with it.
	flags := []string{"-mod=mod"}
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if !strings.HasPrefix(f, "-mod=") {
			flags = append(flags, f)
		}
	}
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.Join(flags, " "), "GOPROXY=off", "GOWORK=off")
	return cmd.CombinedOutput()
}

var (
	pkgRE       = regexp.MustCompile(`\[?doctest\.local/b(\d+)\]?`)
	generatedRE = regexp.MustCompile(`b(\d+)/doctest-(wrapper|assumed)\.go:\d+`)
)

// report makes the go command's output read in the Markdown files' terms:
// paths relative to the repository, the generated packages and files
// named for the blocks they hold.
func report(out []byte, root, dir string, blocks []block) string {
	text := strings.ReplaceAll(string(out), root+string(filepath.Separator), "")
	text = strings.ReplaceAll(text, dir+string(filepath.Separator), "")
	at := func(n string) string {
		i, err := strconv.Atoi(n)
		if err != nil || i >= len(blocks) {
			return "block " + n
		}
		return blocks[i].pos()
	}
	text = generatedRE.ReplaceAllStringFunc(text, func(s string) string {
		m := generatedRE.FindStringSubmatch(s)
		if m[2] == "wrapper" {
			return at(m[1]) + " (at the end of the block)"
		}
		return at(m[1]) + " (in the declarations docs_test.go assumes for the block)"
	})
	return pkgRE.ReplaceAllStringFunc(text, func(s string) string {
		return "```go block at " + at(pkgRE.FindStringSubmatch(s)[1])
	})
}

// TestDocLinks checks that every relative link in README.md and docs/*.md
// leads to a file of this checkout and, for a #fragment, to a heading (or
// an <a id>) of the Markdown file it names, with GitHub's anchor names;
// and that the README's guide list links every guide under docs/.
// Links to other sites are left alone: the test runs offline.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]map[string]bool{} // by file, relative to root
	prose := map[string][]string{}          // each file's lines outside code blocks
	for _, rel := range markdownFiles(t, root) {
		lines, err := proseLines(filepath.Join(root, rel))
		if err != nil {
			t.Fatalf("read %s: %v", rel, err)
		}
		prose[rel] = lines
		anchors[rel] = headingAnchors(lines)
	}
	var problems []string
	links := 0
	for _, rel := range markdownFiles(t, root) {
		for i, line := range prose[rel] {
			line = inlineCodeRE.ReplaceAllString(line, "")
			var targets []string
			for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
				targets = append(targets, m[1])
			}
			if m := refLinkRE.FindStringSubmatch(line); m != nil {
				targets = append(targets, m[1])
			}
			for _, target := range targets {
				if schemeRE.MatchString(target) {
					continue
				}
				links++
				path, frag, _ := strings.Cut(target, "#")
				dest := rel
				if path != "" {
					dest = filepath.ToSlash(filepath.Join(filepath.Dir(rel), path))
				}
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					problems = append(problems, fmt.Sprintf("%s:%d: %s: no such file %s", rel, i+1, target, dest))
					continue
				}
				if frag == "" || !strings.HasSuffix(dest, ".md") {
					continue
				}
				if anchors[dest] == nil {
					lines, err := proseLines(filepath.Join(root, dest))
					if err != nil {
						t.Fatalf("read %s: %v", dest, err)
					}
					anchors[dest] = headingAnchors(lines)
				}
				if !anchors[dest][frag] {
					problems = append(problems, fmt.Sprintf("%s:%d: %s: no heading %q in %s", rel, i+1, target, "#"+frag, dest))
				}
			}
		}
	}
	readme := strings.Join(prose["README.md"], "\n")
	for _, rel := range markdownFiles(t, root)[1:] {
		if !strings.Contains(readme, "]("+rel+")") && !strings.Contains(readme, "]("+rel+"#") {
			problems = append(problems, fmt.Sprintf("README.md does not link the guide %s", rel))
		}
	}
	if len(problems) > 0 {
		t.Errorf("links in the docs:\n\t%s", strings.Join(problems, "\n\t"))
	}
	t.Logf("%d relative links checked", links)
}

var (
	linkRE       = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`) // [text](target "title")
	refLinkRE    = regexp.MustCompile(`^\[[^\]]+\]:\s+(\S+)`)           // [name]: target
	schemeRE     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)      // https:, mailto:
	inlineCodeRE = regexp.MustCompile("`[^`]*`")
	headingRE    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlAnchorRE = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
)

// proseLines returns the lines of a Markdown file, with the lines of its
// fenced code blocks blanked, so that line numbers stay the file's.
func proseLines(name string) ([]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			lines[i] = ""
		case fenceRun(trimmed) != "":
			fence = fenceRun(trimmed)
			lines[i] = ""
		}
	}
	return lines, nil
}

// headingAnchors returns the anchors GitHub makes for the headings of a
// Markdown file's prose lines: the text lowercased, without markup and
// punctuation but - and _, spaces made hyphens, "-1", "-2" added to
// repeats; and the ids of <a id="..."> tags.
func headingAnchors(lines []string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range lines {
		for _, m := range htmlAnchorRE.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		text := linkRE.ReplaceAllString(m[1], "")
		text = strings.NewReplacer("[", "", "]", "").Replace(text)
		var slug strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				slug.WriteRune(r)
			}
		}
		s := slug.String()
		if n := seen[s]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors
}
