package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

func weekReply(t *testing.T, b *bot.Bot) bot.Reply {
	t.Helper()
	return b.Handle(context.Background(), bot.Request{Platform: platform, Command: bot.ParseCommand("show " + b.Corpus().Talks[0].ID)})
}

func TestSend(t *testing.T) {
	b := testBot(t, bot.Options{})
	e := newEnv(t, b, Config{BotToken: "test-token"})
	ctx := context.Background()
	ch := bot.ChannelRef{Platform: platform, Team: "g1", Channel: "c9"}
	id, err := e.a.Send(ctx, ch, weekReply(t, b), "2025-W10:discord:c9")
	if err != nil || id == "" {
		t.Fatalf("got %q, %v, want a message id", id, err)
	}
	c := e.api.wait(t, http.MethodPost, "/api/v10/channels/c9/messages")
	var m wireMessage
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Nonce) == 0 || len(m.Nonce) > 25 || !m.EnforceNonce {
		t.Errorf("got nonce %q enforce %v, want 1 to 25 characters, enforced", m.Nonce, m.EnforceNonce)
	}
	if m.Flags != 0 || m.button("x") != "" {
		t.Errorf("got flags %d and share button %q, want a public message without one", m.Flags, m.button("x"))
	}
	checkLimits(t, c.Body)

	tests := []struct {
		name    string
		ch      string
		key     string
		found   bool
		foundID string
	}{
		{"the key just sent", "c9", "2025-W10:discord:c9", true, id},
		{"another key", "c9", "2025-W11:discord:c9", false, ""},
		{"another channel", "c8", "2025-W10:discord:c9", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := e.a.Find(ctx, bot.ChannelRef{Platform: platform, Channel: tt.ch}, tt.key)
			if err != nil || found != tt.found || got != tt.foundID {
				t.Errorf("got %q, %v, %v, want %q, %v, nil", got, found, err, tt.foundID, tt.found)
			}
		})
	}
}

func TestFindIgnoresOthersMessages(t *testing.T) {
	b := testBot(t, bot.Options{})
	e := newEnv(t, b, Config{BotToken: "test-token"})
	key := "2025-W10:discord:c7"
	forged, _ := json.Marshal(map[string]any{
		"id": "1", "channel_id": "c7", "author": map[string]any{"id": "999", "bot": true},
		"embeds": []any{map[string]any{"footer": map[string]any{"text": marker(key)}}},
	})
	e.api.messages["c7"] = []json.RawMessage{forged}
	if id, found, err := e.a.Find(context.Background(), bot.ChannelRef{Platform: platform, Channel: "c7"}, key); found || err != nil {
		t.Errorf("got %q, %v, %v, want not found", id, found, err)
	}
}

