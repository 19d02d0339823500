package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
)

const shardingTitle = "당근 채팅 시스템은 어떻게 만들까"

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"http", Config{BotToken: "xoxb-1", SigningSecret: "s"}, ""},
		{"socket mode", Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, ""},
		{"no bot token", Config{SigningSecret: "s"}, "slack.bot_token is required"},
		{"app token as bot token", Config{BotToken: "xapp-1", SigningSecret: "s"}, "slack.bot_token holds an app-level token"},
		{"no secret", Config{BotToken: "xoxb-1"}, "slack.signing_secret is required for the HTTP endpoints (env TALKBOT_SLACK_SIGNING_SECRET)"},
		{"bad app token", Config{BotToken: "xoxb-1", AppToken: "xoxb-2"}, "slack.app_token must"},
		{"api url without slash", Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:1/api"}, "slack.api_url"},
		{"api url not http", Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "ftp://x/"}, "slack.api_url"},
		{"api url", Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:1/api/"}, ""},
		{"empty admin", Config{BotToken: "xoxb-1", SigningSecret: "s", Admins: []string{""}}, "slack.admins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tt.want == "") != (err == nil) || !strings.Contains(got, tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if err != nil && (strings.Contains(got, "xoxb-1") || strings.Contains(got, "xapp-1")) {
				t.Errorf("error %q reveals a token", got)
			}
		})
	}
}

func TestVerification(t *testing.T) {
	e := newEnv(t)
	good := "token=x&team_id=T1&channel_id=C1&user_id=U1&command=%2Ftalk&text=help&response_url=" + e.slack.responseURL()
	now := time.Now()
	forged := sign(testSecret, now, good)
	forged.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	otherSecret := sign("not-the-secret", now, good)
	noSig := sign(testSecret, now, good)
	noSig.Del("X-Slack-Signature")
	noTS := sign(testSecret, now, good)
	noTS.Del("X-Slack-Request-Timestamp")
	short := sign(testSecret, now, good)
	short.Set("X-Slack-Signature", "v0=deadbeef")
	notV0 := sign(testSecret, now, good)
	notV0.Set("X-Slack-Signature", strings.Replace(notV0.Get("X-Slack-Signature"), "v0=", "v1=", 1))
	badTS := sign(testSecret, now, good)
	badTS.Set("X-Slack-Request-Timestamp", "yesterday")
	big := strings.Repeat("a", maxBody+1)
	badForm := "text=%zz"
	badJSON := `{"type":`

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		h      http.Header
		want   int
		reason string // "" when accepted
	}{
		{"signed", "POST", "/slack/commands", good, sign(testSecret, now, good), 200, ""},
		{"ssl check", "POST", "/slack/commands", "ssl_check=1&token=x", sign(testSecret, now, "ssl_check=1&token=x"), 200, ""},
		{"forged", "POST", "/slack/commands", good, forged, 401, "bad signature"},
		{"short signature", "POST", "/slack/commands", good, short, 401, "bad signature"},
		{"other version", "POST", "/slack/commands", good, notV0, 401, "bad signature"},
		{"other secret", "POST", "/slack/commands", good, otherSecret, 401, "bad signature"},
		{"body changed", "POST", "/slack/commands", good + "x", sign(testSecret, now, good), 401, "bad signature"},
		{"no signature", "POST", "/slack/commands", good, noSig, 401, "missing signature"},
		{"no timestamp", "POST", "/slack/commands", good, noTS, 401, "missing signature"},
		{"bad timestamp", "POST", "/slack/commands", good, badTS, 401, "bad signature headers"},
		{"stale", "POST", "/slack/commands", good, sign(testSecret, now.Add(-6*time.Minute), good), 401, "stale timestamp"},
		{"future", "POST", "/slack/commands", good, sign(testSecret, now.Add(6*time.Minute), good), 401, "stale timestamp"},
		{"unsigned ssl check", "POST", "/slack/commands", "ssl_check=1", nil, 401, "missing signature"},
		{"too large", "POST", "/slack/commands", big, sign(testSecret, now, big), 413, "body too large"},
		{"malformed form", "POST", "/slack/commands", badForm, sign(testSecret, now, badForm), 400, "malformed form"},
		{"command without user", "POST", "/slack/commands", "text=x", sign(testSecret, now, "text=x"), 400, "slash command without user, channel or response_url"},
		{"malformed event", "POST", "/slack/events", badJSON, sign(testSecret, now, badJSON), 400, "malformed event"},
		{"malformed interaction", "POST", "/slack/interactions", "payload=%7B", sign(testSecret, now, "payload=%7B"), 400, "malformed interaction payload"},
		{"get", "GET", "/slack/commands", "", sign(testSecret, now, ""), 405, "method not allowed"},
		{"put events", "PUT", "/slack/events", "{}", sign(testSecret, now, "{}"), 405, "method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.obs.Rejections())
			calls := len(e.slack.all())
			got, _ := e.do(t, tt.method, tt.path, tt.body, tt.h)
			if got != tt.want {
				t.Errorf("status: got %v, want %v", got, tt.want)
			}
			rs := e.obs.Rejections()[before:]
			if tt.reason == "" {
				if len(rs) != 0 {
					t.Errorf("rejections: got %v, want none", rs)
				}
				return
			}
			if want := []string{"slack: " + tt.reason}; !slices.Equal(rs, want) {
				t.Errorf("rejections: got %v, want %v", rs, want)
			}
			if n := len(e.slack.all()); n != calls {
				t.Errorf("Slack API calls after a refused request: got %v, want %v", n-calls, 0)
			}
		})
	}
}

