// Package sinktest holds test doubles shared by streamsink's tests: a
// recording destination that can fail or stall on demand, and a MockClock.
package sinktest
