package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
)

func TestPing(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	code, _, body := e.do(t, []byte(`{"id":"1","type":1,"application_id":"`+testAppID+`","token":"t"}`))
	if code != http.StatusOK || strings.TrimSpace(string(body)) != `{"type":1}` {
		t.Errorf("got %d %s, want 200 {\"type\":1}", code, body)
	}
}

func TestRefused(t *testing.T) {
	_, other, _ := ed25519.GenerateKey(nil)
	ping := []byte(`{"id":"1","type":1,"token":"t"}`)
	tests := []struct {
		name   string
		req    func(e *env) *http.Request
		code   int
		reason string
	}{
		{"unsigned", func(e *env) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(ping))
		}, http.StatusUnauthorized, "missing signature"},
		{"no timestamp", func(e *env) *http.Request {
			r := signedRequest(e.priv, time.Now(), ping)
			r.Header.Del("X-Signature-Timestamp")
			return r
		}, http.StatusUnauthorized, "missing signature"},
		{"signed by another key", func(e *env) *http.Request { return signedRequest(other, time.Now(), ping) }, http.StatusUnauthorized, "bad signature"},
		{"body changed after signing", func(e *env) *http.Request {
			r := signedRequest(e.priv, time.Now(), ping)
			r.Body = httpBody(`{"id":"1","type":2,"token":"t"}`)
			return r
		}, http.StatusUnauthorized, "bad signature"},
		{"signature not hex", func(e *env) *http.Request {
			r := signedRequest(e.priv, time.Now(), ping)
			r.Header.Set("X-Signature-Ed25519", "zz")
			return r
		}, http.StatusUnauthorized, "bad signature"},
		{"signature too short", func(e *env) *http.Request {
			r := signedRequest(e.priv, time.Now(), ping)
			r.Header.Set("X-Signature-Ed25519", r.Header.Get("X-Signature-Ed25519")[:64])
			return r
		}, http.StatusUnauthorized, "bad signature"},
		{"timestamp changed after signing", func(e *env) *http.Request {
			r := signedRequest(e.priv, time.Now(), ping)
			r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(time.Now().Unix()+1, 10))
			return r
		}, http.StatusUnauthorized, "bad signature"},
		{"stale timestamp", func(e *env) *http.Request { return signedRequest(e.priv, time.Now().Add(-10*time.Minute), ping) }, http.StatusUnauthorized, "stale timestamp"},
		{"malformed json", func(e *env) *http.Request { return signedRequest(e.priv, time.Now(), []byte(`{"type":`)) }, http.StatusBadRequest, "malformed json"},
		{"unknown type", func(e *env) *http.Request { return signedRequest(e.priv, time.Now(), []byte(`{"type":42}`)) }, http.StatusBadRequest, "unsupported interaction type"},
		{"too large", func(e *env) *http.Request {
			return signedRequest(e.priv, time.Now(), bytes.Repeat([]byte(" "), maxBody+1))
		}, http.StatusRequestEntityTooLarge, "body too large"},
		{"GET", func(e *env) *http.Request { return httptest.NewRequest(http.MethodGet, "/discord/interactions", nil) }, http.StatusMethodNotAllowed, "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &bottest.Observer{}
			e := newEnv(t, testBot(t, bot.Options{Observer: obs}), Config{})
			rec := httptest.NewRecorder()
			e.a.Handler().ServeHTTP(rec, tt.req(e))
			if rec.Code != tt.code {
				t.Errorf("got status %d, want %d", rec.Code, tt.code)
			}
			if got, want := obs.Rejections(), []string{"discord: " + tt.reason}; !slices.Equal(got, want) {
				t.Errorf("got rejections %v, want %v", got, want)
			}
		})
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestEndpointDisabledWithoutPublicKey(t *testing.T) {
	a, err := New(Config{BotToken: "test-token", AppID: testAppID}, testBot(t, bot.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/discord/interactions", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("got status %d, want %d", rec.Code, http.StatusNotFound)
	}
}

func TestCommands(t *testing.T) {
	b := testBot(t, bot.Options{})
	id := b.Corpus().Talks[0].ID
	tests := []struct {
		query string
		want  []string // substrings of the rendered text
	}{
		{"sharding", []string{"Best of", "sharding"}},
		{"speaker Johnny", []string{"Johnny"}},
		{"show " + id, []string{"id: " + id, "Summary"}},
		{"help", []string{"talkbot: conference talk recaps", "talk speaker"}},
		{"@everyone <@&123>", []string{"@\u200beveryone \\<@&123>"}}, // allowed_mentions aside, @everyone is broken up
		{"<@42> in <#7> [click](https://evil.example)", []string{`\<@42> in \<#7> \[click\](https://evil.example)`}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			e := newEnv(t, b, Config{})
			code, resp, body := e.do(t, talkJSON(tt.query))
			if code != http.StatusOK {
				t.Fatalf("got status %d (%s), want 200", code, body)
			}
			if resp.Type != 4 || resp.Data.Flags != 64 {
				t.Errorf("got type %d flags %d, want 4 and 64 (ephemeral)", resp.Type, resp.Data.Flags)
			}
			if err := checkMentionsOff(mustJSON(resp.Data)); err != nil {
				t.Error(err)
			}
			if len(resp.Data.Embeds) != 1 {
				t.Fatalf("got %d embeds, want 1", len(resp.Data.Embeds))
			}
			for _, w := range tt.want {
				if !strings.Contains(resp.Data.text(), w) {
					t.Errorf("got %q, want it to contain %q", resp.Data.text(), w)
				}
			}
			checkLimits(t, body)
		})
	}
}

