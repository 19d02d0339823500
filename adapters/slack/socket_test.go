package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

// TestSocketMode drives Run in Socket Mode against a loopback WebSocket:
// a slash command is answered in its acknowledgement, and a DM event is
// acknowledged at once and answered with chat.postMessage.
func TestSocketMode(t *testing.T) {
	f := newFakeSlack(t)
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	a := newSocketAdapter(t, f, bot.New(c, bot.Options{}))
	if a.Ready() {
		t.Errorf("Ready before connecting: got %v, want %v", true, false)
	}
	dm := map[string]any{
		"type": "events_api", "envelope_id": "E2",
		"payload": map[string]any{
			"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
			"event": map[string]any{"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "Johnny", "ts": "1.1"},
		},
	}
	acks := socketRequests(t, f, a, func() {
		if !a.Ready() {
			t.Errorf("Ready while connected: got %v, want %v", false, true)
		}
	}, slashEnvelope("U1", "sharding", f.responseURL()), dm)
	ack := acks[0]
	if got := ack["envelope_id"]; got != "E1" {
		t.Errorf("envelope_id: got %v, want %v", got, "E1")
	}
	p, _ := ack["payload"].(map[string]any)
	if got := p["response_type"]; got != "ephemeral" {
		t.Errorf("response_type: got %v, want %v", got, "ephemeral")
	}
	if s := joined(p["blocks"]); !strings.Contains(s, shardingTitle) {
		t.Errorf("slash command answer does not show the talk:\n%s", s)
	}
	if ack := acks[1]; ack["envelope_id"] != "E2" || ack["payload"] != nil {
		t.Errorf("event ack: got %v, want envelope E2 without payload", ack)
	}
	if a.Ready() {
		t.Errorf("Ready after Run: got %v, want %v", true, false)
	}
	// Run waited for the DM's answer before returning.
	posts := f.called("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage calls: got %v, want %v", len(posts), 1)
	}
	if got := posts[0].Form.Get("channel"); got != "D1" {
		t.Errorf("channel: got %v, want %v", got, "D1")
	}
	if s := joined(posts[0].blocks(t)); !strings.Contains(s, "임문규") {
		t.Errorf("DM answer does not show the speaker's talk:\n%s", s)
	}
	if n := len(f.called("response_url")); n != 0 {
		t.Errorf("response_url posts: got %v, want %v", n, 0)
	}
}

// TestSocketModeLargeAnswer checks that an answer too large for a Socket
// Mode acknowledgement (20 KB) goes through the response_url instead.
func TestSocketModeLargeAnswer(t *testing.T) {
	f := newFakeSlack(t)
	ack := socketSlash(t, f, bot.New(giantCorpus(), bot.Options{}), "show giant-talk", f.responseURL())
	if ack["envelope_id"] != "E1" || ack["payload"] != nil {
		t.Errorf("ack: got %v, want envelope E1 without payload", ack)
	}
	hooks := f.called("response_url")
	if len(hooks) != 1 {
		t.Fatalf("response_url posts: got %v, want %v", len(hooks), 1)
	}
	blocks, _ := hooks[0].JSON["blocks"].([]any)
	checkLimits(t, blocks)
}