func TestSendErrors(t *testing.T) {
	b := testBot(t, bot.Options{})
	e := newEnv(t, b, Config{BotToken: "test-token"})
	rep := weekReply(t, b)
	tests := []struct {
		ch   string
		gone bool
		rate *bot.RateLimitError // nil: not a rate limit
	}{
		{"gone", true, nil},
		{"noaccess", true, nil},
		{"noperm", true, nil},
		{"broken", false, nil},
		{"limited", false, &bot.RateLimitError{RetryAfter: 1500 * time.Millisecond}},
		{"global", false, &bot.RateLimitError{RetryAfter: 250 * time.Millisecond, Global: true}},
		{"cloudflare", false, &bot.RateLimitError{RetryAfter: 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.ch, func(t *testing.T) {
			ch := bot.ChannelRef{Platform: platform, Channel: tt.ch}
			_, err := e.a.Send(context.Background(), ch, rep, "k")
			if err == nil {
				t.Fatal("got nil, want an error")
			}
			if got := errors.Is(err, bot.ErrChannelGone); got != tt.gone {
				t.Errorf("got errors.Is(%v, ErrChannelGone) = %v, want %v", err, got, tt.gone)
			}
			rl, ok := errors.AsType[*bot.RateLimitError](err)
			if tt.rate != nil && (!ok || *rl != *tt.rate) {
				t.Errorf("got %#v, want %#v", err, tt.rate)
			}
			if tt.rate == nil && ok {
				t.Errorf("got %v, want no rate limit error", err)
			}
			if n := e.api.count(http.MethodPost, "/api/v10/channels/"+tt.ch+"/"); n != 1 {
				t.Errorf("got %d posts, want 1 (no retry)", n)
			}
			if strings.Contains(err.Error(), "test-token") {
				t.Errorf("got %v, want no token in errors", err)
			}
		})
	}
}

func TestSendWithoutToken(t *testing.T) {
	b := testBot(t, bot.Options{})
	e := newEnv(t, b, Config{})
	if _, err := e.a.Send(context.Background(), bot.ChannelRef{Platform: platform, Channel: "c1"}, weekReply(t, b), "k"); err == nil {
		t.Errorf("got nil, want an error naming discord.bot_token")
	}
}

// giantCorpus has one talk far beyond every embed limit, with astral and
// Hangul text at the cut points, and one speaker with forty talks.
func giantCorpus() *recaps.Corpus {
	long := func(unit string, n int) string { return strings.Repeat(unit, n) }
	c := &recaps.Corpus{Conferences: []recaps.Conference{{ID: "giant-2025", Name: long("Giant Conf ", 40), Year: 2025}}}
	t := recaps.Talk{ID: "giant-2025-everything", Conference: "giant-2025", Title: long("샤딩🚀", 200), Track: long("Track ", 300)}
	for i := range 300 {
		t.Summary = append(t.Summary, fmt.Sprintf("%d %s", i, long("요약 [x](http://evil) 🦀 ", 30)))
		t.Lessons = append(t.Lessons, long("교훈 ", 200))
		t.Tags = append(t.Tags, fmt.Sprintf("tag%d", i))
		t.Links = append(t.Links, recaps.Link{Title: long("영상 ", 50), URL: fmt.Sprintf("https://example.com/v/%d?q=(a b)", i)})
	}
	for i := range 60 {
		t.Speakers = append(t.Speakers, recaps.Speaker{Name: long("임", 100), Handle: fmt.Sprintf("h%d", i), Team: long("팀", 100)})
	}
	c.Talks = append(c.Talks, t)
	for i := range 40 {
		c.Talks = append(c.Talks, recaps.Talk{
			ID: fmt.Sprintf("giant-2025-t%d", i), Conference: "giant-2025", Order: i + 1,
			Title:    fmt.Sprintf("%d %s", i, long("제목 ", 100)),
			Speakers: []recaps.Speaker{{Name: "Prolific", Handle: "prolific"}},
			Summary:  []string{"s"},
		})
	}
	return c
}

func TestEmbedLimits(t *testing.T) {
	b := bot.New(giantCorpus(), bot.Options{})
	e := newEnv(t, b, Config{BotToken: "test-token"})
	for _, q := range []string{"show giant-2025-everything", "speaker prolific", "샤딩", "conferences"} {
		t.Run(q, func(t *testing.T) {
			_, resp, body := e.do(t, talkJSON(q))
			checkLimits(t, body)
			if len(resp.Data.Embeds) == 0 {
				t.Fatalf("got %s, want an embed", body)
			}
		})
	}
	t.Run("Send keeps the marker", func(t *testing.T) {
		rep := b.Handle(context.Background(), bot.Request{Platform: platform, Command: bot.ParseCommand("show giant-2025-everything")})
		rep.Footer = strings.Repeat("f", 5000)
		if _, err := e.a.Send(context.Background(), bot.ChannelRef{Platform: platform, Channel: "c5"}, rep, "big"); err != nil {
			t.Fatal(err)
		}
		c := e.api.wait(t, http.MethodPost, "/api/v10/channels/c5/messages")
		checkLimits(t, c.Body)
		if _, found, err := e.a.Find(context.Background(), bot.ChannelRef{Platform: platform, Channel: "c5"}, "big"); !found || err != nil {
			t.Errorf("got found %v, %v, want the message found by its marker", found, err)
		}
	})
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 4, "abc…"},
		{"샤딩샤딩", 3, "샤딩…"},
		{"a🚀b", 3, "a…"}, // the rocket counts 2
		{`ab\*cd`, 4, "ab…"},
		{"one two\nthree four five", 14, "one two\n…"},
		{"one\ntwo three four", 12, "one\ntwo thr…"}, // no line break in the second half
	}
	for _, tt := range tests {
		f := cut
		if strings.Contains(tt.in, "\n") {
			f = cutLines
		}
		if got := f(tt.in, tt.n); got != tt.want {
			t.Errorf("cut(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestRegisterTwice(t *testing.T) {
	tests := []struct {
		guild    string
		endpoint string
	}{
		{"", "/api/v10/applications/" + testAppID + "/commands"},
		{"300000000000000003", "/api/v10/applications/" + testAppID + "/guilds/300000000000000003/commands"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			// Two talkbot processes in turn, as across a restart, against
			// the same Discord.
			api := newFakeAPI(t)
			var bodies []string
			for range 2 {
				a, g := gatewayAdapter(t, api, testBot(t, bot.Options{}), Config{GuildID: tt.guild})
				// Run opens the gateway after registering: the fake
				// gateway says when, so the test cancels only after
				// registration.
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- a.Run(ctx) }()
				<-g.opened
				c := api.wait(t, http.MethodPut, tt.endpoint)
				bodies = append(bodies, string(c.Body))
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("got %v, want nil from Run", err)
				}
			}
			if bodies[0] != bodies[1] {
				t.Errorf("got different command sets %s and %s, want the same", bodies[0], bodies[1])
			}
			if n := api.count(http.MethodPut, tt.endpoint); n != 2 {
				t.Errorf("got %d registrations, want 2, one per start", n)
			}
			api.mu.Lock()
			names := api.commands[tt.endpoint]
			api.mu.Unlock()
			if want := []string{"talk", "talk-subscribe", "talk-unsubscribe"}; !slices.Equal(names, want) {
				t.Errorf("got registered %v, want %v", names, want)
			}
		})
	}
}

