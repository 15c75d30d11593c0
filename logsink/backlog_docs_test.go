package logsink_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// goBlock matches a Go code block of a markdown file.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// Every Go block of docs/backlog.md is a whole program that builds. The
// programs are built through go build's -overlay, as if they were files of
// the module, so nothing is written into the repository.
func TestBacklogDocsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	doc, err := os.ReadFile("../docs/backlog.md")
	require.NoError(t, err, "read the guide")
	blocks := goBlock.FindAllSubmatch(doc, -1)
	require.NotEmpty(t, blocks, "the guide has Go blocks")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for i, b := range blocks {
		t.Run(fmt.Sprint("block ", i), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "main.go")
			require.NoError(t, os.WriteFile(src, b[1], 0o600), "write the block")
			dir := filepath.Join(root, "internal", fmt.Sprintf("docsblock%d", i)) // exists only in the overlay
			overlay, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(dir, "main.go"): src}})
			require.NoError(t, err)
			ovFile := filepath.Join(t.TempDir(), "overlay.json")
			require.NoError(t, os.WriteFile(ovFile, overlay, 0o600))
			cmd := exec.Command("go", "build", "-overlay", ovFile, "-o", os.DevNull, "./internal/"+filepath.Base(dir))
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "block %d of docs/backlog.md builds:\n%s\n%s", i, b[1], out)
		})
	}
}
