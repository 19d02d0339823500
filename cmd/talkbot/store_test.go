package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/store/bolt"
	"github.com/talkbot/talkbot/store/postgres"
	"github.com/talkbot/talkbot/store/postgres/pgtest"
)

const dsnSecret = "hunter2-s3cret"

func TestStoreConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "" for none
		driver  string
	}{
		{"default is bolt", nil, "", "bolt"},
		{"postgres from env", map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": "postgres://u:" + dsnSecret + "@db:5432/talkbot"}, "", "postgres"},
		{"key=value dsn", map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": "host=db user=u password=" + dsnSecret}, "", "postgres"},
		{"unknown driver", map[string]string{"TALKBOT_STORE_DRIVER": "sqlite"}, `store.driver must be "bolt" or "postgres", not "sqlite"`, ""},
		{"postgres without dsn", map[string]string{"TALKBOT_STORE_DRIVER": "postgres"}, "store.dsn must be set", ""},
		{"bad dsn", map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": "postgres://u:" + dsnSecret + "@db:notaport/x"}, "store.dsn: not a valid", ""},
		{"bad key=value dsn", map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": "host=db password='" + dsnSecret}, "store.dsn: not a valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			cfg, err := loadConfig(filepath.Join(t.TempDir(), "none.toml"), false, getenv)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if cfg.Store.Driver != tt.driver {
					t.Errorf("driver: got %q, want %q", cfg.Store.Driver, tt.driver)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), dsnSecret) {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}

func TestStoreCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"store"},
		{"store", "vacuum"},
		{"store", "migrate", "--to", "postgres:postgres://h/db"},
		{"store", "migrate", "--from", "sqlite:x.db", "--to", "postgres:postgres://h/db"},
		{"store", "migrate", "--from", "bolt:x.db"},
		{"store", "migrate", "--from", "bolt:x.db", "--to", "postgres"},
		{"store", "migrate", "--from", "bolt:x.db", "--to", "postgres:postgres://u:" + dsnSecret + "@h:bad/db"},
	} {
		_, _, err := runT(t, nil, "", args...)
		if err == nil {
			t.Errorf("%q: got nil error, want a usage error", args)
			continue
		}
		if strings.Contains(err.Error(), dsnSecret) {
			t.Errorf("%q: error quotes the password: %v", args, err)
		}
	}
}

// TestStoreMigrateAndCheck fills a bbolt store, copies it into PostgreSQL
// twice through the CLI (the second run copies nothing), and checks that
// store check reports the same counts on both drivers.
func TestStoreMigrateAndCheck(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "talkbot.db")
	src, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	subs := []bot.Subscription{
		{ChannelRef: bot.ChannelRef{Platform: "slack", Team: "T1", Channel: "C1"}, Topics: []string{"go"}, By: "U1", Since: t0, Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "discord", Channel: "42"}, Since: t0, Paused: true, Reason: "missing_access", Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C2"}, Since: t0, Updated: t0},
	}
	if err := src.PutSubscriptions(ctx, subs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		scope string
		w     bot.Week
		id    string
	}{{"", 1, "a"}, {"", 2, "b"}, {"go", 2, "c"}} {
		if _, err := src.Feature(ctx, f.scope, f.w, f.id); err != nil {
			t.Fatal(err)
		}
	}
	ds := []bot.Delivery{
		{Week: 2, Channel: subs[0].ChannelRef, TalkID: "c", MessageID: "1.2", At: t0},
		{Week: 2, Channel: subs[2].ChannelRef, TalkID: "b", At: t0, Pending: true},
	}
	for _, d := range ds {
		if err := src.MarkDelivered(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()

	boltEnv := map[string]string{"TALKBOT_STORE_PATH": path}
	boltCheck, _, err := runT(t, boltEnv, "", "store", "check")
	if err != nil {
		t.Fatalf("store check (bolt): %v", err)
	}

	out, _, err := runT(t, nil, "", "store", "migrate", "--from", "bolt:"+path, "--to", "postgres:"+dsn)
	if err != nil {
		t.Fatalf("store migrate: %v\n%s", err, out)
	}
	for _, want := range []string{"subscriptions: 3 copied, 0 already there", "featured weeks: 3 copied, 0 already there", "deliveries: 2 copied, 0 already there"} {
		if !strings.Contains(out, want) {
			t.Errorf("first migrate output lacks %q:\n%s", want, out)
		}
	}
	// Again, with the DSN from the environment: nothing more to copy.
	pgEnv := map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": dsn}
	out, _, err = runT(t, pgEnv, "", "store", "migrate", "--from", "bolt:"+path, "--to", "postgres")
	if err != nil {
		t.Fatalf("second store migrate: %v", err)
	}
	for _, want := range []string{"subscriptions: 0 copied, 3 already there", "featured weeks: 0 copied, 3 already there", "deliveries: 0 copied, 2 already there"} {
		if !strings.Contains(out, want) {
			t.Errorf("second migrate output lacks %q:\n%s", want, out)
		}
	}

	pgCheck, _, err := runT(t, pgEnv, "", "store", "check")
	if err != nil {
		t.Fatalf("store check (postgres): %v\n%s", err, pgCheck)
	}
	if !strings.HasPrefix(pgCheck, "store: postgres database") {
		t.Errorf("store check (postgres) does not name the database:\n%s", pgCheck)
	}
	// Beside the first line (the store's name) and the last (each driver's
	// own schema version), the reports agree.
	counts := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		return strings.Join(lines[1:len(lines)-1], "\n")
	}
	if counts(pgCheck) != counts(boltCheck) {
		t.Errorf("counts differ:\nbolt:\n%s\npostgres:\n%s", boltCheck, pgCheck)
	}

	// Record for record, the copy equals the source.
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Subscriptions(ctx)
	if err != nil || len(got) != len(subs) {
		t.Fatalf("subscriptions: got %d, %v, want %d", len(got), err, len(subs))
	}
	for _, d := range ds {
		if g, err := db.Delivered(ctx, d.Week, d.Channel); err != nil || g != d {
			t.Errorf("delivery: got %+v, %v, want %+v", g, err, d)
		}
	}
	if h, err := db.Featured(ctx, "go"); err != nil || len(h) != 1 || h[0].TalkID != "c" {
		t.Errorf("featured go: got %v, %v", h, err)
	}
}

