package slack

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

// The recap every test below shares: a new conference, a Korean and an
// English title, a speaker with handle and team.
var testRecap = map[string]string{
	recaps.FieldTitle:      "정산 파이프라인을 다시 만든 이야기",
	recaps.FieldTitleEN:    "Rebuilding the settlement pipeline",
	recaps.FieldConference: "인프콘 2024",
	recaps.FieldSpeakers:   "박정산 (jspark) · 정산플랫폼팀",
	recaps.FieldSummary:    "배치 정산을 스트리밍으로 바꿨다\nKafka 토픽을 가맹점 id로 나눴다\n멱등 키로 중복 지급을 막았다",
	recaps.FieldLessons:    "멱등 키는 처음부터",
	recaps.FieldTags:       "settlement, 정산",
	recaps.FieldLink:       "https://www.youtube.com/watch?v=abc123",
}

const testRecapTitle = "정산 파이프라인을 다시 만든 이야기"

// newFormEnv is an adapter with an in-memory store, so recaps can be
// shared; "UADMIN" is a workspace admin (fake users.info).
func newFormEnv(t *testing.T) (*testEnv, *bottest.Store) {
	t.Helper()
	st := bottest.NewStore()
	return newEnv(t, func(_ *Config, o *bot.Options) { o.Store = st }), st
}

// opened returns the view of the last views.open call, after checking
// there was one more than before.
func (e *testEnv) opened(t *testing.T, before int) (trigger string, view map[string]any) {
	t.Helper()
	calls := e.slack.called("views.open")
	if len(calls) != before+1 {
		t.Fatalf("views.open calls: got %v, want %v", len(calls), before+1)
	}
	c := calls[len(calls)-1].JSON
	v, _ := c["view"].(map[string]any)
	tr, _ := c["trigger_id"].(string)
	return tr, v
}

// inputs returns the modal's input blocks by block_id: the element.
func inputs(t *testing.T, view map[string]any) (order []string, els map[string]map[string]any) {
	t.Helper()
	els = map[string]map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		if bm["type"] != "input" {
			t.Errorf("block type: got %v, want input", bm["type"])
			continue
		}
		id, _ := bm["block_id"].(string)
		el, _ := bm["element"].(map[string]any)
		el = maps.Clone(el) // the view itself stays as Slack got it
		if el["action_id"] != id {
			t.Errorf("block %s: action_id %v, want it equal to the block_id", id, el["action_id"])
		}
		el["_optional"] = bm["optional"] == true
		hint, _ := bm["hint"].(map[string]any)
		el["_hint"], _ = hint["text"].(string)
		order = append(order, id)
		els[id] = el
	}
	return order, els
}

// submitBody returns a signed-ready view_submission payload for a view
// that views.open answered with id viewID, as Slack sends it: the user
// who submits, the values typed, the view's callback_id and
// private_metadata.
func submitBody(user, viewID string, view map[string]any, values map[string]string) string {
	state := map[string]any{}
	for k, v := range values {
		typ := "plain_text_input"
		if k == recaps.FieldLink {
			typ = "url_text_input"
		}
		state[k] = map[string]any{k: map[string]any{"type": typ, "value": v}}
	}
	p := map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": "T1", "domain": "acme"},
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "name": "name-of-" + user, "team_id": "T1"},
		"api_app_id": "A1",
		"trigger_id": "4.5.6",
		"view": map[string]any{
			"id": viewID, "team_id": "T1", "type": "modal", "hash": "1700000000.abcdef",
			"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
			"state": map[string]any{"values": state},
		},
	}
	js, _ := json.Marshal(p)
	return url.Values{"payload": {string(js)}}.Encode()
}

// add runs "/talk add" as user in channel and submits values in the modal
// it opens; it returns the submission's status and body.
func (e *testEnv) add(t *testing.T, user, channel string, values map[string]string) (int, string) {
	t.Helper()
	before := len(e.slack.called("views.open"))
	if status, body := e.command(t, user, channel, "add"); status != http.StatusOK || body != "" {
		t.Fatalf("/talk add: got %v %q, want 200 and an empty body", status, body)
	}
	_, view := e.opened(t, before)
	return e.post(t, "/slack/interactions", submitBody(user, "VADD"+user+channel, view, values))
}