func TestUnknownPath(t *testing.T) {
	e := newEnv(t)
	if got, _ := e.post(t, "/slack/other", "x=1"); got != http.StatusNotFound {
		t.Errorf("got %v, want %v", got, http.StatusNotFound)
	}
}

// decodeMessage decodes an inline slash-command response.
func decodeMessage(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("response %q is not JSON: %v", body, err)
	}
	return m
}

func TestSlashCommandSharding(t *testing.T) {
	e := newEnv(t)
	status, body := e.command(t, "U1", "C1", "sharding")
	if status != http.StatusOK {
		t.Fatalf("status: got %v, want %v", status, http.StatusOK)
	}
	m := decodeMessage(t, body)
	if got := m["response_type"]; got != "ephemeral" {
		t.Errorf("response_type: got %v, want %v", got, "ephemeral")
	}
	if got, _ := m["text"].(string); !strings.Contains(got, "“sharding”") {
		t.Errorf("text: got %q, want it to quote the query", got)
	}
	blocks, _ := m["blocks"].([]any)
	if s := joined(blocks); !strings.Contains(s, shardingTitle) || !strings.Contains(s, "Daangn Tech Meetup 2024") {
		t.Errorf("blocks do not show the Daangn chat sharding talk:\n%s", s)
	}
	bs := buttons(blocks)
	if v, ok := bs["Share to channel"]; !ok || !strings.HasSuffix(v, ":sharding") {
		t.Errorf("share button: got %q (present %v), want a value ending in %q", v, ok, ":sharding")
	}
	if _, ok := bs["Show full recap"]; !ok {
		t.Errorf("buttons: got %v, want a Show full recap button", bs)
	}
	if n := len(e.slack.called("users.info")); n != 1 {
		t.Errorf("users.info calls for a first search: got %v, want %v (the user's locale)", n, 1)
	}
	if n := len(e.slack.called("response_url")); n != 0 {
		t.Errorf("response_url posts for an inline answer: got %v, want %v", n, 0)
	}
	checkLimits(t, blocks)
	bottest.GoldenJSON(t, "talk_sharding.json", []byte(body))
}

