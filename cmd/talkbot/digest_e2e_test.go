package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
)

// fakePlatforms is a local fake of both Slack's Web API (under /api/) and
// Discord's REST API (under /discord/api/v10/), recording every message and
// failing calls as script says: script(platform, channel, attempt) returns
// "" to accept, or one of "429", "429-global", "500", "lost" (accept the
// post, then answer 500), "gone", "noaccess".
type fakePlatforms struct {
	t      *testing.T
	script func(platform, channel string, attempt int) string
	onPost func() // after each accepted post

	mu       sync.Mutex
	attempts map[string]int
	posts    map[string][]fakePost // "platform:channel" → messages
}

type fakePost struct {
	id       string
	metadata json.RawMessage // Slack
	body     json.RawMessage // Discord
}

func newFakePlatforms(t *testing.T) (*fakePlatforms, *httptest.Server) {
	f := &fakePlatforms{t: t, attempts: map[string]int{}, posts: map[string][]fakePost{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", f.slackPost)
	mux.HandleFunc("POST /api/conversations.history", f.slackHistory)
	mux.HandleFunc("GET /discord/api/v10/users/@me", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"900","username":"talkbot","bot":true}`)
	})
	mux.HandleFunc("POST /discord/api/v10/channels/{ch}/messages", f.discordPost)
	mux.HandleFunc("GET /discord/api/v10/channels/{ch}/messages", f.discordHistory)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// decide counts an attempt and returns the scripted answer.
func (f *fakePlatforms) decide(platform, ch string) string {
	f.mu.Lock()
	f.attempts[platform+":"+ch]++
	n := f.attempts[platform+":"+ch]
	f.mu.Unlock()
	if f.script == nil {
		return ""
	}
	return f.script(platform, ch, n)
}

func (f *fakePlatforms) record(key string, p fakePost) string {
	f.mu.Lock()
	p.id = fmt.Sprintf("%d", 1000+len(f.posts[key]))
	f.posts[key] = append(f.posts[key], p)
	on := f.onPost
	f.mu.Unlock()
	if on != nil {
		on()
	}
	return p.id
}

func (f *fakePlatforms) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts[key])
}

func (f *fakePlatforms) slackPost(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	ch := r.PostForm.Get("channel")
	w.Header().Set("Content-Type", "application/json")
	switch f.decide("slack", ch) {
	case "429":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		return
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "gone":
		io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	case "noaccess":
		io.WriteString(w, `{"ok":false,"error":"not_in_channel"}`)
		return
	case "lost":
		f.record("slack:"+ch, fakePost{metadata: json.RawMessage(r.PostForm.Get("metadata"))})
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	id := f.record("slack:"+ch, fakePost{metadata: json.RawMessage(r.PostForm.Get("metadata"))})
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": ch, "ts": id + ".000100"})
}

func (f *fakePlatforms) slackHistory(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	ch := r.PostForm.Get("channel")
	f.mu.Lock()
	var msgs []map[string]any
	for _, p := range f.posts["slack:"+ch] {
		msgs = append(msgs, map[string]any{"type": "message", "ts": p.id + ".000100", "metadata": p.metadata})
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (f *fakePlatforms) discordPost(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("ch")
	body, _ := io.ReadAll(r.Body)
	var m struct {
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
		Nonce        string `json:"nonce"`
		EnforceNonce bool   `json:"enforce_nonce"`
	}
	json.Unmarshal(body, &m)
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 || m.Nonce == "" || !m.EnforceNonce {
		f.t.Errorf("discord post to %s: allowed_mentions %+v nonce %q enforce %v; want no parse types and an enforced nonce", ch, m.AllowedMentions, m.Nonce, m.EnforceNonce)
	}
	w.Header().Set("Content-Type", "application/json")
	switch f.decide("discord", ch) {
	case "429":
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"message":"You are being rate limited.","retry_after":0.05,"global":false}`)
		return
	case "429-global":
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"message":"You are being rate limited.","retry_after":0.05,"global":true}`)
		return
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "gone":
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Unknown Channel","code":10003}`)
		return
	case "noaccess":
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message":"Missing Access","code":50001}`)
		return
	case "lost":
		f.record("discord:"+ch, fakePost{body: body})
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	id := f.record("discord:"+ch, fakePost{body: body})
	json.NewEncoder(w).Encode(map[string]any{"id": id, "channel_id": ch, "author": map[string]any{"id": "900"}})
}