func TestGolden(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	_, _, body := e.do(t, talkJSON("sharding"))
	bottest.GoldenJSON(t, "talk_sharding.json", body)
	// The README registers this file with curl for HTTP-only deployments.
	bottest.GoldenJSON(t, "commands.json", mustJSON(Commands()))
}

func TestSubscriptionPermissions(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"member via /talk", commandJSON("talk", map[string]string{"query": "subscribe"}, member{"u1", discordgo.PermissionSendMessages}), "Only workspace admins"},
		{"manage channels via /talk", commandJSON("talk", map[string]string{"query": "subscribe"}, member{"u1", discordgo.PermissionManageChannels}), "Subscribed"},
		{"administrator via /talk", commandJSON("talk", map[string]string{"query": "subscribe kafka"}, member{"u1", discordgo.PermissionAdministrator}), "kafka"},
		{"member via /talk-subscribe", commandJSON("talk-subscribe", nil, member{"u1", 0}), "Only workspace admins"},
		{"manage channels via /talk-subscribe", commandJSON("talk-subscribe", map[string]string{"topics": "kafka"}, member{"u1", discordgo.PermissionManageChannels}), "kafka"},
		{"unsubscribe without subscription", commandJSON("talk-unsubscribe", nil, member{"u1", discordgo.PermissionManageChannels}), "no digest subscription"},
		{"unknown command", commandJSON("talk-old", nil, member{"u1", 0}), "not talkbot's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, testBot(t, bot.Options{Store: bottest.NewGatedStore(true)}), Config{})
			_, resp, body := e.do(t, tt.body)
			if resp.Type != 4 || resp.Data.Flags != 64 {
				t.Errorf("got type %d flags %d, want 4 and 64", resp.Type, resp.Data.Flags)
			}
			if !strings.Contains(resp.Data.text(), tt.want) {
				t.Errorf("got %s, want it to contain %q", body, tt.want)
			}
		})
	}
}

func TestAutocomplete(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	tests := []struct {
		partial string
		want    string
	}{
		{"shar", "sharding"},
		{"샤", "샤딩"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.partial, func(t *testing.T) {
			_, resp, body := e.do(t, autocompleteJSON(tt.partial))
			if resp.Type != 8 {
				t.Errorf("got type %d, want 8", resp.Type)
			}
			cs := resp.Data.Choices
			if len(cs) == 0 || len(cs) > 25 {
				t.Fatalf("got %d choices (%s), want 1 to 25", len(cs), body)
			}
			var names []string
			for _, c := range cs {
				if length(c.Name) > 100 || length(c.Value) > 100 || c.Name == "" {
					t.Errorf("got choice %q, want 1 to 100 characters", c.Name)
				}
				names = append(names, c.Name)
			}
			if tt.want != "" && !slices.Contains(names, tt.want) {
				t.Errorf("got %v, want %q among them", names, tt.want)
			}
		})
	}
}