// TestSocketModeRedactsResponseURL: when the response_url cannot be
// reached, the error is logged without the URL's secret path.
func TestSocketModeRedactsResponseURL(t *testing.T) {
	f := newFakeSlack(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens at its address any more
	var logs bottest.LogBuffer
	b := bot.New(giantCorpus(), bot.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	socketSlash(t, f, b, "show giant-talk", gone.URL+"/commands/T1/1/SeCrEt")
	got := logs.String()
	if !strings.Contains(got, "answer slash command through response_url") {
		t.Fatalf("got logs %s, want the failed response_url post logged", got)
	}
	if strings.Contains(got, "SeCrEt") {
		t.Errorf("got logs %s, want the response_url's secret left out", got)
	}
}

// socketSlash runs the adapter in Socket Mode against f, sends one slash
// command with text and responseURL, and returns its acknowledgement once
// Run has returned (and so finished the command's background work).
func socketSlash(t *testing.T, f *fakeSlack, b *bot.Bot, text, responseURL string) map[string]any {
	t.Helper()
	return socketRequest(t, f, newSocketAdapter(t, f, b), slashEnvelope("U1", text, responseURL))
}

// newSocketAdapter returns an adapter in Socket Mode against f.
func newSocketAdapter(t *testing.T, f *fakeSlack, b *bot.Bot) *Adapter {
	t.Helper()
	a, err := New(Config{BotToken: "xoxb-test", AppToken: "xapp-1-test", APIURL: f.apiURL()}, b)
	if err != nil {
		t.Fatal(err)
	}
	a.budget = time.Minute
	return a
}

// slashEnvelope is a Socket Mode slash command from user with text.
func slashEnvelope(user, text, responseURL string) map[string]any {
	return map[string]any{
		"type": "slash_commands", "envelope_id": "E1", "accepts_response_payload": true,
		"payload": map[string]any{
			"team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/talk",
			"text": text, "response_url": responseURL,
		},
	}
}

// submissionEnvelope is a Socket Mode view_submission of the recap modal
// by user, with values typed.
func submissionEnvelope(envelope, user, viewID string, values map[string]string) map[string]any {
	body := submitBody(user, viewID, map[string]any{"callback_id": "talk_add", "private_metadata": `{"channel":"C1"}`}, values)
	form, _ := url.ParseQuery(body)
	var p map[string]any
	_ = json.Unmarshal([]byte(form.Get("payload")), &p)
	return map[string]any{"type": "interactive", "envelope_id": envelope, "accepts_response_payload": true, "payload": p}
}

// socketRequest runs a in Socket Mode against f, sends one request
// envelope, and returns its acknowledgement once Run has returned (and so
// finished the request's background work).
func socketRequest(t *testing.T, f *fakeSlack, a *Adapter, envelope map[string]any) map[string]any {
	t.Helper()
	return socketRequests(t, f, a, nil, envelope)[0]
}

// socketRequests runs a in Socket Mode against f, sends the envelopes one
// at a time, each after the acknowledgement of the one before, and
// returns the acknowledgements once Run has returned. connected, when not
// nil, runs after the first acknowledgement, while a is connected.
func socketRequests(t *testing.T, f *fakeSlack, a *Adapter, connected func(), envelopes ...map[string]any) []map[string]any {
	t.Helper()
	acks := make(chan map[string]any, len(envelopes))
	f.socket = func(c *websocket.Conn) {
		if c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}) != nil {
			return
		}
		for _, e := range envelopes {
			var ack map[string]any
			if c.WriteJSON(e) != nil || c.ReadJSON(&ack) != nil {
				return
			}
			acks <- ack
		}
		for { // until the client hangs up
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var got []map[string]any
	for range envelopes {
		select {
		case ack := <-acks:
			got = append(got, ack)
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
			t.Fatal("no acknowledgement")
		}
		if len(got) == 1 && connected != nil {
			connected()
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v, want %v", err, nil)
	}
	return got
}

// TestSocketModeViewSubmission: over Socket Mode a view_submission is
// answered in its acknowledgement: field errors as the payload, a saved
// recap with no payload (the modal closes).
func TestSocketModeViewSubmission(t *testing.T) {
	f := newFakeSlack(t)
	bad := maps.Clone(testRecap)
	bad[recaps.FieldTitle] = ""
	st := bottest.NewStore()
	a := newSocketAdapter(t, f, bot.New(mustEmbedded(t), bot.Options{Store: st}))
	acks := socketRequests(t, f, a, nil, submissionEnvelope("E1", "U1", "VS1", bad), submissionEnvelope("E2", "U1", "VS2", testRecap))
	ack := acks[0]
	p, _ := ack["payload"].(map[string]any)
	errs, _ := p["errors"].(map[string]any)
	if ack["envelope_id"] != "E1" || p["response_action"] != "errors" || errs["title"] != "Required." {
		t.Errorf("bad form's ack: got %v, want response_action errors for the title", ack)
	}
	if ack := acks[1]; ack["envelope_id"] != "E2" || ack["payload"] != nil {
		t.Errorf("good form's ack: got %v, want envelope E2 without payload", ack)
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 1 {
		t.Errorf("recaps saved: got %v, want 1", len(cs))
	}
	if posts := f.called("chat.postEphemeral"); len(posts) != 1 || !strings.Contains(posts[0].Form.Get("blocks"), testRecapTitle) {
		t.Errorf("saved recap: got %v ephemeral posts, want one with the recap", len(posts))
	}
}

func mustEmbedded(t *testing.T) *recaps.Corpus {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