func TestStoreCheckPostgresUnreachable(t *testing.T) {
	env := map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": "postgres://u:" + dsnSecret + "@127.0.0.1:1/x?sslmode=disable"}
	_, _, err := runT(t, env, "", "store", "check")
	if err == nil {
		t.Fatal("store check with no database: got nil error")
	}
	if !strings.HasPrefix(err.Error(), "store.dsn: ") || strings.Contains(err.Error(), dsnSecret) {
		t.Errorf("got %q, want the store.dsn key named and no password", err)
	}
}

// TestServePostgresUnreachable starts serve's app on a database that does
// not answer: it keeps running, /healthz answers, /readyz is 503 with the
// reason, nothing quotes the password, and shutdown is clean.
func TestServePostgresUnreachable(t *testing.T) {
	cfg := testConfig(t)
	cfg.Store.Driver = driverPostgres
	cfg.Store.DSN = "postgres://u:" + dsnSecret + "@127.0.0.1:1/x?sslmode=disable"
	cfg.Store.retry = true
	var logs bottest.LogBuffer
	a, err := env{}.open(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln, a.routes()) }()

	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: got %d, want 200", code)
	}
	code, body := get(t, base+"/readyz")
	if code != 503 || !strings.Contains(body, "store: database not ready") {
		t.Errorf("/readyz: got %d %q, want 503 with the store's reason", code, body)
	}
	if strings.Contains(body, dsnSecret) {
		t.Errorf("/readyz quotes the password: %q", body)
	}
	// A command that needs the store answers with an error, not a crash.
	a.bot.Handle(ctx, bot.Request{Platform: "console", Channel: "c", Command: bot.ParseCommand("subscriptions")})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: got %v, want nil", err)
	}
	if err := a.close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if strings.Contains(logs.String(), dsnSecret) {
		t.Errorf("logs quote the password:\n%s", logs.String())
	}
}

// TestServePostgres runs serve's app on the test database: ready once
// connected, and a subscription written through one app is seen by a
// second app on the same database at once.
func TestServePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	open := func() *app {
		cfg := testConfig(t)
		cfg.Store.Driver, cfg.Store.DSN, cfg.Store.retry = driverPostgres, dsn, true
		a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { a.close() })
		select {
		case <-a.db.(*postgres.DB).Ready():
		case <-time.After(30 * time.Second):
			t.Fatalf("not ready within 30s: %v", a.ready())
		}
		if err := a.ready(); err != nil {
			t.Fatalf("ready: %v", err)
		}
		return a
	}
	a, b := open(), open()
	ctx := context.Background()
	ch := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := a.db.PutSubscription(ctx, bot.Subscription{ChannelRef: ch, Since: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Subscription(ctx, ch); err != nil {
		t.Errorf("second replica: got %v, want the subscription", err)
	}
	if err := b.db.DeleteSubscription(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Subscription(ctx, ch); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("first replica after delete: got %v, want ErrNotFound", err)
	}
}

// TestDigestDryRunPostgres plans the week's digest straight from the
// database, with no lock file and no running serve to ask.
func TestDigestDryRunPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := db.PutSubscription(context.Background(), bot.Subscription{ChannelRef: ch, Since: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	env := map[string]string{"TALKBOT_STORE_DRIVER": "postgres", "TALKBOT_STORE_DSN": dsn}
	out, _, err := runT(t, env, "", "digest", "--dry-run")
	if err != nil {
		t.Fatalf("digest --dry-run: %v", err)
	}
	if !strings.Contains(out, "(1 channel)") || !strings.Contains(out, "slack:C1") {
		t.Errorf("dry run does not plan slack:C1:\n%s", out)
	}
}