// TestAutocompleteLongValues: a completion too long for a choice value is
// left out, never cut, since the value is the query that runs.
func TestAutocompleteLongValues(t *testing.T) {
	e := newEnv(t, bot.New(giantCorpus(), bot.Options{}), Config{})
	tests := []struct {
		partial  string
		wantSome bool
	}{
		{"제목", false}, // every title is hundreds of bytes
		{"tag1", true},
	}
	for _, tt := range tests {
		t.Run(tt.partial, func(t *testing.T) {
			_, resp, body := e.do(t, autocompleteJSON(tt.partial))
			if resp.Type != 8 {
				t.Fatalf("got %s, want type 8", body)
			}
			if got := len(resp.Data.Choices) > 0; got != tt.wantSome {
				t.Errorf("got %d choices (%s), want some: %v", len(resp.Data.Choices), body, tt.wantSome)
			}
			for _, c := range resp.Data.Choices {
				if len(c.Value) > maxChoice || strings.Contains(c.Value, "…") || c.Name != c.Value {
					t.Errorf("got choice %q = %q, want an uncut value of at most %d bytes named after itself", c.Name, c.Value, maxChoice)
				}
			}
		})
	}
}

func TestButtons(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{PageSize: 2}), Config{})
	_, first, _ := e.do(t, talkJSON("sharding"))
	next, show, share := first.Data.button("n"), first.Data.button("s"), first.Data.button("x")
	if next == "" || show == "" || share == "" {
		t.Fatalf("got buttons %+v, want next, show and share", first.Data.Components)
	}
	tests := []struct {
		name      string
		customID  string
		ephemeral bool // the message the button is on
		wantType  int
		wantFlags int
		want      string
	}{
		{"next on the ephemeral answer updates it", next, true, 7, 0, "page 2"},
		{"next on a shared answer answers privately", next, false, 4, 64, "page 2"},
		{"show", show, true, 4, 64, "Summary"},
		{"share", share, true, 4, 0, "Shared by <@u1>"},
		{"share without results answers privately", "x1:zzqqxx-nothing-matches", true, 4, 64, "zzqqxx"},
		{"share of a refused command answers privately", "x1:subscribe", true, 4, 64, "not available"},
		{"unknown button", "zz:what", true, 4, 64, "no longer works"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, body := e.do(t, componentJSON(tt.customID, tt.ephemeral))
			if resp.Type != tt.wantType || resp.Data.Flags != tt.wantFlags {
				t.Errorf("got type %d flags %d, want %d and %d", resp.Type, resp.Data.Flags, tt.wantType, tt.wantFlags)
			}
			if !strings.Contains(resp.Data.text(), tt.want) {
				t.Errorf("got %s, want it to contain %q", body, tt.want)
			}
			if err := checkMentionsOff(mustJSON(resp.Data)); err != nil {
				t.Error(err)
			}
			if tt.customID == share && resp.Data.button("x") != "" {
				t.Errorf("got a share button on the shared message, want none")
			}
			if tt.wantFlags != 0 && strings.Contains(resp.Data.Content, "Shared") {
				t.Errorf("got %q on a private answer, want no \"Shared by\"", resp.Data.Content)
			}
		})
	}
}

// TestDeferral answers a command whose store is slow: the endpoint defers
// (type 5, ephemeral) and the answer arrives by editing @original.
func TestDeferral(t *testing.T) {
	store := bottest.NewGatedStore(false)
	e := newEnv(t, testBot(t, bot.Options{Store: store}), Config{})
	e.a.deferAfter = time.Millisecond // the store blocks until released, so the deferral is certain
	_, resp, body := e.do(t, talkJSON("subscriptions"))
	if resp.Type != 5 || resp.Data.Flags != 64 {
		t.Errorf("got %s, want type 5 with flags 64", body)
	}
	close(store.Gate)
	c := e.api.wait(t, http.MethodPatch, "/api/v10/webhooks/"+testAppID+"/itoken/messages/@original")
	var m wireMessage
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := m.text(), "no digest subscription"; !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
}

