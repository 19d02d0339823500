package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/store/bolt"
)

// testConfig returns the default config with the store in a temp dir.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg := defaultConfig()
	cfg.Store.Path = filepath.Join(t.TempDir(), "talkbot.db")
	cfg.HTTP.Addr = "127.0.0.1:0"
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeHealthMetricsAndGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	var logs bottest.LogBuffer
	a, err := env{}.open(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()

	// /slow blocks until released, standing in for a request in flight
	// when the signal arrives.
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", a.routes())
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln, mux) }()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: got %d %q, want 200 ok", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz: got %d %q, want 200", code, body)
	}
	a.bot.Handle(ctx, bot.Request{Platform: "console", Command: bot.ParseCommand("sharding")})
	a.metrics.Rejected("slack", "signature")
	a.bot.Recovered(ctx, "slack", "boom", nil)
	code, body := get(t, base+"/metrics")
	for _, want := range []string{
		`talkbot_requests_total{command="search",outcome="ok",platform="console"} 1`,
		`talkbot_request_duration_seconds_count{platform="console"} 1`,
		`talkbot_rejected_requests_total{platform="slack",reason="signature"} 1`,
		`talkbot_panics_total{platform="slack"} 1`,
		"go_goroutines",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}

	slow := make(chan string, 1)
	go func() {
		_, b := get(t, base+"/slow")
		slow <- b
	}()
	<-started
	cancel() // SIGTERM
	// The server stops accepting new connections while /slow is in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepting connections after shutdown began")
		}
		time.Sleep(5 * time.Millisecond) // polling, not a timing assertion
	}
	close(release)
	if got := <-slow; got != "finished" {
		t.Errorf("in-flight request: got %q, want it to finish", got)
	}
	if err := <-done; err != nil {
		t.Errorf("serve: got %v, want nil after a graceful shutdown", err)
	}
	if err := a.close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	// The store is closed: another process could open it at once.
	db, err := bolt.Open(cfg.Store.Path, bolt.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopen store after shutdown: %v", err)
	}
	db.Close()
	if !strings.Contains(logs.String(), "no chat platform configured") {
		t.Errorf("logs do not say that no platform is configured:\n%s", logs.String())
	}
}

func TestSecondProcessFailsFast(t *testing.T) {
	cfg := testConfig(t)
	a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	start := time.Now()
	_, _, err = runT(t, map[string]string{"TALKBOT_STORE_PATH": cfg.Store.Path}, "", "store", "check")
	if err == nil || !strings.Contains(err.Error(), "in use by another talkbot process") {
		t.Errorf("store check on a held store: got %v, want an in-use error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second process took %v to fail, want about the 1s lock timeout", d)
	}
}

func TestStoreCheckAndDigestCommands(t *testing.T) {
	cfg := testConfig(t)
	env := map[string]string{"TALKBOT_STORE_PATH": cfg.Store.Path}
	// Without a store file, the read-only commands say so and create none.
	for _, args := range [][]string{{"store", "check"}, {"digest", "--dry-run"}} {
		out, _, err := runT(t, env, "", args...)
		if err == nil || !strings.Contains(err.Error(), "no store file at "+cfg.Store.Path) {
			t.Errorf("%v without a store: got %v\n%s; want an error saying there is no store file", args, err, out)
		}
		if _, err := os.Stat(cfg.Store.Path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v created the store file", args)
		}
	}
	a, err := (envT{}).open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2"} {
		rep := a.bot.Handle(ctx, bot.Request{Platform: "slack", Channel: ch, User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true})
		if rep.Outcome != bot.OutcomeOK {
			t.Fatalf("subscribe: %s %s", rep.Outcome, rep.Intro)
		}
	}
	a.close()
	before, err := os.ReadFile(cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runT(t, env, "", "digest", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "slack:C1\t") || !strings.Contains(out, "platform not configured") {
		t.Errorf("digest --dry-run:\n%s", out)
	}
	out, _, err = runT(t, env, "", "store", "check")
	if err != nil || !strings.Contains(out, "subscriptions: 2") || !strings.Contains(out, "featured weeks: 0") {
		t.Errorf("store check after subscribing and a dry run: got %v\n%s; want 2 subscriptions and no pick recorded", err, out)
	}
	if after, _ := os.ReadFile(cfg.Store.Path); !bytes.Equal(before, after) {
		t.Error("digest --dry-run and store check changed the store file")
	}
	if _, _, err := runT(t, env, "", "digest"); err == nil {
		t.Error("digest without --dry-run or --now: got nil error, want a usage error")
	}
}

// envT opens apps for tests with a discarded log.
type envT struct{}

func (envT) open(cfg Config) (*app, error) { return env{}.open(cfg, slog.New(slog.DiscardHandler)) }
