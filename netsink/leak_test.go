package netsink_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("SPILL_SENDER_DIR"); dir != "" {
		spillSender(dir, os.Getenv("SPILL_SENDER_ADDR")) // a process of testSpillSenderKilled's
		return
	}
	goleak.VerifyTestMain(m)
}
