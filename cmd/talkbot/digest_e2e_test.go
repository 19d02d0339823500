package main

import (
	"context"
	"encoding/json"
	"errors"
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

	"golang.org/x/time/rate"

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
	// outside lists public Slack channels the bot is not a member of
	// (conversations.history answers not_in_channel until
	// conversations.join); private lists private ones it is not in (join
	// is not supported there, history answers channel_not_found).
	outside, private map[string]bool
	calls            []fakeCall
}

// fakeCall is one request the fake answered.
type fakeCall struct {
	path string
	at   time.Time
}

type fakePost struct {
	id       string
	metadata json.RawMessage // Slack
	body     json.RawMessage // Discord
}

func newFakePlatforms(t *testing.T) (*fakePlatforms, *httptest.Server) {
	f := &fakePlatforms{t: t, attempts: map[string]int{}, posts: map[string][]fakePost{}, outside: map[string]bool{}, private: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", f.slackPost)
	mux.HandleFunc("POST /api/conversations.history", f.slackHistory)
	mux.HandleFunc("POST /api/conversations.join", f.slackJoin)
	mux.HandleFunc("GET /discord/api/v10/users/@me", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"900","username":"talkbot","bot":true}`)
	})
	mux.HandleFunc("POST /discord/api/v10/channels/{ch}/messages", f.discordPost)
	mux.HandleFunc("GET /discord/api/v10/channels/{ch}/messages", f.discordHistory)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls = append(f.calls, fakeCall{r.URL.Path, time.Now()})
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

// called returns the calls whose path ends with suffix.
func (f *fakePlatforms) called(suffix string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if strings.HasSuffix(c.path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakePlatforms) slackJoin(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	ch := r.PostForm.Get("channel")
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.private[ch] {
		io.WriteString(w, `{"ok":false,"error":"method_not_supported_for_channel_type"}`)
		return
	}
	delete(f.outside, ch)
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": map[string]any{"id": ch, "is_member": true}})
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
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	switch {
	case f.outside[ch]:
		f.mu.Unlock()
		io.WriteString(w, `{"ok":false,"error":"not_in_channel"}`)
		return
	case f.private[ch]:
		f.mu.Unlock()
		io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	}
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

// TestDigestInChannelsNotJoined: issue 11.7. A public Slack channel that
// the bot posts to without being a member answers not_in_channel to
// conversations.history, so a pending entry could never be resolved and
// the channel got nothing that week. Now the digest joins it and goes on;
// a private channel the bot is not in is paused with a reason that
// "talk subscriptions" shows, and subscribing there is refused.
func TestDigestInChannelsNotJoined(t *testing.T) {
	f, srv := newFakePlatforms(t)
	a, d := digestApp(t, srv, nil)
	ctx := context.Background()
	w := bot.WeekOf(time.Now(), a.bot.Location())
	// Subscriptions from before subscribe joined; a run died after marking
	// each pending, an hour ago. Cpub's post never left, Clanded's did.
	f.outside["Cpub"], f.outside["Clanded"], f.private["Cpriv"] = true, true, true
	for _, ch := range []string{"Cpub", "Clanded", "Cpriv"} {
		ref := bot.ChannelRef{Platform: "slack", Channel: ch}
		if err := a.db.PutSubscription(ctx, bot.Subscription{ChannelRef: ref, Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := a.db.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: ref, TalkID: "x", At: time.Now().Add(-time.Hour), Pending: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.record("slack:Clanded", fakePost{metadata: json.RawMessage(fmt.Sprintf(`{"event_type":"talkbot_digest","event_payload":{"key":%q}}`, bot.Key(w, bot.ChannelRef{Platform: "slack", Channel: "Clanded"})))})

	r, err := d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Sent: 1, Recovered: 1, Paused: 1}); r != want {
		t.Errorf("run: got %+v, want %+v", r, want)
	}
	for ch, want := range map[string]int{"Cpub": 1, "Clanded": 1, "Cpriv": 0} {
		if got := f.count("slack:" + ch); got != want {
			t.Errorf("%s got %d messages, want %d", ch, got, want)
		}
	}
	rep := a.bot.Handle(ctx, bot.Request{Platform: "slack", Channel: "Cpriv", User: "U1", Command: bot.ParseCommand("subscriptions")})
	var status string
	for _, fl := range rep.Fields {
		if fl.Name == "Status" {
			status = fl.Value
		}
	}
	if !strings.Contains(status, "paused") || !strings.Contains(status, "invite the bot") {
		t.Errorf("talk subscriptions in Cpriv: status %q, want paused with the reason", status)
	}
	// The rerun has every channel done or paused: nothing is left hanging.
	if r, err = d.Run(ctx, w); err != nil || r != (bot.Report{Skipped: 2}) {
		t.Errorf("rerun: got %+v, %v; want 2 skipped", r, err)
	}

	// Subscribing now joins a public channel at once, and refuses a private
	// channel the bot is not in.
	f.outside["Cnew"], f.private["Cpriv2"] = true, true
	if rep := a.bot.Handle(ctx, bot.Request{Platform: "slack", Channel: "Cnew", User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true}); rep.Outcome != bot.OutcomeOK {
		t.Errorf("subscribe in a public channel: %s %q", rep.Outcome, rep.Intro)
	}
	f.mu.Lock()
	joined := !f.outside["Cnew"]
	f.mu.Unlock()
	if !joined {
		t.Errorf("subscribe in public channel Cnew did not join it")
	}
	rep = a.bot.Handle(ctx, bot.Request{Platform: "slack", Channel: "Cpriv2", User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true})
	if rep.Outcome == bot.OutcomeOK || !strings.Contains(rep.Intro, "Invite me first") {
		t.Errorf("subscribe in a private channel without the bot: %s %q, want refused with \"Invite me first\"", rep.Outcome, rep.Intro)
	}
	if _, err := a.db.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "Cpriv2"}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("refused subscription was stored: %v", err)
	}
}

// TestDigestPacesEveryDiscordCall: issue 11.13. A run with many pending
// Discord channels calls Find (GET messages) and Send for each; every one
// of those calls is paced by the platform's rate, and the bot's own id is
// fetched once. Before, the Finds and /users/@me went out unpaced.
func TestDigestPacesEveryDiscordCall(t *testing.T) {
	f, srv := newFakePlatforms(t)
	a, _ := digestApp(t, srv, nil)
	ctx := context.Background()
	w := bot.WeekOf(time.Now(), a.bot.Location())
	const n, perSecond = 30, 20
	for i := range n {
		ref := bot.ChannelRef{Platform: "discord", Channel: fmt.Sprintf("%d", 100+i)}
		if err := a.db.PutSubscription(ctx, bot.Subscription{ChannelRef: ref, Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := a.db.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: ref, TalkID: "x", At: time.Now().Add(-time.Hour), Pending: true}); err != nil {
			t.Fatal(err)
		}
	}
	senders := map[string]bot.Sender{}
	for name, p := range a.platforms {
		senders[name] = p
	}
	d, err := a.bot.NewDigest(bot.DigestOptions{Senders: senders, Workers: 16, Rates: map[string]rate.Limit{"discord": perSecond}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if r != (bot.Report{Sent: n}) {
		t.Errorf("run: got %+v, want %d sent", r, n)
	}
	if got := len(f.called("/users/@me")); got != 1 {
		t.Errorf("GET /users/@me: %d calls, want 1", got)
	}
	calls := f.called("/messages")
	if len(calls) != 2*n {
		t.Fatalf("%d message calls, want %d (a Find and a Send per channel)", len(calls), 2*n)
	}
	// A token bucket of perSecond tokens a second and as many in the
	// bucket at the start (one more for /users/@me): by τ seconds after
	// the first call at most perSecond*(1+τ)+1 calls were made.
	first := calls[0].at
	for i, c := range calls {
		tau := c.at.Sub(first).Seconds()
		if limit := perSecond*(1+tau) + 1; float64(i+1) > limit {
			t.Fatalf("call %d (%s) came %.3fs after the first: more than %.1f calls by then, want at most %d a second", i+1, c.path, tau, limit, perSecond)
		}
	}
}
