package netsink_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if runSpillSender() { // a process of the spill tests' (spillsender_test.go)
		return
	}
	goleak.VerifyTestMain(m)
}