// TestSlashCommandDeferred: an answer that takes longer than the inline
// budget is acknowledged with an empty body and sent through the
// response_url, for every command.
func TestSlashCommandDeferred(t *testing.T) {
	store := bottest.NewGatedStore(false)
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = store })
	e.a.budget = time.Millisecond // the store blocks until released, so the deferral is certain
	status, body := e.commandAsync(t, "U1", "C1", "subscriptions")
	if status != http.StatusOK || body != "" {
		t.Fatalf("acknowledgement: got %v %q, want %v and an empty body", status, body, http.StatusOK)
	}
	close(store.Gate)
	e.a.work.Wait()
	posts := e.slack.called("response_url")
	if len(posts) != 1 {
		t.Fatalf("response_url posts: got %v, want %v", len(posts), 1)
	}
	p := posts[0].JSON
	if got := p["response_type"]; got != "ephemeral" {
		t.Errorf("response_type: got %v, want %v", got, "ephemeral")
	}
	if s := joined(p); !strings.Contains(s, "no digest subscription") {
		t.Errorf("deferred answer: got %s, want the listing", s)
	}
}

func TestSubscribePermissions(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		text      string
		wantInfo  int    // users.info calls: one, for the locale, shared with the role's
		wantReply string // substring of the response_url post
	}{
		{"workspace admin", "UADMIN", "subscribe", 1, "Subscribed"},
		{"workspace owner", "UOWNER", "subscribe sharding", 1, "Subscribed"},
		{"configured admin", "UCONF", "subscribe", 1, "Subscribed"},
		{"member", "U1", "subscribe", 1, "Only workspace admins"},
		{"member unsubscribes", "U1", "unsubscribe", 1, "Only workspace admins"},
		{"listing needs no role", "U1", "subscriptions", 1, "no digest subscription"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config, o *bot.Options) {
				c.Admins = []string{"UCONF"}
				o.Store = bottest.NewStore()
			})
			status, body := e.command(t, tt.user, "C1", tt.text)
			if status != http.StatusOK {
				t.Fatalf("status: got %v, want %v", status, http.StatusOK)
			}
			if n := len(e.slack.called("users.info")); n != tt.wantInfo {
				t.Errorf("users.info calls: got %v, want %v", n, tt.wantInfo)
			}
			all := []string{body}
			for _, c := range e.slack.called("response_url") {
				all = append(all, joined(c.JSON))
			}
			if s := strings.Join(all, "\n"); !strings.Contains(s, tt.wantReply) {
				t.Errorf("answer: got %q, want it to contain %q", s, tt.wantReply)
			}
		})
	}
}

// TestShareButton: "Share to channel" posts the answer through the
// button's response_url, in_channel, which works in every kind of channel
// the user can post in, the bot a member or not; then it removes the
// ephemeral answer. chat.postMessage is not used.
func TestShareButton(t *testing.T) {
	for _, channel := range []string{"C1", "DPEOPLE", "GPRIVATE"} {
		t.Run(channel, func(t *testing.T) {
			e := newEnv(t)
			_, body := e.command(t, "U1", channel, "sharding")
			value := buttons(decodeMessage(t, body)["blocks"].([]any))["Share to channel"]

			if status, _ := e.press(t, "U1", channel, value, true); status != http.StatusOK {
				t.Fatalf("status: got %v, want %v", status, http.StatusOK)
			}
			if n := len(e.slack.called("chat.postMessage")); n != 0 {
				t.Errorf("chat.postMessage calls: got %v, want %v", n, 0)
			}
			p := e.slack.shared(t)
			blocks := p.blocks(t)
			s := joined(blocks)
			if !strings.Contains(s, shardingTitle) {
				t.Errorf("shared message does not show the talk:\n%s", s)
			}
			if !strings.Contains(s, "Shared by <@U1>") {
				t.Errorf("shared message has no attribution:\n%s", s)
			}
			if _, ok := buttons(blocks)["Share to channel"]; ok {
				t.Errorf("shared message still has a Share button")
			}
			if p.JSON["text"] == "" || p.JSON["replace_original"] == true {
				t.Errorf("shared message: got %v, want a fallback text and a new message", p.JSON)
			}
			checkLimits(t, blocks)
			hooks := e.slack.called("response_url")
			if len(hooks) != 2 || hooks[1].JSON["delete_original"] != true {
				t.Errorf("response_url posts: got %v, want the share, then one delete_original", hooks)
			}
		})
	}
}

