package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/store"
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

// startServe runs "talkbot serve" through run() with env, waits for its
// address in the log, and returns it with a stop function that cancels
// the context (SIGTERM) and returns run's error.
func startServe(t *testing.T, env map[string]string) (addr string, logs *bottest.LogBuffer, stop func() error) {
	t.Helper()
	logs = &bottest.LogBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, []string{"serve"}, getenv, strings.NewReader(""), io.Discard, logs) }()
	re := regexp.MustCompile(`"?addr"?[=:]"?(127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not log its address:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond) // polling the log, not a timing assertion
	}
	return addr, logs, func() error { cancel(); return <-done }
}

func TestServeCatchesUpMissedDigest(t *testing.T) {
	fake := &recordingSlack{posted: make(chan struct{}, 10)}
	api := httptest.NewServer(fake)
	defer api.Close()
	path := filepath.Join(t.TempDir(), "talkbot.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2"} {
		if err := db.PutSubscription(ctx, bot.Subscription{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: ch}, Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	env := map[string]string{
		"TALKBOT_HTTP_ADDR":            "127.0.0.1:0",
		"TALKBOT_STORE_PATH":           path,
		"TALKBOT_SLACK_BOT_TOKEN":      "xoxb-test",
		"TALKBOT_SLACK_SIGNING_SECRET": "s3cret",
		"TALKBOT_SLACK_API_URL":        api.URL + "/api/",
		// Due since Monday 00:00 of this week: whenever the test runs, the
		// week's run is already due, as after a restart that missed it.
		"TALKBOT_DIGEST_SCHEDULE": "0 0 * * MON",
		"TALKBOT_DIGEST_TIMEZONE": "UTC",
	}
	if now := time.Now().UTC(); now.Weekday() == time.Monday && now.Hour() == 0 && now.Minute() == 0 {
		t.Skip("the schedule fires this very minute; the catch-up is not distinguishable")
	}
	addr, logs, stop := startServe(t, env)
	for range 2 {
		select {
		case <-fake.posted:
		case <-time.After(10 * time.Second):
			stop()
			t.Fatalf("digest not delivered at start:\n%s", logs.String())
		}
	}
	// "talkbot digest" next to the running serve: the store is locked, so
	// the command asks serve over loopback; the ledger makes --now a no-op.
	addrEnv := map[string]string{}
	for k, v := range env {
		addrEnv[k] = v
	}
	addrEnv["TALKBOT_HTTP_ADDR"] = addr
	out, _, err := runT(t, addrEnv, "", "digest", "--now")
	if err != nil || !strings.Contains(out, "sent 0, already delivered 2") {
		t.Errorf("digest --now beside serve: got %v\n%s", err, out)
	}
	out, _, err = runT(t, addrEnv, "", "digest", "--dry-run")
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
	_, _, stop = startServe(t, env)
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
		"TALKBOT_HTTP_ADDR":     "127.0.0.1:0",
		"TALKBOT_STORE_PATH":    filepath.Join(t.TempDir(), "talkbot.db"),
		"TALKBOT_SLACK_API_URL": api.URL + "/api/",
		"TALKBOT_LOG_LEVEL":     "debug",
		"TALKBOT_LOG_FORMAT":    "json",
	}
	for k, v := range secrets {
		env[k] = v
	}
	addr, logs, stop := startServe(t, env)
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

func TestDigestEndpointsAreLoopbackOnly(t *testing.T) {
	h := loopbackOnly(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ran") })
	tests := []struct {
		remote string
		xff    string
		want   int
	}{
		{"127.0.0.1:5000", "", http.StatusOK},
		{"[::1]:5000", "", http.StatusOK},
		{"10.1.2.3:5000", "", http.StatusForbidden},
		{"127.0.0.1:5000", "203.0.113.9", http.StatusForbidden}, // through a proxy
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/digest/run", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		w := httptest.NewRecorder()
		h(w, r)
		if w.Code != tt.want {
			t.Errorf("from %s (X-Forwarded-For %q): got %d, want %d", tt.remote, tt.xff, w.Code, tt.want)
		}
	}
}
