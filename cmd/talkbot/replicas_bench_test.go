package main

import (
	"testing"

	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

// BenchmarkDigest10kZeroLatencyPostgres is BenchmarkDigest10kZeroLatency
// on PostgreSQL (TALKBOT_TEST_POSTGRES_DSN; skipped without a server):
// 10,000 Slack channels, a fake API that answers at once, default
// workers. What is left is talkbot's own cost: reading the plan, and per
// channel a ledger claim and a delivery record. Issue 14's goal: under 5 s.
//
//	go test -run '^$' -bench 'Digest10kZeroLatency' -benchtime 3x ./cmd/talkbot/
func BenchmarkDigest10kZeroLatencyPostgres(b *testing.B) {
	benchDigest(b, 0, 0, func(b *testing.B, c *StoreConfig) { c.Driver, c.DSN = driverPostgres, pgtest.DSN(b) })
}
