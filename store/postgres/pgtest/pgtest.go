// Package pgtest gives tests a PostgreSQL schema of their own, so that
// tests against one server run in parallel and leave nothing behind.
//
// The server is TALKBOT_TEST_POSTGRES_DSN, else
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. When it cannot
// be reached the tests are skipped, except under CI=true, where they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the test server's DSN.
const EnvDSN = "TALKBOT_TEST_POSTGRES_DSN"

// DefaultDSN is tried when EnvDSN is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	once    sync.Once
	baseDSN string
	downErr error
)

// ServerDSN returns the test server's DSN, or skips tb (fails it under
// CI=true) when the server does not answer. The reachability check runs
// once per test binary.
func ServerDSN(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		baseDSN = os.Getenv(EnvDSN)
		if baseDSN == "" {
			baseDSN = DefaultDSN
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, baseDSN)
		if err != nil {
			downErr = err
			if os.Getenv("CI") != "true" {
				fmt.Fprintf(os.Stderr, "PostgreSQL tests skipped: no server at %s; to run them, start one and set %s=postgres://user:pass@host:5432/db?sslmode=disable\n", Redact(baseDSN), EnvDSN)
			}
			return
		}
		c.Close(ctx)
	})
	if downErr != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true and PostgreSQL at %s is unreachable: %v", Redact(baseDSN), downErr)
		}
		tb.Skipf("no PostgreSQL at %s; set %s to run", Redact(baseDSN), EnvDSN)
	}
	return baseDSN
}

// DSN creates a fresh schema on the test server and returns a DSN whose
// search_path is that schema; the schema and everything in it is dropped
// when the test ends. It skips as ServerDSN does.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := ServerDSN(tb)
	var b [6]byte
	rand.Read(b[:])
	schema := "talkbot_test_" + hex.EncodeToString(b[:])
	exec(tb, base, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { exec(tb, base, "DROP SCHEMA "+schema+" CASCADE") })
	return WithParam(tb, base, "search_path", schema)
}

// WithParam returns dsn (a URL) with a query parameter set.
func WithParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s is not a URL", EnvDSN)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on the server named by dsn.
func exec(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to test server: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// Redact returns a URL DSN with its password replaced by "xxxxx".
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}
