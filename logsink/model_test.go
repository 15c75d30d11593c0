package logsink_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// FuzzStream is the stream's model checker: each input is a program (the
// stream's options, a script of destination faults, calls from up to four
// writers, then Close or End), run against a real stream with a watchdog
// on every call, and then checked against every invariant the stream
// documents (see runModel). Run it longer than CI does with
//
//	go test -run '^$' -fuzz '^FuzzStream$' -fuzztime 10m ./logsink
//
// A failing input is saved in testdata/fuzz/FuzzStream and replays the
// same program as a seed of the normal tests.
func FuzzStream(f *testing.F) {
	for seed := range uint64(24) {
		f.Add(randomProgram(rand.New(rand.NewPCG(seed, 0x5eed))))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		runModel(t, decodeModel(data))
	})
}

// TestStreamModel runs random programs, with real goroutines, from a
// printed seed: STREAMSINK_MODEL_SEED=N replays a run, and
// STREAMSINK_MODEL_PROGRAMS sets how many programs it runs.
func TestStreamModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("STREAMSINK_MODEL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("STREAMSINK_MODEL_SEED=%q: %v", v, err)
		}
	}
	programs := 150
	if testing.Short() {
		programs = 20
	}
	if v := os.Getenv("STREAMSINK_MODEL_PROGRAMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("STREAMSINK_MODEL_PROGRAMS=%q: %v", v, err)
		}
		programs = n
	}
	t.Logf("STREAMSINK_MODEL_SEED=%d (%d programs)", seed, programs)
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	for i := range programs {
		data := randomProgram(rnd)
		ok := t.Run(strconv.Itoa(i), func(t *testing.T) {
			runModel(t, decodeModel(data))
		})
		if !ok {
			t.Logf("program %d failed; its fuzz input: %q", i, data)
		}
	}
}

// randomProgram returns a program's bytes.
func randomProgram(rnd *rand.Rand) []byte {
	b := make([]byte, 16+rnd.IntN(96))
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}