func (f *fakePlatforms) discordHistory(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("ch")
	f.mu.Lock()
	var msgs []map[string]any
	for _, p := range f.posts["discord:"+ch] {
		var m map[string]any
		json.Unmarshal(p.body, &m)
		m["id"], m["channel_id"], m["author"] = p.id, ch, map[string]any{"id": "900"}
		msgs = append(msgs, m)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(msgs)
}

// digestApp opens talkbot over a temp bbolt file with Slack and Discord
// pointed at the fake, subscribes the channels, and returns it with a
// digest whose retries wait 1 ms.
func digestApp(t *testing.T, srv *httptest.Server, channels map[string][]string) (*app, *bot.Digest) {
	t.Helper()
	cfg := defaultConfig()
	cfg.Store.Path = filepath.Join(t.TempDir(), "talkbot.db")
	cfg.Slack = SlackConfig{BotToken: "xoxb-test", SigningSecret: "s", APIURL: srv.URL + "/api/"}
	cfg.Discord = DiscordConfig{BotToken: "discord-token", AppID: "123456789012345678", APIURL: srv.URL + "/discord/api/v10/"}
	a, err := env{}.open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	ctx := context.Background()
	for platform, chs := range channels {
		for _, ch := range chs {
			rep := a.bot.Handle(ctx, bot.Request{Platform: platform, Channel: ch, User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true})
			if rep.Outcome != bot.OutcomeOK {
				t.Fatalf("subscribe %s:%s: %s", platform, ch, rep.Intro)
			}
		}
	}
	senders := map[string]bot.Sender{}
	for name, p := range a.platforms {
		senders[name] = p
	}
	d, err := a.bot.NewDigest(bot.DigestOptions{Senders: senders, Workers: 4, Backoff: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	return a, d
}

func TestDigestThroughFakePlatforms(t *testing.T) {
	f, srv := newFakePlatforms(t)
	f.script = func(platform, ch string, n int) string {
		switch {
		case strings.HasSuffix(ch, "gone"):
			return "gone"
		case strings.HasSuffix(ch, "noaccess"):
			return "noaccess"
		case n == 1 && strings.HasSuffix(ch, "429g"):
			return "429-global"
		case n == 1 && strings.HasSuffix(ch, "429"):
			return "429"
		case n <= 2 && strings.HasSuffix(ch, "500"):
			return "500"
		case n == 1 && strings.HasSuffix(ch, "lost"):
			return "lost"
		}
		return ""
	}
	channels := map[string][]string{
		"slack":   {"Cok", "C429", "C500", "Clost", "Cgone", "Cnoaccess"},
		"discord": {"1ok", "1429", "1429g", "1500", "1lost", "1gone", "1noaccess"},
	}
	a, d := digestApp(t, srv, channels)
	ctx := context.Background()
	w := bot.WeekOf(time.Now(), a.bot.Location())
	r, err := d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Sent: 7, Recovered: 2, Paused: 4}); r != want {
		t.Errorf("first run: got %+v, want %+v", r, want)
	}
	for platform, chs := range channels {
		for _, ch := range chs {
			want := 1
			if strings.HasSuffix(ch, "gone") || strings.HasSuffix(ch, "noaccess") {
				want = 0
				sub, err := a.db.Subscription(ctx, bot.ChannelRef{Platform: platform, Channel: ch})
				if err != nil || !sub.Paused || sub.Reason == "" {
					t.Errorf("%s:%s: subscription %+v, %v; want paused with a reason", platform, ch, sub, err)
				}
			}
			if got := f.count(platform + ":" + ch); got != want {
				t.Errorf("%s:%s got %d messages, want %d", platform, ch, got, want)
			}
		}
	}
	// The rerun posts nothing: the ledger has every live channel, and the
	// paused ones wait for a new subscribe.
	r, err = d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Skipped: 9}); r != want {
		t.Errorf("rerun: got %+v, want %+v", r, want)
	}
	// Subscribing again resumes a paused channel.
	f.script = nil
	a.bot.Handle(ctx, bot.Request{Platform: "slack", Channel: "Cgone", User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true})
	if r, _ = d.Run(ctx, w); r.Sent != 1 || f.count("slack:Cgone") != 1 {
		t.Errorf("after resubscribing: report %+v, %d messages; want the one post", r, f.count("slack:Cgone"))
	}
}

func TestDigestInterruptedThroughFakePlatforms(t *testing.T) {
	f, srv := newFakePlatforms(t)
	channels := map[string][]string{}
	for i := range 20 {
		channels["slack"] = append(channels["slack"], fmt.Sprintf("C%02d", i))
		channels["discord"] = append(channels["discord"], fmt.Sprintf("%d", 100+i))
	}
	a, d := digestApp(t, srv, channels)
	w := bot.WeekOf(time.Now(), a.bot.Location())
	ctx, cancel := context.WithCancel(context.Background())
	var posted atomic.Int32
	f.onPost = func() {
		if posted.Add(1) == 15 {
			cancel() // the process is stopped halfway through the run
		}
	}
	r1, err := d.Run(ctx, w)
	if err == nil {
		t.Fatalf("interrupted run: got nil error, want the cancellation")
	}
	f.onPost = nil
	r2, err := d.Run(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Sent+r2.Sent != 40 || r1.Sent >= 40 {
		t.Errorf("runs sent %d then %d, want 40 in all, split by the interruption", r1.Sent, r2.Sent)
	}
	for platform, chs := range channels {
		for _, ch := range chs {
			if got := f.count(platform + ":" + ch); got != 1 {
				t.Errorf("%s:%s got %d messages, want exactly 1", platform, ch, got)
			}
		}
	}
}