// TestShareButtonFallback: when the response_url refuses the share (it
// expires after 30 minutes), the share is posted with chat.postMessage.
func TestShareButtonFallback(t *testing.T) {
	e := newEnv(t)
	e.slack.refuseInChannel = true
	e.press(t, "U1", "C1", "x1:sharding", true)
	posts := e.slack.called("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "C1" {
		t.Fatalf("chat.postMessage calls: got %v, want one to C1", posts)
	}
	if s := joined(posts[0].blocks(t)); !strings.Contains(s, "Shared by <@U1>") {
		t.Errorf("shared message has no attribution:\n%s", s)
	}
}

// TestShareButtonChannelGone: when neither the response_url nor
// chat.postMessage can post, the user is told why, privately.
func TestShareButtonChannelGone(t *testing.T) {
	e := newEnv(t)
	e.slack.refuseInChannel = true
	e.press(t, "U1", "CGONE", "x1:sharding", true)
	if n := len(e.slack.called("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage calls: got %v, want %v", n, 1)
	}
	hooks := e.slack.called("response_url")
	if len(hooks) != 1 {
		t.Fatalf("response_url posts: got %v, want %v", len(hooks), 1)
	}
	if s := joined(hooks[0].JSON); !strings.Contains(s, "can't post in this channel") || hooks[0].JSON["delete_original"] == true {
		t.Errorf("answer: got %v, want an explanation that keeps the ephemeral", hooks[0].JSON)
	}
}

func TestButtons(t *testing.T) {
	tests := []struct {
		name        string
		value       string
		ephemeral   bool
		wantReplace bool
		want        string
	}{
		{"next results", "n2:db", true, true, "page 2"},
		{"next below a public message", "n2:db", false, false, "page 2"},
		{"show full recap", "s0:daangn-2024-chat-sharding", true, false, shardingTitle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.press(t, "U1", "C1", tt.value, tt.ephemeral)
			hooks := e.slack.called("response_url")
			if len(hooks) != 1 {
				t.Fatalf("response_url posts: got %v, want %v", len(hooks), 1)
			}
			j := hooks[0].JSON
			if got := j["replace_original"] == true; got != tt.wantReplace {
				t.Errorf("replace_original: got %v, want %v", got, tt.wantReplace)
			}
			if got := j["response_type"]; got != "ephemeral" {
				t.Errorf("response_type: got %v, want %v", got, "ephemeral")
			}
			if s := joined(j["blocks"]); !strings.Contains(s, tt.want) {
				t.Errorf("answer does not contain %q:\n%s", tt.want, s)
			}
			if n := len(e.slack.called("chat.postMessage")); n != 0 {
				t.Errorf("public posts: got %v, want %v", n, 0)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name       string
		ev         map[string]any
		wantThread string
		want       []string // substrings of the answer's blocks
	}{
		{"dm by speaker handle", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "Johnny", "ts": "1.1"}, "", []string{"임문규"}},
		{"dm by speaker name", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "임문규", "ts": "1.1"}, "", []string{"임문규", "Johnny"}},
		{"mention", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> sharding", "ts": "2.2"}, "2.2", []string{shardingTitle}},
		{"mention in a thread", map[string]any{"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT>  talk sharding", "ts": "3.3", "thread_ts": "3.0"}, "3.0", []string{shardingTitle}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if status, _ := e.post(t, "/slack/events", eventBody("Ev1", tt.ev)); status != http.StatusOK {
				t.Fatalf("status: got %v, want %v", status, http.StatusOK)
			}
			posts := e.slack.called("chat.postMessage")
			if len(posts) != 1 {
				t.Fatalf("chat.postMessage calls: got %v, want %v", len(posts), 1)
			}
			p := posts[0]
			if got, want := p.Form.Get("channel"), tt.ev["channel"]; got != want {
				t.Errorf("channel: got %v, want %v", got, want)
			}
			if got := p.Form.Get("thread_ts"); got != tt.wantThread {
				t.Errorf("thread_ts: got %q, want %q", got, tt.wantThread)
			}
			blocks := p.blocks(t)
			for _, w := range tt.want {
				if s := joined(blocks); !strings.Contains(s, w) {
					t.Errorf("answer does not contain %q:\n%s", w, s)
				}
			}
			if _, ok := buttons(blocks)["Share to channel"]; ok {
				t.Errorf("a public answer has a Share button")
			}
			checkLimits(t, blocks)
		})
	}
}

