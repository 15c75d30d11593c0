// Package measure holds what the bench module's benchmarks and programs
// share: the summary of a Write latency distribution (BenchmarkLatency and
// cmd/stall) and the machine-readable record cmd/stall prints with -json
// for cmd/compare.
package measure