// answer runs a slash command and returns everything it answered, inline
// and through the response_url, as one string.
func (e *testEnv) answer(t *testing.T, user, text string) string {
	t.Helper()
	before := len(e.slack.called("response_url"))
	_, body := e.command(t, user, "C1", text)
	all := []string{body}
	for _, c := range e.slack.called("response_url")[before:] {
		js, _ := json.Marshal(c.JSON)
		all = append(all, string(js))
	}
	return strings.Join(all, "\n")
}

func TestAddOpensModal(t *testing.T) {
	e, _ := newFormEnv(t)
	status, body := e.command(t, "U1", "C1", "add")
	if status != http.StatusOK || body != "" {
		t.Fatalf("/talk add: got %v %q, want 200 and an empty body", status, body)
	}
	trigger, view := e.opened(t, 0)
	if trigger != "1.2.3" {
		t.Errorf("trigger_id: got %q, want the slash command's %q", trigger, "1.2.3")
	}
	if got := view["callback_id"]; got != "talk_add" {
		t.Errorf("callback_id: got %v, want %v", got, "talk_add")
	}
	if got := view["private_metadata"]; got != `{"channel":"C1"}` {
		t.Errorf("private_metadata: got %v, want the channel", got)
	}
	order, els := inputs(t, view)
	want := []string{"title", "title_en", "conference", "speakers", "summary", "lessons", "tags", "link"}
	if !slices.Equal(order, want) {
		t.Errorf("block_ids: got %v, want %v", order, want)
	}
	required := map[string]bool{"title": true, "conference": true, "summary": true}
	for id, el := range els {
		if opt := el["_optional"].(bool); opt == required[id] {
			t.Errorf("%s: optional %v, want %v", id, opt, !required[id])
		}
	}
	for _, id := range []string{"speakers", "summary", "lessons"} {
		if els[id]["multiline"] != true {
			t.Errorf("%s: not multiline", id)
		}
	}
	if got := els["speakers"]["_hint"]; got != "name (handle) · team, one per line" {
		t.Errorf("speakers hint: got %q", got)
	}
	if got := els["title"]["max_length"]; got != float64(recaps.MaxTitle) {
		t.Errorf("title max_length: got %v, want %v", got, recaps.MaxTitle)
	}
	if got := els["link"]["type"]; got != "url_text_input" {
		t.Errorf("link element: got %v, want url_text_input", got)
	}
	if n := len(e.slack.called("users.info")); n != 1 {
		t.Errorf("users.info calls for talk add: got %v, want 1 (the user's locale, for the form's language)", n)
	}
	js, _ := json.Marshal(view)
	bottest.GoldenJSON(t, "modal_talk_add.json", js)
}

// Without a store, and when views.open fails, /talk add answers why,
// privately, and opens nothing.
func TestAddRefused(t *testing.T) {
	e := newEnv(t) // no store
	_, body := e.command(t, "U1", "C1", "add")
	if m := decodeMessage(t, body); m["response_type"] != "ephemeral" || !strings.Contains(joined(m), "needs a store") {
		t.Errorf("without a store: got %s, want an ephemeral answer that says it needs a store", body)
	}
	if n := len(e.slack.called("views.open")); n != 0 {
		t.Errorf("views.open calls without a store: got %v, want 0", n)
	}

	e, _ = newFormEnv(t)
	form := strings.Replace(e.commandForm("U1", "C1", "add"), "trigger_id=1.2.3", "trigger_id=expired", 1)
	_, body = e.post(t, "/slack/commands", form)
	if !strings.Contains(body, "could not be opened in time") {
		t.Errorf("an expired trigger: got %s, want the user told", body)
	}
}

