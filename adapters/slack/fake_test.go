package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// call is one request the fake Slack API received.
type call struct {
	Method string         // Web API method, or "response_url"
	Form   url.Values     // Web API form fields
	JSON   map[string]any // response_url body, or a JSON Web API body (views.open)
}

// blocks decodes the blocks of a chat.postMessage call or a response_url
// post.
func (c call) blocks(t *testing.T) []any {
	t.Helper()
	if c.JSON != nil {
		b, _ := c.JSON["blocks"].([]any)
		return b
	}
	var b []any
	if s := c.Form.Get("blocks"); s != "" {
		if err := json.Unmarshal([]byte(s), &b); err != nil {
			t.Fatalf("blocks are not JSON: %v", err)
		}
	}
	return b
}

// fakeSlack is a loopback Slack Web API and response_url endpoint that
// records what it receives (JSON bodies, as views.open sends, in
// call.JSON). Channel "CGONE" does not exist, "CARCHIVED" is
// archived, and "CBUSY" answers 429. In "DPEOPLE" (a DM between two
// people) and "GPRIVATE" (a private channel) the bot is no member, so
// chat.postMessage and chat.postEphemeral answer channel_not_found there
// as in CGONE. views.open refuses the trigger_id "expired". With
// refuseInChannel set, response_url posts with response_type in_channel
// answer 404, as an expired response_url would.
type fakeSlack struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   []call
	history []map[string]any // conversations.history messages
	// outside lists public channels the bot is not a member of:
	// conversations.history answers not_in_channel there until
	// conversations.join. Channels named CPRIV… are private (join answers
	// method_not_supported_for_channel_type); CPRIVOUT is one the bot is
	// not in.
	outside map[string]bool

	refuseInChannel bool

	// socket, when set, serves the Socket Mode WebSocket that
	// apps.connections.open points to.
	socket func(*websocket.Conn)
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string      { return f.srv.URL + "/api/" }
func (f *fakeSlack) responseURL() string { return f.srv.URL + "/hooks/commands/T1/1/secret" }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/socket" && f.socket != nil {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		f.socket(c)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/hooks/") {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		refuse := f.refuseInChannel && m["response_type"] == responseInChannel
		f.mu.Unlock()
		if refuse {
			http.Error(w, "expired_url", http.StatusNotFound)
			return
		}
		f.record(call{Method: "response_url", JSON: m})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	var form url.Values
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && len(body) > 0 {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		f.record(call{Method: method, JSON: m})
	} else {
		form, _ = url.ParseQuery(string(body))
		f.record(call{Method: method, Form: form})
	}
	w.Header().Set("Content-Type", "application/json")
	var resp any
	switch method {
	case "views.open":
		// Trigger "expired" is one older than 3 s, as Slack sees it.
		var req struct {
			TriggerID string         `json:"trigger_id"`
			View      map[string]any `json:"view"`
		}
		_ = json.Unmarshal(body, &req)
		switch {
		case req.TriggerID == "expired":
			resp = map[string]any{"ok": false, "error": "expired_trigger_id"}
		case req.View == nil || req.View["type"] != "modal":
			resp = map[string]any{"ok": false, "error": "invalid_arguments"}
		default:
			v := req.View
			v["id"] = fmt.Sprintf("V%03d", len(f.called("views.open")))
			v["hash"] = "1700000000.abcdef"
			resp = map[string]any{"ok": true, "view": v}
		}
	case "chat.postEphemeral":
		switch form.Get("channel") {
		case "CGONE", "DPEOPLE", "GPRIVATE":
			resp = map[string]any{"ok": false, "error": "channel_not_found"}
		default:
			resp = map[string]any{"ok": true, "message_ts": "1700000000.000009"}
		}
	case "apps.connections.open":
		resp = map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/socket"}
	case "auth.test":
		resp = map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"}
	case "users.info":
		u := map[string]any{"id": form.Get("user")}
		switch form.Get("user") {
		case "UADMIN":
			u["is_admin"] = true
		case "UOWNER":
			u["is_owner"] = true
		case "UKO", "UKOADMIN":
			u["is_admin"] = form.Get("user") == "UKOADMIN"
			if form.Get("include_locale") == "true" {
				u["locale"] = "ko-KR"
			}
		case "UEN":
			if form.Get("include_locale") == "true" {
				u["locale"] = "en-US"
			}
		}
		if form.Get("user") == "UFAIL" {
			resp = map[string]any{"ok": false, "error": "user_not_found"}
		} else {
			resp = map[string]any{"ok": true, "user": u}
		}
	case "chat.postMessage":
		switch form.Get("channel") {
		case "CGONE", "DPEOPLE", "GPRIVATE":
			resp = map[string]any{"ok": false, "error": "channel_not_found"}
		case "CARCHIVED":
			resp = map[string]any{"ok": false, "error": "is_archived"}
		case "CBUSY":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			resp = map[string]any{"ok": false, "error": "ratelimited"}
		case "CAUTH":
			resp = map[string]any{"ok": false, "error": "invalid_auth"}
		default:
			resp = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": "1700000000." + fmt.Sprintf("%06d", len(f.all()))}
		}
	case "conversations.join":
		ch := form.Get("channel")
		switch {
		case ch == "CGONE":
			resp = map[string]any{"ok": false, "error": "channel_not_found"}
		case strings.HasPrefix(ch, "CPRIV"):
			resp = map[string]any{"ok": false, "error": "method_not_supported_for_channel_type"}
		default:
			f.mu.Lock()
			delete(f.outside, ch)
			f.mu.Unlock()
			resp = map[string]any{"ok": true, "channel": map[string]any{"id": ch, "is_member": true}}
		}
	case "conversations.history":
		f.mu.Lock()
		outside := f.outside[form.Get("channel")]
		f.mu.Unlock()
		switch form.Get("channel") {
		case "CGONE", "CPRIVOUT":
			resp = map[string]any{"ok": false, "error": "channel_not_found"}
		}
		if outside {
			resp = map[string]any{"ok": false, "error": "not_in_channel"}
		}
		if resp != nil {
			break
		}
		f.mu.Lock()
		resp = map[string]any{"ok": true, "messages": f.history}
		f.mu.Unlock()
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakeSlack) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeSlack) all() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// called returns the calls of one method.
func (f *fakeSlack) called(method string) []call {
	var out []call
	for _, c := range f.all() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// shared returns the one in_channel response_url post: a shared answer.
func (f *fakeSlack) shared(t *testing.T) call {
	t.Helper()
	var out []call
	for _, c := range f.called("response_url") {
		if c.JSON["response_type"] == responseInChannel {
			out = append(out, c)
		}
	}
	if len(out) != 1 {
		t.Fatalf("in_channel response_url posts: got %v, want 1", len(out))
	}
	return out[0]
}

// testEnv is an adapter over the embedded corpus, a fake Slack API and a
// loopback HTTP server for its Handler.
type testEnv struct {
	a     *Adapter
	slack *fakeSlack
	obs   *bottest.Observer
	srv   *httptest.Server
}

type envOption func(*Config, *bot.Options)

func newEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return newEnvCorpus(t, c, opts...)
}