// TestDeferredShare defers shares: the deferral is ephemeral; an answer
// that may go public is posted as a public follow-up after the deferral
// became a "Shared." note; a failed one replaces the deferral, privately.
func TestDeferredShare(t *testing.T) {
	tests := []struct {
		name       string
		storeErr   error
		wantPublic bool
		wantEdit   string // in the edit of @original
	}{
		{"ok", nil, true, "Shared."},
		{"failed", errors.New("disk on fire"), false, "went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := bottest.NewGatedStore(false)
			store.Err = tt.storeErr
			e := newEnv(t, testBot(t, bot.Options{Store: store}), Config{})
			e.a.deferAfter = time.Millisecond // the store blocks until released, so the deferral is certain
			_, resp, body := e.do(t, componentJSON("x1:subscriptions", true))
			if resp.Type != 5 || resp.Data.Flags != 64 {
				t.Errorf("got %s, want type 5 with flags 64 (ephemeral)", body)
			}
			close(store.Gate)
			edit := e.api.wait(t, http.MethodPatch, "/api/v10/webhooks/"+testAppID+"/itoken/messages/@original")
			var m wireMessage
			if err := json.Unmarshal(edit.Body, &m); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.text(), tt.wantEdit) || strings.Contains(m.Content, "Shared by") {
				t.Errorf("got edit %s, want it to contain %q and not name the sharer", edit.Body, tt.wantEdit)
			}
			if !tt.wantPublic {
				e.a.work.Wait() // the deferred work is done
				if n := e.api.count(http.MethodPost, "/api/v10/webhooks/"); n != 0 {
					t.Errorf("got %d follow-ups, want none: a failed share is not posted", n)
				}
				return
			}
			f := e.api.wait(t, http.MethodPost, "/api/v10/webhooks/"+testAppID+"/itoken")
			if f.Path != "/api/v10/webhooks/"+testAppID+"/itoken" {
				t.Fatalf("got POST %s, want the follow-up endpoint", f.Path)
			}
			if err := json.Unmarshal(f.Body, &m); err != nil {
				t.Fatal(err)
			}
			if m.Flags != 0 || m.Content != "Shared by <@u1>" || !strings.Contains(m.text(), "no digest subscription") || m.button("x") != "" {
				t.Errorf("got follow-up %s, want a public answer shared by u1 without a share button", f.Body)
			}
		})
	}
}

