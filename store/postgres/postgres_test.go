package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"context"
	"github.com/jackc/pgx/v5"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
	"github.com/talkbot/talkbot/store/storetest"
)

// mustOpen opens a store in a fresh schema and closes it when the test ends.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return openDSN(tb, pgtest.DSN(tb))
}

// mustOpenDSN returns the DSN of a fresh, migrated schema.
func mustOpenDSN(tb testing.TB) string {
	tb.Helper()
	dsn := pgtest.DSN(tb)
	openDSN(tb, dsn)
	return dsn
}

func openDSN(tb testing.TB, dsn string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	pgtest.ServerDSN(t) // one skip for the suite when there is no server
	storetest.Run(t, func(t *testing.T) bot.Store { return mustOpen(t) })
}

// TestMigrateOnceUnderConcurrentOpens starts several stores on one fresh
// schema at once, as replicas starting together do: all open, and the
// schema is migrated exactly once.
func TestMigrateOnceUnderConcurrentOpens(t *testing.T) {
	dsn := pgtest.DSN(t)
	const replicas = 4
	errs := make(chan error, replicas)
	dbs := make(chan *DB, replicas)
	for range replicas {
		go func() {
			db, err := Open(context.Background(), dsn, Options{})
			errs <- err
			dbs <- db
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
		if db := <-dbs; db != nil {
			defer db.Close()
		}
	}
	db := openDSN(t, dsn)
	var v, rows int
	if err := db.pool.QueryRow(context.Background(), `SELECT max(version), count(*) FROM schema_version`).Scan(&v, &rows); err != nil {
		t.Fatal(err)
	}
	if v != currentVersion() || rows != 1 {
		t.Errorf("schema_version: got version %d in %d rows, want %d in 1", v, rows, currentVersion())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	db := openDSN(t, dsn)
	newer := currentVersion() + 1
	if _, err := db.pool.Exec(context.Background(), `UPDATE schema_version SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), dsn, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("got %v, want %v", err, ErrSchemaTooNew)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", newer)) {
		t.Errorf("error %q does not name the database's version %d", err, newer)
	}
}

// TestFailedMigrationRollsBack runs a migration list whose second step
// fails: nothing of the first step, nor a version, may remain.
func TestFailedMigrationRollsBack(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms := []migration{
		{1, "001_a.sql", "CREATE TABLE a (x int)"},
		{2, "002_bad.sql", "CREATE TABLE b (x nosuchtype)"},
	}
	err = migrate(ctx, conn, ms)
	if err == nil || !strings.Contains(err.Error(), "migrate schema 1 to 2 (002_bad.sql)") {
		t.Fatalf("got %v, want the failing step named", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("tables after a failed migration: got %d, want 0", n)
	}
	// The list as it stands migrates cleanly over the rolled-back attempt,
	// and a second run is a no-op.
	real, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := migrate(ctx, conn, real); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
	}
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded schema files")
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("%s: got version %d, want %d", m.name, m.version, i+1)
		}
	}
}

const secret = "s3cret-pa55word"

// TestPasswordNeverInErrors opens unreachable and malformed DSNs that carry
// a password: no error may quote it.
func TestPasswordNeverInErrors(t *testing.T) {
	dsns := []string{
		"postgres://talkbot:" + secret + "@127.0.0.1:1/test?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=talkbot password=" + secret + " dbname=test sslmode=disable connect_timeout=2",
		"postgres://talkbot:" + secret + "@127.0.0.1:notaport/test",
		"postgres://talkbot:" + secret + "@127.0.0.1:1/test?sslmode=bogus",
		"host=127.0.0.1 password='" + secret,
	}
	for _, dsn := range dsns {
		_, err := Open(context.Background(), dsn, Options{})
		if err == nil {
			t.Errorf("Open(%q): got nil error", pgtest.Redact(dsn))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

// TestOpenRetrying points a retrying store at a port where nothing listens:
// it reports why it is not ready, without the password, and closes
// promptly. Pointed at the test server it becomes ready.
func TestOpenRetrying(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	db, err := OpenRetrying("postgres://talkbot:"+secret+"@127.0.0.1:1/test?sslmode=disable", Options{Log: log, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.Ping(ctx)
	if !errors.Is(err, ErrNotReady) {
		t.Errorf("Ping: got %v, want %v", err, ErrNotReady)
	}
	if _, err := db.Subscriptions(ctx); !errors.Is(err, ErrNotReady) {
		t.Errorf("Subscriptions: got %v, want %v", err, ErrNotReady)
	}
	// Wait until at least two attempts have failed, then check the reason.
	deadline := time.Now().Add(10 * time.Second)
	attempts := func() int { db.mu.Lock(); defer db.mu.Unlock(); return db.attempt }
	for attempts() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second attempt within 10s: %v", db.Ping(ctx))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.Ping(ctx); !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), secret) {
		t.Errorf("Ping: got %q, want the cause without the password", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log quotes the password: %s", &logs)
	}
	if !strings.Contains(logs.String(), "postgres not reachable, retrying") {
		t.Errorf("log %q does not say it retries", &logs)
	}

	db, err = OpenRetrying(pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	select {
	case <-db.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("not ready within 30s: %v", db.Ping(ctx))
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping when ready: %v", err)
	}
}
