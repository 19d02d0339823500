//go:build !linux

package search_test

import "time"

// threadCPU reports false: per-thread CPU time is read on Linux only.
func threadCPU() (time.Duration, bool) { return 0, false }

// processCPU reports false: process CPU time is read on Linux only.
func processCPU() (time.Duration, bool) { return 0, false }