func TestEventsIgnored(t *testing.T) {
	tests := []struct {
		name string
		ev   map[string]any
	}{
		{"bot message", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "bot_id": "B9", "text": "sharding"}},
		{"bot_message subtype", map[string]any{"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "D1", "text": "sharding"}},
		{"edit", map[string]any{"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D1", "text": "sharding"}},
		{"own message", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "UBOT", "text": "sharding"}},
		{"channel message", map[string]any{"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1", "text": "sharding"}},
		{"mention in a DM", map[string]any{"type": "app_mention", "channel": "D1", "user": "U1", "text": "<@UBOT> sharding"}},
		{"other event", map[string]any{"type": "reaction_added", "user": "U1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if status, _ := e.post(t, "/slack/events", eventBody("Ev1", tt.ev)); status != http.StatusOK {
				t.Fatalf("status: got %v, want %v", status, http.StatusOK)
			}
			if n := len(e.slack.called("chat.postMessage")); n != 0 {
				t.Errorf("chat.postMessage calls: got %v, want %v", n, 0)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t)
	status, body := e.post(t, "/slack/events", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	if status != http.StatusOK {
		t.Fatalf("status: got %v, want %v", status, http.StatusOK)
	}
	if got := decodeMessage(t, body)["challenge"]; got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge: got %v, want the one sent", got)
	}
}

func TestEventRetryAnsweredOnce(t *testing.T) {
	e := newEnv(t)
	body := eventBody("Ev42", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "kafka", "ts": "1.1"})
	e.post(t, "/slack/events", body)
	h := sign(testSecret, time.Now(), body)
	h.Set("X-Slack-Retry-Num", "1")
	h.Set("X-Slack-Retry-Reason", "http_timeout")
	if status, _ := e.do(t, http.MethodPost, "/slack/events", body, h); status != http.StatusOK {
		t.Errorf("retry status: got %v, want %v", status, http.StatusOK)
	}
	e.post(t, "/slack/events", body)
	if n := len(e.slack.called("chat.postMessage")); n != 1 {
		t.Errorf("answers: got %v, want %v", n, 1)
	}
	// Another event is answered.
	e.post(t, "/slack/events", strings.Replace(body, "Ev42", "Ev43", 1))
	if n := len(e.slack.called("chat.postMessage")); n != 2 {
		t.Errorf("answers after a new event: got %v, want %v", n, 2)
	}
}

func TestEventsConcurrentRetries(t *testing.T) {
	e := newEnv(t)
	body := eventBody("Ev7", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "kafka", "ts": "1.1"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { e.post(t, "/slack/events", body) })
	}
	wg.Wait()
	e.a.work.Wait()
	if n := len(e.slack.called("chat.postMessage")); n != 1 {
		t.Errorf("answers: got %v, want %v", n, 1)
	}
}