func TestRunWithoutToken(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	if !e.a.Ready() {
		t.Errorf("got Ready false, want true: the HTTP endpoint needs nothing else")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.a.Run(ctx); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	if n := e.api.count(http.MethodPut, "/"); n != 0 {
		t.Errorf("got %d registrations, want none without a token", n)
	}
}

// gatewayAdapter returns an adapter with a bot token over api, whose
// gateway is a fakeGateway.
func gatewayAdapter(t *testing.T, api *fakeAPI, b *bot.Bot, cfg Config) (*Adapter, *fakeGateway) {
	t.Helper()
	cfg.BotToken, cfg.Gateway, cfg.AppID, cfg.APIURL = "test-token", true, testAppID, api.srv.URL+"/api/v10/"
	s, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGateway{Session: s, opened: make(chan struct{}, 1)}
	a, err := newAdapter(cfg, b, g)
	if err != nil {
		t.Fatal(err)
	}
	a.deferAfter = time.Minute
	t.Cleanup(func() { a.work.Close(a.grace) })
	return a, g
}

// fakeGateway is a discordgo session whose gateway is simulated: Open and
// Close are recorded and the test delivers events to the handlers.
type fakeGateway struct {
	*discordgo.Session
	opened chan struct{}
	onOpen func() // called by Open, if set

	mu       sync.Mutex
	handlers []any
	closed   bool
}

func (g *fakeGateway) AddHandler(h any) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handlers = append(g.handlers, h)
	i := len(g.handlers) - 1
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.handlers[i] = nil
	}
}

func (g *fakeGateway) Open() error {
	if g.onOpen != nil {
		g.onOpen()
	}
	g.opened <- struct{}{}
	return nil
}

func (g *fakeGateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return nil
}

// emit delivers an event to the handlers that take it, as discordgo does.
func (g *fakeGateway) emit(ev any) {
	g.mu.Lock()
	hs := slices.Clone(g.handlers)
	g.mu.Unlock()
	for _, h := range hs {
		switch h := h.(type) {
		case func(*discordgo.Session, *discordgo.Ready):
			if e, ok := ev.(*discordgo.Ready); ok {
				h(g.Session, e)
			}
		case func(*discordgo.Session, *discordgo.Disconnect):
			if e, ok := ev.(*discordgo.Disconnect); ok {
				h(g.Session, e)
			}
		case func(*discordgo.Session, *discordgo.InteractionCreate):
			if e, ok := ev.(*discordgo.InteractionCreate); ok {
				h(g.Session, e)
			}
		case func(*discordgo.Session, *discordgo.MessageCreate):
			if e, ok := ev.(*discordgo.MessageCreate); ok {
				h(g.Session, e)
			}
		}
	}
}

