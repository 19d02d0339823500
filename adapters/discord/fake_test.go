package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

const (
	testAppID = "100000000000000001"
	testBotID = "200000000000000002"
)

// call is one request the fake Discord API received.
type call struct {
	Method, Path, Query string
	Body                []byte
}

// fakeAPI is a Discord REST API on loopback. It records every call, keeps
// registered commands by endpoint (overwritten, as Discord does) and the
// messages posted per channel, and answers for some channels with errors:
// "gone" 404 10003, "noaccess" 403 50001, "noperm" 403 50013, "limited" 429,
// "global" a global 429, "cloudflare" an HTML 429, "broken" 500.
// It checks that every message body suppresses mentions.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	got chan call

	mu       sync.Mutex
	calls    []call
	commands map[string][]string          // endpoint → registered names
	failPuts []int                        // status codes for the next command PUTs
	messages map[string][]json.RawMessage // channel → messages, newest first
	n        int
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, got: make(chan call, 1024), commands: map[string][]string{}, messages: map[string][]json.RawMessage{}}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /api/v10/applications/{app}/commands", f.putCommands)
	mux.HandleFunc("PUT /api/v10/applications/{app}/guilds/{guild}/commands", f.putCommands)
	mux.HandleFunc("POST /api/v10/interactions/{id}/{token}/callback", func(w http.ResponseWriter, r *http.Request) {
		f.mentionsOff(r, "data.")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PATCH /api/v10/webhooks/{app}/{token}/messages/{msg}", func(w http.ResponseWriter, r *http.Request) {
		f.mentionsOff(r, "")
		writeJSON(w, http.StatusOK, map[string]any{"id": "300", "channel_id": "c1"})
	})
	mux.HandleFunc("POST /api/v10/webhooks/{app}/{token}", func(w http.ResponseWriter, r *http.Request) {
		f.mentionsOff(r, "")
		writeJSON(w, http.StatusOK, map[string]any{"id": "301", "channel_id": "c1"})
	})
	mux.HandleFunc("POST /api/v10/channels/{ch}/messages", f.postMessage)
	mux.HandleFunc("GET /api/v10/channels/{ch}/messages", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		msgs := f.messages[r.PathValue("ch")]
		f.mu.Unlock()
		if msgs == nil {
			msgs = []json.RawMessage{}
		}
		writeJSON(w, http.StatusOK, msgs)
	})
	mux.HandleFunc("GET /api/v10/users/@me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": testBotID, "username": "talkbot", "bot": true})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := call{r.Method, r.URL.Path, r.URL.RawQuery, body}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "" && r.Header.Get("Authorization") != "Bot test-token" {
			t.Errorf("Authorization = %q, want the bot token with its prefix", r.Header.Get("Authorization"))
		}
		mux.ServeHTTP(w, r)
		select {
		case f.got <- c:
		default: // nobody waits for this many calls
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) putCommands(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var fail int
	if len(f.failPuts) > 0 {
		fail, f.failPuts = f.failPuts[0], f.failPuts[1:]
	}
	f.mu.Unlock()
	if fail != 0 {
		writeJSON(w, fail, map[string]any{"code": 0, "message": http.StatusText(fail)})
		return
	}
	var cmds []map[string]any
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body"})
		return
	}
	var names []string
	for i, c := range cmds {
		c["id"] = strconv.Itoa(1000 + i)
		c["application_id"] = r.PathValue("app")
		names = append(names, fmt.Sprint(c["name"]))
	}
	f.mu.Lock()
	f.commands[r.URL.Path] = names
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, cmds)
}