func TestSubmitAndFind(t *testing.T) {
	e, st := newFormEnv(t)
	status, body := e.add(t, "U1", "C1", testRecap)
	if status != http.StatusOK || body != "" {
		t.Fatalf("submission: got %v %q, want 200 and an empty body (the modal closes)", status, body)
	}
	cs, _ := st.Recaps(context.Background())
	if len(cs) != 1 {
		t.Fatalf("recaps stored: got %v, want 1", len(cs))
	}
	id := cs[0].Talk.ID
	if got := cs[0].Talk.AuthorID; got != "slack:U1" {
		t.Errorf("author id: got %q, want %q", got, "slack:U1")
	}
	if got := cs[0].Talk.Author; got != "name-of-U1" {
		t.Errorf("author: got %q, want the name from the payload", got)
	}
	posts := e.slack.called("chat.postEphemeral")
	if len(posts) != 1 {
		t.Fatalf("chat.postEphemeral calls: got %v, want 1", len(posts))
	}
	p := posts[0]
	if p.Form.Get("channel") != "C1" || p.Form.Get("user") != "U1" {
		t.Errorf("ephemeral to %s/%s, want C1/U1", p.Form.Get("channel"), p.Form.Get("user"))
	}
	blocks := p.blocks(t)
	if s := joined(blocks); !strings.Contains(s, testRecapTitle) || !strings.Contains(s, "Saved") || !strings.Contains(s, id) {
		t.Errorf("saved recap: got %s, want its title, Saved and its id", s)
	}
	if _, ok := buttons(blocks)["Share to channel"]; !ok {
		t.Errorf("buttons: got %v, want Share to channel", buttons(blocks))
	}
	checkLimits(t, blocks)

	for _, q := range []string{"settlement", "정산", "멱등", "speaker 박정산", "speaker jspark", "인프콘", "인프콘 2024", "show " + id} {
		if got := e.answer(t, "U2", q); !strings.Contains(got, testRecapTitle) {
			t.Errorf("/talk %s does not find the shared recap:\n%s", q, got)
		}
	}
	if got := e.answer(t, "U2", "show "+id); !strings.Contains(got, "Shared by") || !strings.Contains(got, "name-of-U1") {
		t.Errorf("the recap does not say who shared it:\n%s", got)
	}
}

func TestSubmitErrors(t *testing.T) {
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for k, v := range testRecap {
			m[k] = v
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name   string
		values map[string]string
		want   map[string]string // block_id → part of the message
	}{
		{"no title", with(recaps.FieldTitle, "  "), map[string]string{"title": "Required"}},
		{"no summary", with(recaps.FieldSummary, ""), map[string]string{"summary": "at least one point"}},
		{"nine points", with(recaps.FieldSummary, strings.Repeat("point\n", 9)), map[string]string{"summary": "At most 8 points"}},
		{"long point", with(recaps.FieldSummary, strings.Repeat("가", recaps.MaxPoint+1)), map[string]string{"summary": "500"}},
		{"bad link", with(recaps.FieldLink, "ftp://x"), map[string]string{"link": "http(s) URL"}},
		{"speaker without name", with(recaps.FieldSpeakers, "(handle) · team"), map[string]string{"speakers": "no name"}},
		{"two at once", with(recaps.FieldConference, ""), map[string]string{"conference": "Required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, st := newFormEnv(t)
			status, body := e.add(t, "U1", "C1", tt.values)
			if status != http.StatusOK {
				t.Fatalf("status: got %v, want 200", status)
			}
			var got struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if got.ResponseAction != "errors" || len(got.Errors) != len(tt.want) {
				t.Errorf("got %s, want response_action errors for %v", body, tt.want)
			}
			for k, v := range tt.want {
				if !strings.Contains(got.Errors[k], v) {
					t.Errorf("errors[%s]: got %q, want it to contain %q", k, got.Errors[k], v)
				}
			}
			if cs, _ := st.Recaps(context.Background()); len(cs) != 0 {
				t.Errorf("a refused form saved %d recaps", len(cs))
			}
			if n := len(e.slack.called("chat.postEphemeral")) + len(e.slack.called("chat.postMessage")); n != 0 {
				t.Errorf("messages after a refused form: got %v, want 0", n)
			}
		})
	}
	t.Run("exact body", func(t *testing.T) {
		e, _ := newFormEnv(t)
		_, body := e.add(t, "U1", "C1", with(recaps.FieldTitle, ""))
		if want := `{"response_action":"errors","errors":{"title":"Required."}}` + "\n"; body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	})
}