func TestGateway(t *testing.T) {
	api := newFakeAPI(t)
	store := bottest.NewGatedStore(false)
	a, g := gatewayAdapter(t, api, testBot(t, bot.Options{Store: store}), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-g.opened
	if a.Ready() {
		t.Errorf("got Ready true before the gateway's Ready event, want false")
	}
	g.emit(&discordgo.Ready{User: &discordgo.User{ID: testBotID}})
	if !a.Ready() {
		t.Errorf("got Ready false after the Ready event, want true")
	}

	interaction := func(body []byte) *discordgo.InteractionCreate {
		var it discordgo.Interaction
		if err := json.Unmarshal(body, &it); err != nil {
			t.Fatal(err)
		}
		return &discordgo.InteractionCreate{Interaction: &it}
	}
	t.Run("command", func(t *testing.T) {
		g.emit(interaction(talkJSON("@everyone sharding")))
		c := api.wait(t, http.MethodPost, "/api/v10/interactions/400/itoken/callback")
		var r wireResponse
		if err := json.Unmarshal(c.Body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(r.Data.text(), "sharding") {
			t.Errorf("got %s, want an ephemeral answer about sharding", c.Body)
		}
	})
	t.Run("autocomplete", func(t *testing.T) {
		g.emit(interaction(autocompleteJSON("kaf")))
		c := api.wait(t, http.MethodPost, "/api/v10/interactions/400/itoken/callback")
		if !strings.Contains(string(c.Body), `"type":8`) || !strings.Contains(string(c.Body), "kafka") {
			t.Errorf("got %s, want choices with kafka", c.Body)
		}
	})
	t.Run("deferred", func(t *testing.T) {
		a.deferAfter = time.Millisecond
		defer func() { a.deferAfter = time.Minute }()
		go func() {
			api.wait(t, http.MethodPost, "/api/v10/interactions/400/itoken/callback")
			close(store.Gate)
		}()
		g.emit(interaction(talkJSON("subscriptions")))
		c := api.wait(t, http.MethodPatch, "/api/v10/webhooks/"+testAppID+"/itoken/messages/@original")
		if !strings.Contains(string(c.Body), "no digest subscription") {
			t.Errorf("got %s, want the answer in the edit", c.Body)
		}
	})
	t.Run("DMs", func(t *testing.T) {
		msg := func(guild string, author discordgo.User, content string) *discordgo.MessageCreate {
			return &discordgo.MessageCreate{Message: &discordgo.Message{ID: "m", ChannelID: "dm1", GuildID: guild, Author: &author, Content: content}}
		}
		g.emit(msg("g1", discordgo.User{ID: "u1"}, "talk sharding"))
		g.emit(msg("", discordgo.User{ID: "b2", Bot: true}, "talk sharding"))
		g.emit(msg("", discordgo.User{ID: testBotID}, "talk sharding"))
		g.emit(msg("", discordgo.User{ID: "u1"}, "speaker Johnny <@&123> @everyone"))
		c := api.wait(t, http.MethodPost, "/api/v10/channels/")
		if c.Path != "/api/v10/channels/dm1/messages" || !strings.Contains(string(c.Body), "Johnny") {
			t.Errorf("got %s %s, want the answer about Johnny in dm1", c.Path, c.Body)
		}
		if n := api.count(http.MethodPost, "/api/v10/channels/"); n != 1 {
			t.Errorf("got %d channel messages, want 1: guild, bot and own messages are ignored", n)
		}
	})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("got %v from Run, want nil", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed || slices.ContainsFunc(g.handlers, func(h any) bool { return h != nil }) {
		t.Errorf("got closed %v, handlers %v, want the gateway closed and every handler removed", g.closed, g.handlers)
	}
	if a.Ready() {
		t.Errorf("got Ready true after Run returned, want false")
	}
}

// TestRunClosesGatewayOpenedLate ends ctx while Open is connecting: the
// connection that Open then makes must still be closed.
func TestRunClosesGatewayOpenedLate(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{BotToken: "test-token", Gateway: true})
	ctx, cancel := context.WithCancel(context.Background())
	g := &fakeGateway{Session: e.a.s.(*discordgo.Session), opened: make(chan struct{}, 1), onOpen: cancel}
	e.a.s = g
	if err := e.a.Run(ctx); err != nil {
		t.Fatalf("got %v from Run, want nil", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		t.Errorf("got the gateway left open, want it closed after Open succeeded")
	}
}

func TestRegisterRetriesUntilDiscordAnswers(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{BotToken: "test-token", Gateway: true})
	g := &fakeGateway{Session: e.a.s.(*discordgo.Session), opened: make(chan struct{}, 1)}
	e.a.s = g
	e.a.backoff = func(int) time.Duration { return time.Millisecond }
	e.api.mu.Lock()
	e.api.failPuts = []int{http.StatusInternalServerError, http.StatusServiceUnavailable}
	e.api.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	<-g.opened // registration succeeded on the third try, then the gateway opened
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: got %v, want nil after retries", err)
	}
	e.api.mu.Lock()
	defer e.api.mu.Unlock()
	if got := e.api.commands["/api/v10/applications/"+testAppID+"/commands"]; len(got) == 0 {
		t.Error("commands not registered after Discord recovered")
	}
}

func TestRegisterRefusedTokenFailsFast(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{BotToken: "test-token", Gateway: true})
	e.a.backoff = func(int) time.Duration { return time.Hour } // a retry would hang the test
	e.api.mu.Lock()
	e.api.failPuts = []int{http.StatusUnauthorized}
	e.api.mu.Unlock()
	err := e.a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "discord.bot_token") {
		t.Errorf("Run with a refused token: got %v, want an error naming discord.bot_token", err)
	}
}

