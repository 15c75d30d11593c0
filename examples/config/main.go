// Command config builds its loggers from a YAML file shipped beside it
// (config.yaml, embedded): a zap.Config whose OutputPaths use the rotate:
// URL scheme, and a rotate.Config section of the service's own. It logs
// enough to rotate both, closes everything and prints the files it made.
//
//	go run ./examples/config [-dir DIR] [-config FILE]
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
	_ "github.com/streamsink/streamsink/stdout" // registers stream:stdout and stream:stderr
)

//go:embed config.yaml
var defaultConfig []byte

// serviceConfig is how a service embeds streamsink's configs in its own.
type serviceConfig struct {
	Zap   zap.Config    `yaml:"zap"`
	Audit rotate.Config `yaml:"audit"`
}

func main() {
	dir := flag.String("dir", "", "working directory for the logs (default: a new temporary directory)")
	file := flag.String("config", "", "YAML config file (default: the config.yaml shipped with this example)")
	flag.Parse()

	data := defaultConfig
	if *file != "" {
		var err error
		if data, err = os.ReadFile(*file); err != nil {
			fatal(err)
		}
	}
	var cfg serviceConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		fatal(fmt.Errorf("config: %w", err))
	}

	if *dir == "" {
		var err error
		if *dir, err = os.MkdirTemp("", "streamsink-config-"); err != nil {
			fatal(err)
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fatal(err)
	}
	if err := os.Chdir(*dir); err != nil { // the config's relative paths
		fatal(err)
	}
	fmt.Println("writing to", *dir)

	logger, closeLogs, err := logsink.Build(cfg.Zap)
	if err != nil {
		fatal(err)
	}
	audit, err := cfg.Audit.Open()
	if err != nil {
		fatal(err)
	}

	for i := range 300 {
		logger.Info("request served", zap.Int("n", i), zap.String("path", "/api/v1/items"), zap.Int("status", 200))
		fmt.Fprintf(audit, "user %d changed setting %d\n", i%7, i)
	}
	logger.Warn("done logging")

	if err := closeLogs(); err != nil {
		fatal(err)
	}
	if err := audit.Close(); err != nil {
		fatal(err)
	}

	names, _ := filepath.Glob("logs/*")
	sort.Strings(names)
	for _, name := range names {
		if fi, err := os.Stat(name); err == nil {
			fmt.Printf("  %-42s %6d bytes  %v\n", name, fi.Size(), fi.Mode())
		}
	}
	fmt.Println("audit stream:", audit.Stats())
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "config:", err)
	os.Exit(1)
}