// Slack resends a submission it got no answer to: the same view id saves
// one recap, and each answer closes the modal.
func TestSubmitRetried(t *testing.T) {
	e, st := newFormEnv(t)
	e.command(t, "U1", "C1", "add")
	_, view := e.opened(t, 0)
	body := submitBody("U1", "V777", view, testRecap)
	for i := range 3 {
		if status, got := e.post(t, "/slack/interactions", body); status != http.StatusOK || got != "" {
			t.Errorf("submission %d: got %v %q, want 200 and an empty body", i+1, status, got)
		}
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 1 {
		t.Errorf("recaps after three deliveries of one submission: got %v, want 1", len(cs))
	}
	if n := len(e.slack.called("chat.postEphemeral")); n != 1 {
		t.Errorf("saved recaps sent to the author: got %v, want 1", n)
	}
}

func TestEditAndRemove(t *testing.T) {
	e, st := newFormEnv(t)
	e.add(t, "U1", "C1", testRecap)
	cs, _ := st.Recaps(context.Background())
	id := cs[0].Talk.ID

	// A stranger may neither edit nor remove it.
	views := len(e.slack.called("views.open"))
	if got := e.answer(t, "U2", "edit "+id); !strings.Contains(got, "Only name-of-U1") {
		t.Errorf("stranger's edit: got %s, want a refusal that names the author", got)
	}
	if got := e.answer(t, "U2", "remove "+id); !strings.Contains(got, "Only name-of-U1") {
		t.Errorf("stranger's remove: got %s, want a refusal", got)
	}
	if n := len(e.slack.called("views.open")); n != views {
		t.Errorf("views.open after a refused edit: got %v more, want 0", n-views)
	}
	// Shipped recaps are not editable from chat.
	if got := e.answer(t, "UADMIN", "edit deview-2019-11st-kafka-msa"); !strings.Contains(got, "ships with talkbot") {
		t.Errorf("editing a shipped recap: got %s", got)
	}

	// The author edits: the modal opens prefilled, remembering the id.
	if status, body := e.command(t, "U1", "C1", "edit "+id); status != http.StatusOK || body != "" {
		t.Fatalf("/talk edit: got %v %q", status, body)
	}
	_, view := e.opened(t, views)
	_, els := inputs(t, view)
	if got := els["title"]["initial_value"]; got != testRecapTitle {
		t.Errorf("prefilled title: got %v, want %v", got, testRecapTitle)
	}
	if got := els["speakers"]["initial_value"]; got != testRecap[recaps.FieldSpeakers] {
		t.Errorf("prefilled speakers: got %v", got)
	}
	if got, want := view["private_metadata"], `{"channel":"C1","edit":"`+id+`"}`; got != want {
		t.Errorf("private_metadata: got %v, want %v", got, want)
	}
	if got := view["title"].(map[string]any)["text"]; got != "Edit a talk recap" {
		t.Errorf("modal title: got %q", got)
	}
	changed := map[string]string{}
	for k, v := range testRecap {
		changed[k] = v
	}
	changed[recaps.FieldSummary] += "\n코끼리 실험도 했다"
	if status, body := e.post(t, "/slack/interactions", submitBody("U1", "VEDIT1", view, changed)); status != http.StatusOK || body != "" {
		t.Fatalf("edit submission: got %v %q", status, body)
	}
	if got := e.answer(t, "U2", "코끼리"); !strings.Contains(got, testRecapTitle) {
		t.Errorf("the edit is not searchable:\n%s", got)
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 1 || cs[0].Talk.ID != id {
		t.Errorf("after the edit: %d recaps, want the one with id %s", len(cs), id)
	}
	// An admin may open someone else's recap.
	views = len(e.slack.called("views.open"))
	if _, body := e.command(t, "UADMIN", "C1", "edit "+id); body != "" {
		t.Errorf("admin's edit: got %s, want the modal", body)
	}
	e.opened(t, views)

	// The author removes it; search no longer finds it.
	if got := e.answer(t, "U1", "remove "+id); !strings.Contains(got, "Removed") {
		t.Errorf("author's remove: got %s", got)
	}
	if got := e.answer(t, "U2", "settlement"); strings.Contains(got, testRecapTitle) {
		t.Errorf("a removed recap is still found:\n%s", got)
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 0 {
		t.Errorf("recaps after remove: got %v, want 0", len(cs))
	}
}

// shortcutBody is a message_action payload for "Save as talk recap".
func shortcutBody(e *testEnv, user, channel, text string) string {
	p := map[string]any{
		"type": "message_action", "callback_id": "talk_save_message", "trigger_id": "7.8.9",
		"team":         map[string]any{"id": "T1"},
		"user":         map[string]any{"id": user, "name": "name-of-" + user},
		"channel":      map[string]any{"id": channel, "name": "general"},
		"message":      map[string]any{"type": "message", "user": "U9", "ts": "1700000000.000100", "text": text},
		"response_url": e.slack.responseURL(),
	}
	js, _ := json.Marshal(p)
	return url.Values{"payload": {string(js)}}.Encode()
}

func TestSaveMessageShortcut(t *testing.T) {
	e, st := newFormEnv(t)
	text := "배치 정산을 스트리밍으로 바꿨다\n\n• 멱등 키 &lt;필수&gt; &amp; 재시도\n<@U123> 발표, 자료 <https://example.com/slides|slides> <!here>"
	status, body := e.post(t, "/slack/interactions", shortcutBody(e, "U1", "C7", text))
	if status != http.StatusOK || body != "" {
		t.Fatalf("shortcut: got %v %q, want an empty 200", status, body)
	}
	trigger, view := e.opened(t, 0)
	if trigger != "7.8.9" {
		t.Errorf("trigger_id: got %q, want the shortcut's", trigger)
	}
	if got := view["callback_id"]; got != "talk_add" {
		t.Errorf("callback_id: got %v, want talk_add", got)
	}
	_, els := inputs(t, view)
	want := "배치 정산을 스트리밍으로 바꿨다\n• 멱등 키 <필수> & 재시도\n@U123 발표, 자료 slides (https://example.com/slides) @here"
	if got := els["summary"]["initial_value"]; got != want {
		t.Errorf("prefilled summary:\ngot  %q\nwant %q", got, want)
	}
	// Submitting it answers in the shortcut's channel.
	values := map[string]string{}
	for k, v := range testRecap {
		values[k] = v
	}
	values[recaps.FieldSummary] = want
	if status, body := e.post(t, "/slack/interactions", submitBody("U1", "VSHORT", view, values)); status != http.StatusOK || body != "" {
		t.Fatalf("submission: got %v %q", status, body)
	}
	if posts := e.slack.called("chat.postEphemeral"); len(posts) != 1 || posts[0].Form.Get("channel") != "C7" {
		t.Errorf("saved recap: got %v ephemeral posts, want one in C7", len(posts))
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 1 {
		t.Errorf("recaps: got %v, want 1", len(cs))
	}

	// Without a store the shortcut says why, through its response_url.
	e = newEnv(t)
	e.post(t, "/slack/interactions", shortcutBody(e, "U1", "C7", text))
	if hooks := e.slack.called("response_url"); len(hooks) != 1 || !strings.Contains(joined(hooks[0].JSON), "needs a store") {
		t.Errorf("shortcut without a store: got %v response_url posts, want one that says why", len(hooks))
	}
	if n := len(e.slack.called("views.open")); n != 0 {
		t.Errorf("views.open without a store: got %v, want 0", n)
	}
}

// Where an ephemeral message cannot go (a DM between two people, a
// private channel the bot is not in), the saved recap comes as a DM.
func TestSavedRecapByDM(t *testing.T) {
	e, _ := newFormEnv(t)
	e.add(t, "U1", "DPEOPLE", testRecap)
	posts := e.slack.called("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "U1" {
		t.Fatalf("chat.postMessage: got %v calls, want one to U1", len(posts))
	}
	if s := joined(posts[0].blocks(t)); !strings.Contains(s, testRecapTitle) {
		t.Errorf("DM: got %s, want the recap", s)
	}
}

// Mentions typed into the form are data: never a ping in the saved
// recap, nor in a search answer, nor in a shared one.
func TestContributedMentionsEscaped(t *testing.T) {
	e, _ := newFormEnv(t)
	values := map[string]string{}
	for k, v := range testRecap {
		values[k] = v
	}
	values[recaps.FieldTitle] = "<!channel> 정산 이야기"
	values[recaps.FieldSummary] = "<!here> 배치 정산을 바꿨다\n<@U123> <!subteam^S1> 멱등 키"
	if status, body := e.add(t, "U1", "C1", values); status != http.StatusOK || body != "" {
		t.Fatalf("submission: got %v %q", status, body)
	}
	posts := e.slack.called("chat.postEphemeral")
	if len(posts) != 1 {
		t.Fatalf("chat.postEphemeral calls: got %v, want 1", len(posts))
	}
	outs := map[string]string{
		"saved blocks": posts[0].Form.Get("blocks"),
		"saved text":   posts[0].Form.Get("text"),
		"search":       e.answer(t, "U2", "멱등"),
	}
	if !strings.Contains(outs["search"], "&lt;!channel&gt;") {
		t.Errorf("search answer does not show the title escaped:\n%s", outs["search"])
	}
	for where, s := range outs {
		for _, h := range []string{"<!channel>", "<!here>", "<@U123>", "<!subteam^S1>"} {
			if strings.Contains(s, h) {
				t.Errorf("%s contains raw %q:\n%s", where, h, s)
			}
		}
	}
}

func TestMessageLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"one\n\n two \r\nthree", "one\ntwo\nthree"},
		{"&lt;b&gt; &amp;amp;", "<b> &amp;"},
		{"<https://x.example/a|a>", "a (https://x.example/a)"},
		{"<https://x.example/a>", "https://x.example/a"},
		{"<mailto:a@b.c|a@b.c>", "a@b.c (mailto:a@b.c)"},
		{"<@U1> <@U2|kim>", "@U1 @kim"},
		{"<#C1|general> <#C2>", "#general #C2"},
		{"<!channel> <!here> <!subteam^S1|@devs> <!subteam^S2>", "@channel @here @devs @subteam"},
		{"<unclosed", "<unclosed"},
	}
	for _, tt := range tests {
		if got := messageLines(tt.in); got != tt.want {
			t.Errorf("messageLines(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// gatedRecaps is a store whose PutRecap waits until gate is closed: it
// holds a submission past the inline budget, without timing.
type gatedRecaps struct {
	*bottest.Store
	gate    chan struct{}
	entered chan struct{} // a PutRecap has started waiting
}

func (s *gatedRecaps) PutRecap(ctx context.Context, c bot.Contribution) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.PutRecap(ctx, c)
}

// A submission slower than the inline budget closes the modal at once;
// the saved recap follows. A form checked too late to show its errors in
// the modal gets them as a message, with the text typed.
func TestSubmitLate(t *testing.T) {
	st := &gatedRecaps{Store: bottest.NewStore(), gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newEnv(t, func(_ *Config, o *bot.Options) { o.Store = st })
	e.command(t, "U1", "C1", "add")
	_, view := e.opened(t, 0)
	e.a.budget = 1 // nanosecond: the gate makes the deferral certain
	if status, body := e.sendSigned(t, "/slack/interactions", submitBody("U1", "VLATE", view, testRecap)); status != http.StatusOK || body != "" {
		t.Fatalf("slow submission: got %v %q, want an empty 200", status, body)
	}
	<-st.entered // the first holds Submit now
	// A second, bad form waits behind the first (Submit takes one at a time).
	bad := map[string]string{}
	for k, v := range testRecap {
		bad[k] = v
	}
	bad[recaps.FieldConference] = ""
	bad[recaps.FieldLessons] = "<!channel> 지우지 말 것"
	if status, body := e.sendSigned(t, "/slack/interactions", submitBody("U2", "VLATE2", view, bad)); status != http.StatusOK || body != "" {
		t.Fatalf("slow bad submission: got %v %q, want an empty 200", status, body)
	}
	close(st.gate)
	e.a.work.Wait()
	posts := e.slack.called("chat.postEphemeral")
	if len(posts) != 2 {
		t.Fatalf("chat.postEphemeral calls: got %v, want 2", len(posts))
	}
	by := map[string]string{}
	for _, p := range posts {
		by[p.Form.Get("user")] = p.Form.Get("text") + "\n" + p.Form.Get("blocks")
	}
	if !strings.Contains(by["U1"], testRecapTitle) {
		t.Errorf("late saved recap: got %s", by["U1"])
	}
	for _, want := range []string{"not saved", "Conference: Required.", "&lt;!channel&gt; 지우지 말 것", testRecap[recaps.FieldSummary]} {
		if !strings.Contains(by["U2"], want) {
			t.Errorf("late problems: got %s, want %q in it", by["U2"], want)
		}
	}
	if strings.Contains(by["U2"], "<!channel>") {
		t.Errorf("late problems ping: %s", by["U2"])
	}
}

// sendSigned sends a signed POST without waiting for its work.
func (e *testEnv) sendSigned(t *testing.T, path, body string) (int, string) {
	t.Helper()
	return e.send(t, http.MethodPost, path, body, sign(testSecret, time.Now(), body))
}