// checkLimits decodes an interaction response or message and checks every
// Discord size limit.
func checkLimits(t *testing.T, body []byte) {
	t.Helper()
	var r struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err == nil && r.Data != nil {
		body = r.Data
	}
	var m discordgo.Message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var comps struct {
		Components []struct {
			Components []struct {
				Label    string `json:"label"`
				CustomID string `json:"custom_id"`
			} `json:"components"`
		} `json:"components"`
	}
	_ = json.Unmarshal(body, &comps)
	check := func(what, s string, n int) {
		t.Helper()
		if length(s) > n {
			t.Errorf("%s: got %d characters, want at most %d", what, length(s), n)
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s: got invalid UTF-8 %q", what, s)
		}
	}
	check("content", m.Content, maxContent)
	if len(m.Embeds) > 10 {
		t.Errorf("got %d embeds, want at most 10", len(m.Embeds))
	}
	total := 0
	for _, e := range m.Embeds {
		check("title", e.Title, maxTitle)
		check("description", e.Description, maxDescription)
		total += length(e.Title) + length(e.Description)
		if len(e.Fields) > maxFields {
			t.Errorf("got %d fields, want at most %d", len(e.Fields), maxFields)
		}
		for _, f := range e.Fields {
			check("field name", f.Name, maxFieldName)
			check("field value", f.Value, maxFieldValue)
			if f.Name == "" || f.Value == "" {
				t.Errorf("got an empty field %+v", f)
			}
			total += length(f.Name) + length(f.Value)
		}
		if e.Footer != nil {
			check("footer", e.Footer.Text, maxFooter)
			total += length(e.Footer.Text)
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("got %d embed characters in all, want at most %d", total, maxEmbedTotal)
	}
	if len(comps.Components) > maxRows {
		t.Errorf("got %d action rows, want at most %d", len(comps.Components), maxRows)
	}
	seen := map[string]bool{}
	for _, row := range comps.Components {
		if len(row.Components) > maxButtons {
			t.Errorf("got %d buttons in a row, want at most %d", len(row.Components), maxButtons)
		}
		for _, b := range row.Components {
			check("button label", b.Label, maxButtonLabel)
			check("custom_id", b.CustomID, maxCustomID)
			if seen[b.CustomID] {
				t.Errorf("got custom_id %q twice, want unique ids", b.CustomID)
			}
			seen[b.CustomID] = true
		}
	}
}

func TestValidate(t *testing.T) {
	key := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"empty", Config{}, "discord.bot_token (env TALKBOT_DISCORD_BOT_TOKEN) or discord.public_key"},
		{"token and app id", Config{BotToken: "x", AppID: "1", Gateway: true}, ""},
		{"token without app id", Config{BotToken: "x"}, "discord.app_id is required to register commands"},
		{"HTTP only", Config{PublicKey: key, AppID: "1"}, ""},
		{"public key alone", Config{PublicKey: key}, ""},
		{"short public key", Config{PublicKey: "abcd", AppID: "1"}, "discord.public_key must be 64 hex characters (env TALKBOT_DISCORD_PUBLIC_KEY)"},
		{"public key not hex", Config{PublicKey: strings.Repeat("zz", 32)}, "discord.public_key must be 64 hex characters"},
		{"app id not numeric", Config{BotToken: "x", AppID: "app"}, "discord.app_id must be a numeric"},
		{"guild without token", Config{PublicKey: key, GuildID: "5"}, "discord.guild_id needs discord.bot_token"},
		{"guild not numeric", Config{BotToken: "x", AppID: "1", GuildID: "dev"}, "discord.guild_id must be a numeric"},
		{"bad api url", Config{BotToken: "x", AppID: "1", APIURL: "discord.local"}, "discord.api_url must be an absolute http(s) URL"},
		{"token with a space", Config{BotToken: "x y", AppID: "1"}, "discord.bot_token must not contain spaces"},
		{"token with its prefix", Config{BotToken: "Bot xyz", AppID: "1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCommandSet(t *testing.T) {
	for _, c := range Commands() {
		if len(c.Description) > 100 || len(c.Name) > 32 {
			t.Errorf("command %s: got name %d and description %d characters, want at most 32 and 100", c.Name, len(c.Name), len(c.Description))
		}
		for _, o := range c.Options {
			if len(o.Description) > 100 {
				t.Errorf("option %s: got description of %d characters, want at most 100", o.Name, len(o.Description))
			}
		}
	}
	talk := Commands()[0]
	if o := talk.Options[0]; talk.Name != "talk" || o.Name != "query" || !o.Required || !o.Autocomplete || o.Type != discordgo.ApplicationCommandOptionString {
		t.Errorf("got /%s with option %+v, want /talk with a required string option query with autocomplete", talk.Name, o)
	}
	for _, c := range Commands()[1:] {
		if c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != discordgo.PermissionManageChannels {
			t.Errorf("/%s: got default member permissions %v, want Manage Channels", c.Name, c.DefaultMemberPermissions)
		}
	}
	if got := strconv.Itoa(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory); got != "84992" {
		t.Errorf("got invite permissions %s, want 84992 as the README says", got)
	}
}

// TestShutdown: once Run has returned, a command or a button is told that
// talkbot is restarting. (How work in flight is waited for and then
// cancelled is package inflight's, and tested there.)
func TestShutdown(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.a.Run(ctx); err != nil {
		t.Fatalf("got %v from Run, want nil", err)
	}
	for _, body := range [][]byte{talkJSON("sharding"), componentJSON("n2:db", true)} {
		_, resp, got := e.do(t, body)
		if resp.Type != 4 || resp.Data.Flags != 64 || !strings.Contains(resp.Data.Content, "restarting") {
			t.Errorf("got %s, want an ephemeral restarting notice", got)
		}
	}
}

// TestGatewayAfterShutdown: an interaction delivered over the gateway
// after Run returned is answered "restarting"; a DM is not answered.
func TestGatewayAfterShutdown(t *testing.T) {
	api := newFakeAPI(t)
	a, g := gatewayAdapter(t, api, testBot(t, bot.Options{}), Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-g.opened
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("got %v from Run, want nil", err)
	}
	if r, body := gatewayTalk(t, a, api, "sharding"); r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(r.Data.Content, "restarting") {
		t.Errorf("got %s, want an ephemeral restarting notice", body)
	}
	a.onMessage(context.Background(), &discordgo.MessageCreate{Message: &discordgo.Message{ID: "m", ChannelID: "dm1", Author: &discordgo.User{ID: "u1"}, Content: "talk sharding"}})
	if n := api.count(http.MethodPost, "/api/v10/channels/"); n != 0 {
		t.Errorf("got %d channel messages after shutdown, want none", n)
	}
}

// TestOptionWithoutValue: an option that arrives without "value" (a
// hand-made or malformed interaction) is an empty query, in commands,
// subscription commands and autocomplete alike; discordgo's StringValue
// would panic on it.
func TestOptionWithoutValue(t *testing.T) {
	e := newEnv(t, testBot(t, bot.Options{}), Config{})
	opt := func(name string, focused bool) []any {
		return []any{map[string]any{"name": name, "type": 3, "focused": focused}}
	}
	tests := []struct {
		name    string
		typ     int
		command string
		opts    []any
		want    int // response type
	}{
		{"talk", 2, "talk", opt("query", false), 4},
		{"subscribe", 2, "talk-subscribe", opt("topics", false), 4},
		{"autocomplete", 4, "talk", opt("query", true), 8},
		{"null value", 2, "talk", []any{map[string]any{"name": "query", "type": 3, "value": nil}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base(tt.typ, member{"u1", 0})
			p["data"] = map[string]any{"id": "900", "name": tt.command, "type": 1, "options": tt.opts}
			code, resp, body := e.do(t, mustJSON(p))
			if code != http.StatusOK || resp.Type != tt.want {
				t.Fatalf("got %d type %d (%s), want 200 and type %d", code, resp.Type, body, tt.want)
			}
		})
	}
}

// TestOddMethodsAddNoSeries: refusal reasons are metric labels, so they
// come from a fixed set: 1,000 requests with made-up methods (and
// made-up interaction types) are counted under one reason each, not one
// per method.
func TestOddMethodsAddNoSeries(t *testing.T) {
	obs := &bottest.Observer{}
	e := newEnv(t, testBot(t, bot.Options{Observer: obs}), Config{})
	for i := range 1000 {
		r := httptest.NewRequest("ZZZ"+strconv.Itoa(i), "/discord/interactions", nil)
		e.a.Handler().ServeHTTP(httptest.NewRecorder(), r)
		body := []byte(`{"type":` + strconv.Itoa(6+i%250) + `}`) // a uint8 on the wire
		e.a.Handler().ServeHTTP(httptest.NewRecorder(), signedRequest(e.priv, time.Now(), body))
	}
	got := map[string]int{}
	for _, r := range obs.Rejections() {
		got[r]++
	}
	want := map[string]int{"discord: method not allowed": 1000, "discord: unsupported interaction type": 1000}
	if len(got) != len(want) || got["discord: method not allowed"] != 1000 || got["discord: unsupported interaction type"] != 1000 {
		t.Errorf("got %d reasons (%.300v…), want %v", len(got), got, want)
	}
}

// TestPanicAnswered: a panic while answering an HTTP interaction, a
// gateway interaction or a DM is recovered, counted, and answered
// "something went wrong"; the adapter goes on.
func TestPanicAnswered(t *testing.T) {
	store := bottest.NewGatedStore(true)
	store.Panic = "boom"
	obs := &bottest.Observer{}
	b := testBot(t, bot.Options{Store: store, Observer: obs})
	e := newEnv(t, b, Config{})
	failed := i18n.T(i18n.EN, "failed")
	_, resp, body := e.do(t, talkJSON("subscriptions"))
	if resp.Type != 4 || resp.Data.Flags != 64 || resp.Data.Content != failed {
		t.Errorf("HTTP: got %s, want an ephemeral %q", body, failed)
	}

	api := newFakeAPI(t)
	a, _ := gatewayAdapter(t, api, b, Config{})
	if r, body := gatewayTalk(t, a, api, "subscriptions"); r.Data.Content != failed {
		t.Errorf("gateway: got %s, want %q", body, failed)
	}
	a.onMessage(context.Background(), &discordgo.MessageCreate{Message: &discordgo.Message{ID: "m", ChannelID: "dm1", Author: &discordgo.User{ID: "u1"}, Content: "subscriptions"}})
	c := api.wait(t, http.MethodPost, "/api/v10/channels/dm1/messages")
	if !strings.Contains(string(c.Body), failed) {
		t.Errorf("DM: got %s, want %q", c.Body, failed)
	}
	if got, want := obs.Panics(), []string{"discord", "discord", "discord"}; !slices.Equal(got, want) {
		t.Errorf("panics: got %v, want %v", got, want)
	}
	if _, resp, body := e.do(t, talkJSON("sharding")); resp.Type != 4 || !strings.Contains(resp.Data.text(), "sharding") {
		t.Errorf("after the panics: got %s, want the answer", body)
	}
}

// gatewayTalk delivers /talk query as a gateway interaction and returns
// the interaction response the adapter sent back.
func gatewayTalk(t *testing.T, a *Adapter, api *fakeAPI, query string) (wireResponse, []byte) {
	t.Helper()
	var it discordgo.Interaction
	if err := json.Unmarshal(talkJSON(query), &it); err != nil {
		t.Fatal(err)
	}
	a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &it})
	c := api.wait(t, http.MethodPost, "/api/v10/interactions/400/itoken/callback")
	var r wireResponse
	if err := json.Unmarshal(c.Body, &r); err != nil {
		t.Fatal(err)
	}
	return r, c.Body
}
