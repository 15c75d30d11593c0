package spill

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestCrashProgramsRandom runs the crash programs of FuzzSpillCrash on
// random inputs from a printed seed, so that a plain go test covers more
// than the saved seeds. A failure prints the input to save as a seed.
func TestCrashProgramsRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	runs := 300
	if testing.Short() {
		runs = 50
	}
	for range runs {
		input := make([]byte, 16+rng.IntN(600))
		for i := range input {
			input[i] = byte(rng.UintN(256))
		}
		ok := t.Run("", func(t *testing.T) { runCrashProgram(t, input) })
		if !ok {
			t.Fatalf("failing input: %q", input)
		}
	}
}