func TestEscaping(t *testing.T) {
	hostile := []string{"<!channel>", "<!here>", "<@U123>", "<!subteam^S1>", "<https://evil.example|click>"}
	tests := []struct {
		name string
		text string // as Slack sends it
	}{
		{"typed literally (Slack escapes it)", "&lt;!channel&gt; &lt;@U123&gt;"},
		{"as a mention", "<!channel> <@U123> <!here>"},
		{"subteam and link", "<!subteam^S1> <https://evil.example|click> & more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, body := e.command(t, "U1", "C1", tt.text)
			m := decodeMessage(t, body)
			e.post(t, "/slack/events", eventBody("Ev1", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": tt.text, "ts": "1.1"}))
			posts := e.slack.called("chat.postMessage")
			if len(posts) != 1 {
				t.Fatalf("chat.postMessage calls: got %v, want %v", len(posts), 1)
			}
			outs := map[string]string{
				"slash response":    joined(m),
				"dm blocks":         joined(posts[0].blocks(t)),
				"dm fallback text":  posts[0].Form.Get("text"),
				"slash text":        m["text"].(string),
				"dm response (raw)": posts[0].Form.Get("blocks"),
			}
			for where, s := range outs {
				for _, h := range hostile {
					if strings.Contains(s, h) {
						t.Errorf("%s contains raw %q:\n%s", where, h, s)
					}
				}
			}
			if s := joined(m); !strings.Contains(s, "&lt;") {
				t.Errorf("slash response does not quote the query escaped:\n%s", s)
			}
		})
	}
}

func TestRunHTTPMode(t *testing.T) {
	e := newEnv(t)
	if !e.a.Ready() {
		t.Errorf("Ready: got %v, want %v", false, true)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v, want %v", err, nil)
	}
	// After Run, requests are still answered, without background work.
	status, body := e.command(t, "U1", "C1", "sharding")
	if status != http.StatusOK || !strings.Contains(body, "restarting") {
		t.Errorf("after shutdown: got %v %q, want %v and a restarting note", status, body, http.StatusOK)
	}
}

func TestSend(t *testing.T) {
	e := newEnv(t)
	rep := e.a.bot.Handle(context.Background(), bot.Request{Platform: Platform, Command: bot.ParseCommand("show daangn-2024-chat-sharding")})
	ch := bot.ChannelRef{Platform: Platform, Team: "T1", Channel: "C1"}
	ts, err := e.a.Send(context.Background(), ch, rep, "2024-06-03/slack:C1")
	if err != nil || ts == "" {
		t.Fatalf("Send: got %q, %v; want a timestamp", ts, err)
	}
	p := e.slack.called("chat.postMessage")[0]
	var md map[string]any
	if err := json.Unmarshal([]byte(p.Form.Get("metadata")), &md); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if got := md["event_type"]; got != "talkbot_digest" {
		t.Errorf("event_type: got %v, want %v", got, "talkbot_digest")
	}
	if got := md["event_payload"].(map[string]any)["key"]; got != "2024-06-03/slack:C1" {
		t.Errorf("key: got %v, want %v", got, "2024-06-03/slack:C1")
	}
	if _, ok := buttons(p.blocks(t))["Share to channel"]; ok {
		t.Errorf("digest has a Share button")
	}
	if p.Form.Get("text") == "" {
		t.Errorf("digest has no fallback text")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		channel   string
		gone      bool
		retryWait time.Duration // 0: not rate limited
	}{
		{"CGONE", true, 0},
		{"CARCHIVED", true, 0},
		{"CBUSY", false, 7 * time.Second},
		{"CAUTH", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.a.Send(context.Background(), bot.ChannelRef{Platform: Platform, Channel: tt.channel}, bot.Reply{Title: "t"}, "k")
			if err == nil {
				t.Fatalf("got nil error, want one")
			}
			if got := errors.Is(err, bot.ErrChannelGone); got != tt.gone {
				t.Errorf("errors.Is(%v, ErrChannelGone): got %v, want %v", err, got, tt.gone)
			}
			rl, ok := errors.AsType[*bot.RateLimitError](err)
			if ok != (tt.retryWait > 0) || (ok && rl.RetryAfter != tt.retryWait) {
				t.Errorf("RateLimitError: got %v (%v), want retry after %v", rl, ok, tt.retryWait)
			}
			if n := len(e.slack.called("chat.postMessage")); n != 1 {
				t.Errorf("attempts: got %v, want %v (429s are left to the digest)", n, 1)
			}
		})
	}
}

func TestFind(t *testing.T) {
	e := newEnv(t)
	e.slack.history = []map[string]any{
		{"type": "message", "ts": "1.1", "text": "hello"},
		{"type": "message", "ts": "2.2", "text": "digest", "metadata": map[string]any{"event_type": "talkbot_digest", "event_payload": map[string]any{"key": "w1"}}},
		{"type": "message", "ts": "3.3", "text": "other app", "metadata": map[string]any{"event_type": "other", "event_payload": map[string]any{"key": "w2"}}},
	}
	tests := []struct {
		channel string
		key     string
		wantTS  string
		found   bool
		gone    bool
	}{
		{"C1", "w1", "2.2", true, false},
		{"C1", "w2", "", false, false},
		{"C1", "w9", "", false, false},
		{"CGONE", "w1", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.channel+"/"+tt.key, func(t *testing.T) {
			ts, found, err := e.a.Find(context.Background(), bot.ChannelRef{Platform: Platform, Channel: tt.channel}, tt.key)
			if ts != tt.wantTS || found != tt.found || errors.Is(err, bot.ErrChannelGone) != tt.gone || (err != nil) != tt.gone {
				t.Errorf("got %q, %v, %v; want %q, %v, gone=%v", ts, found, err, tt.wantTS, tt.found, tt.gone)
			}
		})
	}
	for _, c := range e.slack.called("conversations.history") {
		if got := c.Form.Get("include_all_metadata"); got != "1" {
			t.Errorf("include_all_metadata: got %v, want %v", got, "1")
		}
	}
}