// TestFailedCallbackLogsNoToken answers a gateway interaction against an
// API that drops every connection: the *url.Error logged must not carry
// the interaction token that is part of the callback URL.
func TestFailedCallbackLogsNoToken(t *testing.T) {
	const token = "secret-interaction-token"
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	t.Cleanup(srv.Close)
	var logs bottest.LogBuffer
	b := testBot(t, bot.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cfg := Config{BotToken: "test-token", AppID: testAppID, APIURL: srv.URL + "/api/v10/"}
	s, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAdapter(cfg, b, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.work.Close(a.grace) })
	p := base(2, member{"u1", 0})
	p["token"] = token
	p["data"] = map[string]any{"id": "900", "name": "talk", "type": 1, "options": []any{map[string]any{"name": "query", "type": 3, "value": "sharding"}}}
	var it discordgo.Interaction
	if err := json.Unmarshal(mustJSON(p), &it); err != nil {
		t.Fatal(err)
	}
	a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &it})
	got := logs.String()
	if !strings.Contains(got, "answer discord interaction") || !strings.Contains(got, "/api/v10/interactions/400") {
		t.Fatalf("got logs %s, want the failed callback logged with its redacted URL", got)
	}
	if strings.Contains(got, token) {
		t.Errorf("got logs %s, want no interaction token", got)
	}
}

// TestFindFetchesSelfOnce: issue 11.13. A digest run's concurrent Finds
// ask Discord for the bot's own id once, not once each.
func TestFindFetchesSelfOnce(t *testing.T) {
	b := testBot(t, bot.Options{})
	e := newEnv(t, b, Config{BotToken: "test-token"})
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, _, err := e.a.Find(context.Background(), bot.ChannelRef{Platform: platform, Channel: fmt.Sprintf("c%d", i)}, "k"); err != nil {
				t.Errorf("Find: %v", err)
			}
		})
	}
	wg.Wait()
	if got := e.api.count(http.MethodGet, "/api/v10/users/@me"); got != 1 {
		t.Errorf("GET /users/@me: %d calls for %d Finds, want 1", got, n)
	}
	if got := e.api.count(http.MethodGet, "/api/v10/channels/"); got != n {
		t.Errorf("GET channel messages: %d calls, want %d", got, n)
	}
}
