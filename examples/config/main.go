// Command config builds its loggers from a YAML file shipped beside it
// (config.yaml, embedded): a zap.Config whose OutputPaths use the rotate:
// URL scheme, and an audit log section of the service's own that embeds
// rotate.Config. It logs enough to rotate both, closes everything and
// prints the files it made and the streams' stats.
//
//	go run ./examples/config [-dir DIR] [-config FILE]
//
// Without -dir it works in a new temporary directory and removes it at the
// end.
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/rotate"
	_ "github.com/streamsink/streamsink/stdout" // registers stream:stdout and stream:stderr
)

//go:embed config.yaml
var defaultConfig []byte

// serviceConfig is a service's own config file, holding streamsink's
// configs beside its own settings.
type serviceConfig struct {
	Zap   zap.Config `yaml:"zap"`
	Audit auditLog   `yaml:"audit"`
}

// auditLog embeds rotate.Config and adds a setting of the service's own:
// its fields and the embedded ones decode side by side, and the embedded
// config does not take over the struct's decoding.
type auditLog struct {
	rotate.Config `yaml:",inline"`
	Actor         string `yaml:"actor"`
}

// decode reads the config file with unknown keys refused. Without
// KnownFields a misspelt key ("max_sise: 100MB") is silently ignored and
// its setting keeps the default, which nobody notices until the disk fills.
// A value that does not parse fails here, quoting it; one that parses but
// is out of range (max_size: -1) decodes, and Open refuses it naming the
// key: "rotate: max_size=-1: must not be negative".
func decode(data []byte) (serviceConfig, error) {
	var cfg serviceConfig
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	err := d.Decode(&cfg)
	return cfg, err
}

func main() {
	dir := flag.String("dir", "", "working directory for the logs (default: a temporary directory, removed at the end)")
	file := flag.String("config", "", "YAML config file (default: the config.yaml shipped with this example)")
	flag.Parse()
	if err := run(*dir, *file); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(1)
	}
}

func run(dir, file string) error {
	data, name := defaultConfig, "config.yaml (embedded)"
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return err
		}
		name = file
	}
	cfg, err := decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}

	if dir == "" {
		tmp, err := os.MkdirTemp("", "streamsink-config-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil { // the config's relative paths
		return err
	}
	fmt.Println("writing to", dir)

	logger, streams, err := logsink.BuildStreams(cfg.Zap)
	if err != nil {
		return err
	}
	audit, err := rotate.Open(cfg.Audit.Config)
	if err != nil {
		return err
	}

	for i := range 300 {
		logger.Info("request served", zap.Int("n", i), zap.String("path", "/api/v1/items"), zap.Int("status", 200))
		fmt.Fprintf(audit, "%s: user %d changed setting %d\n", cfg.Audit.Actor, i%7, i)
	}
	logger.Warn("done logging")

	if err := streams.Close(); err != nil {
		return err
	}
	if err := audit.Close(); err != nil {
		return err
	}

	names, _ := filepath.Glob("logs/*")
	sort.Strings(names)
	for _, name := range names {
		if fi, err := os.Stat(name); err == nil {
			fmt.Printf("  %-42s %6d bytes  %v\n", name, fi.Size(), fi.Mode())
		}
	}
	for url, st := range streams.Stats() {
		fmt.Printf("%s\n  %s\n", url, st)
	}
	fmt.Println("audit stream:", audit.Stats())
	return nil
}
