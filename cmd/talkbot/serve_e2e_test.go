package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/store/bolt"
)

// recordingSlack is a fake Slack Web API that records chat.postMessage
// calls and signals each one on posted.
type recordingSlack struct {
	mu     sync.Mutex
	posts  []map[string]string
	posted chan struct{}
}

func (f *recordingSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/chat.postMessage":
		post := map[string]string{}
		for k := range r.PostForm {
			post[k] = r.PostForm.Get(k)
		}
		f.mu.Lock()
		f.posts = append(f.posts, post)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": post["channel"], "ts": "1700000000.000100"})
		select {
		case f.posted <- struct{}{}:
		default:
		}
	case "/api/auth.test":
		io.WriteString(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT"}`)
	default:
		io.WriteString(w, `{"ok":true}`)
	}
}

// startServe runs "talkbot serve" through env.run with env, its own
// loopback listener and the clock now, and returns the listener's address
// with a stop function that cancels the context (SIGTERM) and returns
// run's error. The kernel queues connections from the start, so requests
// need not wait for a log line.
func startServe(t *testing.T, env map[string]string, now func() time.Time) (addr string, logs *bottest.LogBuffer, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs = &bottest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	e := envOf(env, logs)
	e.listener, e.now = ln, now
	go func() { done <- e.run(ctx, []string{"serve"}) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { stop() })
	return ln.Addr().String(), logs, stop
}

// envOf is a test environment over vars, logging to stderr.
func envOf(vars map[string]string, stderr io.Writer) env {
	return env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr}
}

// wednesday is a fixed clock: Wednesday 25 November 2026, noon UTC.
func wednesday() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

func TestServeCatchesUpMissedDigest(t *testing.T) {
	fake := &recordingSlack{posted: make(chan struct{}, 10)}
	api := httptest.NewServer(fake)
	defer api.Close()
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2"} {
		if err := db.PutSubscription(ctx, bot.Subscription{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: ch}, Since: wednesday().AddDate(0, 0, -14)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	env := map[string]string{
		"TALKBOT_STORE_PATH":           path,
		"TALKBOT_STORE_LOCK_TIMEOUT":   "100ms",
		"TALKBOT_SLACK_BOT_TOKEN":      "xoxb-test",
		"TALKBOT_SLACK_SIGNING_SECRET": "s3cret",
		"TALKBOT_SLACK_API_URL":        api.URL + "/api/",
		// On the Wednesday of the clock, Monday's run is due: a restart
		// that missed it.
		"TALKBOT_DIGEST_SCHEDULE": "0 9 * * MON",
		"TALKBOT_DIGEST_TIMEZONE": "UTC",
	}
	_, logs, stop := startServe(t, env, wednesday)
	for range 2 {
		select {
		case <-fake.posted:
		case <-time.After(10 * time.Second):
			stop()
			t.Fatalf("digest not delivered at start:\n%s", logs.String())
		}
	}
	// "talkbot digest" next to the running serve: the store is locked, so
	// the command asks serve over its control socket; the ledger makes
	// --now a no-op.
	out, _, err := runT(t, env, "", "digest", "--now")
	if err != nil || !strings.Contains(out, "sent 0, already delivered 2") {
		t.Errorf("digest --now beside serve: got %v\n%s", err, out)
	}
	out, _, err = runT(t, env, "", "digest", "--dry-run")
	if err != nil || !strings.Contains(out, "slack:C1\t") || !strings.Contains(out, "already delivered") {
		t.Errorf("digest --dry-run beside serve: got %v\n%s", err, out)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	fake.mu.Lock()
	got := map[string]int{}
	for _, p := range fake.posts {
		got[p["channel"]]++
		if !strings.Contains(p["metadata"], "talkbot_digest") {
			t.Errorf("digest post lacks its metadata key: %q", p["metadata"])
		}
	}
	fake.mu.Unlock()
	if got["C1"] != 1 || got["C2"] != 1 {
		t.Errorf("posts per channel: got %v, want one each", got)
	}
	// A restart in the same week posts nothing again: the ledger has it.
	_, _, stop = startServe(t, env, wednesday)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	n := len(fake.posts)
	fake.mu.Unlock()
	if n != 2 {
		t.Errorf("after a restart: %d posts in all, want still 2", n)
	}
}

func TestServeLogsNoSecrets(t *testing.T) {
	fake := &recordingSlack{posted: make(chan struct{}, 10)}
	api := httptest.NewServer(fake)
	defer api.Close()
	secrets := map[string]string{
		"TALKBOT_SLACK_BOT_TOKEN":      "xoxb-1111-supersecret-bot-token",
		"TALKBOT_SLACK_SIGNING_SECRET": "signing-secret-do-not-log",
		"TALKBOT_DISCORD_PUBLIC_KEY":   strings.Repeat("ab", 32),
		"TALKBOT_DISCORD_APP_ID":       "123456789012345678",
	}
	env := map[string]string{
		"TALKBOT_STORE_PATH":    filepath.Join(t.TempDir(), "talkbot.db"),
		"TALKBOT_SLACK_API_URL": api.URL + "/api/",
		"TALKBOT_LOG_LEVEL":     "debug",
		"TALKBOT_LOG_FORMAT":    "json",
	}
	for k, v := range secrets {
		env[k] = v
	}
	addr, logs, stop := startServe(t, env, nil)
	// A forged request and a signed one both get logged.
	body := "command=%2Ftalk&text=sharding&user_id=U1&channel_id=C1&team_id=T1&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fx"
	for _, secret := range []string{"wrong-secret", secrets["TALKBOT_SLACK_SIGNING_SECRET"]} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
		req.Header = signSlackSecret(secret, body, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"request rejected"`, `"msg":"request"`, `"platform":"slack"`, `"command":"search"`, `"latency"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for name, v := range secrets {
		if name == "TALKBOT_DISCORD_APP_ID" {
			continue // an id, not a secret
		}
		if strings.Contains(out, v) || strings.Contains(out, v[:12]) {
			t.Errorf("log contains %s", name)
		}
	}
}