func newEnvCorpus(t *testing.T, c *recaps.Corpus, opts ...envOption) *testEnv {
	t.Helper()
	e := &testEnv{slack: newFakeSlack(t), obs: &bottest.Observer{}}
	cfg := Config{BotToken: "xoxb-test", SigningSecret: testSecret, APIURL: e.slack.apiURL()}
	bo := bot.Options{Observer: e.obs}
	for _, o := range opts {
		o(&cfg, &bo)
	}
	a, err := New(cfg, bot.New(c, bo))
	if err != nil {
		t.Fatal(err)
	}
	a.budget = time.Minute // answer inline, however slow the test machine
	e.a = a
	e.srv = httptest.NewServer(a.Handler())
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { a.work.Close(time.Minute) })
	return e
}

// sign returns Slack's signature headers for body, made at time ts.
func sign(secret string, ts time.Time, body string) http.Header {
	s := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", s, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", s)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// do sends a request to the adapter's handler, waits for the background
// work it started, and returns the status and body.
func (e *testEnv) do(t *testing.T, method, path, body string, h http.Header) (int, string) {
	t.Helper()
	code, b := e.send(t, method, path, body, h)
	e.a.work.Wait()
	return code, b
}

// send is do without waiting for the background work.
func (e *testEnv) send(t *testing.T, method, path, body string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if strings.HasSuffix(path, "/events") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a correctly signed POST.
func (e *testEnv) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	return e.do(t, http.MethodPost, path, body, sign(testSecret, time.Now(), body))
}

// command sends a signed /talk slash command from user in channel, and
// waits for the work it started.
func (e *testEnv) command(t *testing.T, user, channel, text string) (int, string) {
	t.Helper()
	return e.post(t, "/slack/commands", e.commandForm(user, channel, text))
}

// commandAsync is command without waiting for the work it started.
func (e *testEnv) commandAsync(t *testing.T, user, channel, text string) (int, string) {
	t.Helper()
	body := e.commandForm(user, channel, text)
	return e.send(t, http.MethodPost, "/slack/commands", body, sign(testSecret, time.Now(), body))
}

func (e *testEnv) commandForm(user, channel, text string) string {
	f := url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "team_domain": {"acme"},
		"channel_id": {channel}, "channel_name": {"general"},
		"user_id": {user}, "user_name": {"someone"}, "command": {"/talk"},
		"text": {text}, "response_url": {e.slack.responseURL()}, "trigger_id": {"1.2.3"},
		"api_app_id": {"A1"},
	}
	return f.Encode()
}

// press sends a signed block_actions interaction for a button value.
func (e *testEnv) press(t *testing.T, user, channel, value string, ephemeral bool) (int, string) {
	t.Helper()
	p := map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": "T1"},
		"user":         map[string]any{"id": user},
		"channel":      map[string]any{"id": channel},
		"container":    map[string]any{"type": "message", "channel_id": channel, "is_ephemeral": ephemeral, "message_ts": "1700000000.000001"},
		"response_url": e.slack.responseURL(),
		"actions":      []any{map[string]any{"type": "button", "action_id": "talk_x", "block_id": "b1", "value": value}},
	}
	js, _ := json.Marshal(p)
	return e.post(t, "/slack/interactions", url.Values{"payload": {string(js)}}.Encode())
}

// eventBody returns an event_callback payload.
func eventBody(id string, ev map[string]any) string {
	js, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": id, "event_time": 1700000000, "event": ev,
	})
	return string(js)
}

// texts returns the strings of a decoded JSON value that Slack may show:
// all but buttons' values.
func texts(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for k, y := range x {
				if k != "value" { // a button's opaque value is not shown
					walk(y)
				}
			}
		}
	}
	walk(v)
	return out
}

// joined returns all strings of v in one string, for "contains" checks.
func joined(v any) string { return strings.Join(texts(v), "\n") }

// buttons returns the values of all buttons in blocks, by label.
func buttons(blocks []any) map[string]string {
	out := map[string]string{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			if x["type"] == "button" {
				label, _ := x["text"].(map[string]any)["text"].(string)
				value, _ := x["value"].(string)
				out[label] = value
			}
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(blocks)
	return out
}