func (f *fakeAPI) postMessage(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("ch")
	switch ch {
	case "gone":
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 10003, "message": "Unknown Channel"})
		return
	case "noaccess":
		writeJSON(w, http.StatusForbidden, map[string]any{"code": 50001, "message": "Missing Access"})
		return
	case "noperm":
		writeJSON(w, http.StatusForbidden, map[string]any{"code": 50013, "message": "Missing Permissions"})
		return
	case "limited":
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
		return
	case "global":
		w.Header().Set("X-RateLimit-Scope", "global")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": 0.25, "global": true})
		return
	case "cloudflare":
		w.Header().Set("Retry-After", "3")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "<html>banned for a while</html>")
		return
	case "broken":
		writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 0, "message": "500: Internal Server Error"})
		return
	}
	f.mentionsOff(r, "")
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 50109, "message": "The request body contains invalid JSON."})
		return
	}
	f.mu.Lock()
	f.n++
	m["id"] = strconv.Itoa(500 + f.n)
	m["channel_id"] = ch
	m["author"] = map[string]any{"id": testBotID, "username": "talkbot", "bot": true}
	raw, _ := json.Marshal(m)
	f.messages[ch] = append([]json.RawMessage{raw}, f.messages[ch]...)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, m)
}

// mentionsOff checks that the message in r's body (under the "data" key for
// interaction callbacks) has allowed_mentions {"parse": []}.
func (f *fakeAPI) mentionsOff(r *http.Request, prefix string) {
	f.t.Helper()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var v struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	msg := body
	if prefix != "" {
		if err := json.Unmarshal(body, &v); err != nil {
			f.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
			return
		}
		if v.Type == 9 {
			f.checkModal(r, v.Data)
			return
		}
		// Pongs, deferrals and choice lists are not messages.
		if v.Type != 4 && v.Type != 7 {
			return
		}
		msg = v.Data
	}
	if err := checkMentionsOff(msg); err != nil {
		f.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
	}
}