func TestSeenSet(t *testing.T) {
	t0 := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)
	s := newSeenSet(2, time.Hour)
	steps := []struct {
		id   string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Minute, false},
		{"b", 2 * time.Minute, true},
		{"c", 3 * time.Minute, true}, // evicts a: the set holds two
		{"a", 4 * time.Minute, true},
		{"c", 5 * time.Minute, false},
		{"c", 2 * time.Hour, true}, // expired
	}
	for i, st := range steps {
		if got := s.add(st.id, t0.Add(st.at)); got != st.want {
			t.Errorf("step %d add(%q): got %v, want %v", i, st.id, got, st.want)
		}
	}
}

// TestPanicAnswered: a panic while answering a slash command, a button or
// a DM is recovered, counted, and answered "something went wrong"; the
// adapter goes on.
func TestPanicAnswered(t *testing.T) {
	store := bottest.NewGatedStore(true)
	store.Panic = "boom"
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = store })
	_, body := e.command(t, "U1", "C1", "subscriptions")
	if got := decodeMessage(t, body)["text"]; got != i18n.T(i18n.EN, "failed") {
		t.Errorf("slash command: got %q, want %q", got, i18n.T(i18n.EN, "failed"))
	}
	e.press(t, "U1", "C1", "x1:subscriptions", true)
	if hooks := e.slack.called("response_url"); len(hooks) != 1 || hooks[0].JSON["text"] != i18n.T(i18n.EN, "failed") {
		t.Errorf("button: got %v, want one %q", hooks, i18n.T(i18n.EN, "failed"))
	}
	e.post(t, "/slack/events", eventBody("Ev1", map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "subscriptions", "ts": "1.1"}))
	if posts := e.slack.called("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("text") != i18n.T(i18n.EN, "failed") {
		t.Errorf("DM: got %v, want one %q", posts, i18n.T(i18n.EN, "failed"))
	}
	if got, want := e.obs.Panics(), []string{"slack", "slack", "slack"}; !slices.Equal(got, want) {
		t.Errorf("panics: got %v, want %v", got, want)
	}
	if status, body := e.command(t, "U1", "C1", "sharding"); status != http.StatusOK || !strings.Contains(body, shardingTitle) {
		t.Errorf("after the panics: got %v %q, want the answer", status, body)
	}
}

// TestDMsBounded: DMs and mentions are answered by a bounded pool: with
// every worker busy and the queue full, the next DM is told that talkbot
// is busy rather than started.
func TestDMsBounded(t *testing.T) {
	store := bottest.NewGatedStore(false)
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = store })
	admitted := runtime.GOMAXPROCS(0) + queuedChats
	for i := range admitted + 1 {
		body := eventBody("Ev"+strconv.Itoa(i), map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "subscriptions", "ts": "1.1"})
		if status, _ := e.send(t, http.MethodPost, "/slack/events", body, sign(testSecret, time.Now(), body)); status != http.StatusOK {
			t.Fatalf("event %d: got status %d, want 200", i, status)
		}
	}
	close(store.Gate)
	e.a.work.Wait()
	busy := 0
	posts := e.slack.called("chat.postMessage")
	for _, p := range posts {
		if p.Form.Get("text") == i18n.T(i18n.EN, "busy") {
			busy++
		}
	}
	if len(posts) != admitted+1 || busy != 1 {
		t.Errorf("got %d posts, %d of them busy, want %d and 1", len(posts), busy, admitted+1)
	}
}