// checkModal checks what Discord checks of a modal (interaction response
// type 9): a custom_id of 1 to 100 characters, a title of 1 to 45, and 1 to
// 5 action rows of one text input each, within the input limits.
func (f *fakeAPI) checkModal(r *http.Request, data []byte) {
	f.t.Helper()
	var m struct {
		CustomID   string `json:"custom_id"`
		Title      string `json:"title"`
		Components []struct {
			Type       int `json:"type"`
			Components []struct {
				Type        int    `json:"type"`
				CustomID    string `json:"custom_id"`
				Label       string `json:"label"`
				Placeholder string `json:"placeholder"`
				Value       string `json:"value"`
				MaxLength   int    `json:"max_length"`
			} `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		f.t.Errorf("%s %s: modal: %v", r.Method, r.URL.Path, err)
		return
	}
	bad := m.CustomID == "" || len(m.CustomID) > 100 || m.Title == "" || length(m.Title) > 45 || len(m.Components) == 0 || len(m.Components) > 5
	for _, row := range m.Components {
		bad = bad || row.Type != 1 || len(row.Components) != 1
		for _, in := range row.Components {
			bad = bad || in.Type != 4 || in.CustomID == "" || in.Label == "" || length(in.Label) > 45 || length(in.Placeholder) > 100 ||
				in.MaxLength > 4000 || length(in.Value) > in.MaxLength
		}
	}
	if bad {
		f.t.Errorf("%s %s: Discord would refuse the modal %s", r.Method, r.URL.Path, data)
	}
}

func checkMentionsOff(msg []byte) error {
	var m struct {
		AllowedMentions *struct {
			Parse *[]string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return err
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(*m.AllowedMentions.Parse) != 0 {
		return fmt.Errorf("allowed_mentions not {parse: []} in %s", msg)
	}
	return nil
}

// wait returns the next call to method and a path starting with prefix.
func (f *fakeAPI) wait(t *testing.T, method, prefix string) call {
	t.Helper()
	timeout := time.After(10 * time.Second) // a safety net, not a timing assumption
	for {
		select {
		case c := <-f.got:
			if c.Method == method && strings.HasPrefix(c.Path, prefix) {
				return c
			}
		case <-timeout:
			t.Fatalf("no %s %s… call reached the fake Discord API", method, prefix)
		}
	}
}

func (f *fakeAPI) count(method, prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == method && strings.HasPrefix(c.Path, prefix) {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// testBot is the bot over the embedded corpus.
func testBot(t *testing.T, o bot.Options) *bot.Bot {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return bot.New(c, o)
}

// env is an adapter wired to a fake API, with the key pair the HTTP
// endpoint verifies.
type env struct {
	a    *Adapter
	api  *fakeAPI
	priv ed25519.PrivateKey
}

func newEnv(t *testing.T, b *bot.Bot, cfg Config) *env {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	api := newFakeAPI(t)
	cfg.PublicKey = hex.EncodeToString(pub)
	cfg.AppID = testAppID
	cfg.APIURL = api.srv.URL + "/api/v10/"
	a, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	a.deferAfter = time.Minute // answers are fast; the deferral test lowers it
	t.Cleanup(func() { a.work.Close(a.grace) })
	return &env{a: a, api: api, priv: priv}
}

// signedRequest builds an interactions request signed with priv at ts.
func signedRequest(priv ed25519.PrivateKey, ts time.Time, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(priv, append([]byte(stamp), body...))
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	r.Header.Set("X-Signature-Timestamp", stamp)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// do sends a signed interaction to the endpoint and decodes the response.
func (e *env) do(t *testing.T, body []byte) (int, wireResponse, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.a.Handler().ServeHTTP(rec, signedRequest(e.priv, time.Now(), body))
	var resp wireResponse
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("decode response %s: %v", rec.Body.Bytes(), err)
		}
	}
	return rec.Code, resp, rec.Body.Bytes()
}

// wireResponse is an interaction response as Discord reads it.
type wireResponse struct {
	Type int         `json:"type"`
	Data wireMessage `json:"data"`
}

type wireMessage struct {
	Content string `json:"content"`
	Flags   int    `json:"flags"`
	Embeds  []struct {
		Title       string `json:"title"`
		URL         string `json:"url"`
		Description string `json:"description"`
		Fields      []struct {
			Name   string `json:"name"`
			Value  string `json:"value"`
			Inline bool   `json:"inline"`
		} `json:"fields"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
	} `json:"embeds"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
	Choices []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"choices"`
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// button returns the custom id of the first button whose id starts with
// prefix ("n" next, "s" show, "x" share), or "".
func (m wireMessage) button(prefix string) string {
	for _, row := range m.Components {
		for _, b := range row.Components {
			if strings.HasPrefix(b.CustomID, prefix) {
				return b.CustomID
			}
		}
	}
	return ""
}

func (m wireMessage) text() string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}

// Interaction payloads as Discord sends them.

type member struct {
	user  string
	perms int64
}

func base(typ int, m member) map[string]any {
	return map[string]any{
		"id": "400", "application_id": testAppID, "type": typ, "token": "itoken", "version": 1,
		"guild_id": "g1", "channel_id": "c1",
		"member": map[string]any{"user": map[string]any{"id": m.user, "username": "someone"}, "permissions": strconv.FormatInt(m.perms, 10)},
	}
}

func commandJSON(name string, opts map[string]string, m member) []byte {
	p := base(2, m)
	var os []any
	for k, v := range opts {
		os = append(os, map[string]any{"name": k, "type": 3, "value": v})
	}
	p["data"] = map[string]any{"id": "900", "name": name, "type": 1, "options": os}
	return mustJSON(p)
}

func talkJSON(query string) []byte {
	return commandJSON("talk", map[string]string{"query": query}, member{"u1", 0})
}

func autocompleteJSON(partial string) []byte {
	p := base(4, member{"u1", 0})
	p["data"] = map[string]any{"id": "900", "name": "talk", "type": 1, "options": []any{
		map[string]any{"name": "query", "type": 3, "value": partial, "focused": true},
	}}
	return mustJSON(p)
}

func componentJSON(customID string, ephemeral bool) []byte {
	p := base(3, member{"u1", 0})
	flags := 0
	if ephemeral {
		flags = 64
	}
	p["message"] = map[string]any{"id": "700", "channel_id": "c1", "flags": flags, "content": ""}
	p["data"] = map[string]any{"custom_id": customID, "component_type": 2}
	return mustJSON(p)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
