package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

// shareDraft is a recap as a person would type it into the Discord form.
var shareDraft = recaps.Draft{
	Title:      "채팅 메시지를 샤딩한 이야기",
	Conference: "인프콘 2024",
	Speakers:   "홍길동 (gildong) · 메시징팀",
	Summary:    "DynamoDB 테이블을 채널 id로 나눴다\n핫 파티션은 쓰기 샤딩으로 풀었다\n#hotpartition 은 모니터링으로 찾았다",
	Lessons:    "파티션 키를 먼저 정하라",
}

// wireModal is an interaction response of type 9 as Discord reads it.
type wireModal struct {
	Type int `json:"type"`
	Data struct {
		CustomID   string `json:"custom_id"`
		Title      string `json:"title"`
		Components []struct {
			Type       int `json:"type"`
			Components []struct {
				Type        int    `json:"type"`
				CustomID    string `json:"custom_id"`
				Label       string `json:"label"`
				Style       int    `json:"style"`
				Placeholder string `json:"placeholder"`
				Value       string `json:"value"`
				Required    bool   `json:"required"`
				MaxLength   int    `json:"max_length"`
			} `json:"components"`
		} `json:"components"`
	} `json:"data"`
}

func decodeModal(t *testing.T, body []byte) wireModal {
	t.Helper()
	var m wireModal
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if m.Type != 9 {
		t.Fatalf("got %s, want a modal (type 9)", body)
	}
	return m
}

// values returns the modal's text inputs by custom id, checking Discord's
// rules for modals on the way.
func (m wireModal) values(t *testing.T) map[string]string {
	t.Helper()
	if length(m.Data.Title) > maxModalTitle || m.Data.Title == "" {
		t.Errorf("modal title %q: want 1 to %d characters", m.Data.Title, maxModalTitle)
	}
	if len(m.Data.CustomID) > maxCustomID {
		t.Errorf("modal custom_id %q: want at most %d characters", m.Data.CustomID, maxCustomID)
	}
	if len(m.Data.Components) > maxModalInputs {
		t.Errorf("got %d rows, want at most %d", len(m.Data.Components), maxModalInputs)
	}
	v := map[string]string{}
	for _, row := range m.Data.Components {
		if row.Type != 1 || len(row.Components) != 1 {
			t.Errorf("got row %+v, want an action row with one text input", row)
			continue
		}
		in := row.Components[0]
		if in.Type != 4 || length(in.Label) > maxInputLabel || length(in.Placeholder) > maxPlaceholder || in.MaxLength > maxInputValue || length(in.Value) > in.MaxLength {
			t.Errorf("got input %+v, want a text input within Discord's limits", in)
		}
		v[in.CustomID] = in.Value
	}
	return v
}

// submitJSON is a modal submit (interaction type 5) with id, from the
// form customID, by m (shown as nick), with d's five fields typed in. from
// is the message the modal was opened from, if any.
func submitJSON(id, customID string, m member, nick string, d recaps.Draft, from map[string]any) []byte {
	p := base(5, m)
	p["id"] = id
	p["member"].(map[string]any)["nick"] = nick
	var rows []any
	for _, f := range []struct{ id, v string }{
		{"title", d.Title}, {"conference", d.Conference}, {"speakers", d.Speakers}, {"summary", d.Summary}, {"lessons", d.Lessons},
	} {
		rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": f.id, "value": f.v}}})
	}
	p["data"] = map[string]any{"custom_id": customID, "components": rows}
	if from != nil {
		p["message"] = from
	}
	return mustJSON(p)
}

// ephemeralMessage is the message a modal opened from a button came from.
var ephemeralMessage = map[string]any{"id": "701", "channel_id": "c1", "flags": 64, "content": ""}

func storeBot(t *testing.T) (*bot.Bot, *bottest.Store) {
	t.Helper()
	st := bottest.NewStore()
	return testBot(t, bot.Options{Store: st}), st
}

func recapsIn(t *testing.T, st bot.RecapStore) []bot.Contribution {
	t.Helper()
	cs, err := st.Recaps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestAddOpensModal: /talk query:add (and its Korean name) answers with the
// recap form: a modal talk_add with the five inputs, their styles, and the
// limits of package recaps.
func TestAddOpensModal(t *testing.T) {
	b, _ := storeBot(t)
	e := newEnv(t, b, Config{})
	_, _, body := e.do(t, talkJSON("add"))
	bottest.GoldenJSON(t, "talk_add_modal.json", body)
	m := decodeModal(t, body)
	if m.Data.CustomID != "talk_add" {
		t.Errorf("got custom_id %q, want talk_add", m.Data.CustomID)
	}
	want := []struct {
		id       string
		style    int
		required bool
		max      int
	}{
		{"title", 1, true, recaps.MaxTitle},
		{"conference", 1, true, recaps.MaxConference},
		{"speakers", 2, false, 2469},
		{"summary", 2, true, 4000},
		{"lessons", 2, false, 4000},
	}
	if len(m.Data.Components) != len(want) {
		t.Fatalf("got %d inputs, want %d", len(m.Data.Components), len(want))
	}
	for i, w := range want {
		in := m.Data.Components[i].Components[0]
		if in.CustomID != w.id || in.Style != w.style || in.Required != w.required || in.MaxLength != w.max || in.Value != "" || in.Label == "" {
			t.Errorf("input %d: got %+v, want custom_id %s, style %d, required %v, max_length %d, empty", i, in, w.id, w.style, w.required, w.max)
		}
	}
	m.values(t)
	if _, _, ko := e.do(t, talkJSON("추가")); decodeModal(t, ko).Data.CustomID != "talk_add" {
		t.Errorf("/talk query:추가: got %s, want the form", ko)
	}

	// Without a store there is nowhere to keep a recap: the answer says so.
	e = newEnv(t, testBot(t, bot.Options{}), Config{})
	if _, resp, body := e.do(t, talkJSON("add")); resp.Type != 4 || resp.Data.Flags != 64 || !strings.Contains(resp.Data.text(), "needs a store") {
		t.Errorf("without a store: got %s, want an ephemeral explanation", body)
	}
}

// TestShareAndFind is the whole path over the signed HTTP endpoint:
// /talk query:add → modal → submit → the saved recap (ephemeral, with
// Share) → found by a word, a Korean word, its speaker and its conference.
// The requests and answers are logged for the README and the closing note
// (go test -run TestShareAndFind -v).
func TestShareAndFind(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	step := func(what string, req []byte) wireResponse {
		t.Helper()
		code, resp, body := e.do(t, req)
		t.Logf("%s\n→ POST /discord/interactions (signed) %s\n← %d %s", what, req, code, body)
		if code != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", what, code)
		}
		if resp.Type != 9 {
			checkLimits(t, body)
			if err := checkMentionsOff(mustJSON(resp.Data)); err != nil {
				t.Error(err)
			}
		}
		return resp
	}

	if r := step("/talk query:add", talkJSON("add")); r.Type != 9 {
		t.Fatalf("got type %d, want the modal", r.Type)
	}
	saved := step("modal submit", submitJSON("500", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil))
	cs := recapsIn(t, st)
	if len(cs) != 1 {
		t.Fatalf("got %d recaps in the store, want 1", len(cs))
	}
	id := cs[0].Talk.ID
	if saved.Type != 4 || saved.Data.Flags != 64 || !strings.Contains(saved.Data.text(), "Saved") || !strings.Contains(saved.Data.text(), id) ||
		!strings.Contains(saved.Data.text(), shareDraft.Title) || !strings.Contains(saved.Data.text(), "Ash") || saved.Data.button("x") == "" {
		t.Errorf("got %+v, want the saved recap, ephemeral, by Ash, with a Share button", saved.Data)
	}
	if got := cs[0].Talk; got.AuthorID != "discord:u1" || got.Author != "Ash" || !contains(got.Tags, "sharding") || !contains(got.Tags, "hotpartition") {
		t.Errorf("got %+v, want author discord:u1 (Ash) and the glossary and hashtag tags", got)
	}
	for _, q := range []string{"hotpartition", "dynamodb", "샤딩", "핫 파티션", "speaker gildong", "speaker 홍길동", "인프콘 2024", "show " + id} {
		r := step("/talk query:"+q, talkJSON(q))
		if !strings.Contains(r.Data.text(), shareDraft.Title) {
			t.Errorf("/talk query:%s: got %q, want the shared recap", q, r.Data.text())
		}
	}
	// Share posts it for the channel.
	shared := step("Share", componentJSON(saved.Data.button("x"), true))
	if shared.Type != 4 || shared.Data.Flags != 0 || shared.Data.Content != "Shared by <@u1>" || !strings.Contains(shared.Data.text(), shareDraft.Title) {
		t.Errorf("got %+v, want the recap posted publicly", shared.Data)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestRefusedFormKeepsText: a form with problems is not saved; the answer
// lists the problems by field and offers a button that reopens the form
// with what was typed; the fixed form, sent from there, replaces the
// message with the saved recap. The kept text expires, and is not anyone
// else's.
func TestRefusedFormKeepsText(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	now := time.Now()
	e.a.drafts.now = func() time.Time { return now }
	bad := recaps.Draft{
		Title:      "우리 팀 이야기",
		Conference: "사내 세미나 2026",
		Speakers:   "(handle only)",
		Summary:    "하나\n둘\n셋\n넷\n다섯\n여섯\n일곱\n여덟\n아홉",
		Lessons:    "배운 점",
	}
	_, resp, body := e.do(t, submitJSON("501", "talk_add", member{"u1", 0}, "Ash", bad, nil))
	t.Logf("refused form → %s", body)
	checkLimits(t, body)
	text := resp.Data.text()
	for _, w := range []string{"not saved", "Speakers: Line 1 has no name", "Summary: At most 8 points", "Tags:", "#hashtag", "30 minutes"} {
		if !strings.Contains(text, w) {
			t.Errorf("got %q, want it to contain %q", text, w)
		}
	}
	if resp.Type != 4 || resp.Data.Flags != 64 {
		t.Errorf("got type %d flags %d, want an ephemeral message", resp.Type, resp.Data.Flags)
	}
	if n := len(recapsIn(t, st)); n != 0 {
		t.Fatalf("a refused form saved %d recaps", n)
	}
	reopen := resp.Data.button("talk_add_reopen:")
	if reopen == "" || len(reopen) > maxCustomID {
		t.Fatalf("got components %+v, want a reopen button", resp.Data.Components)
	}

	// The button reopens the form with everything typed.
	_, _, body = e.do(t, componentJSON(reopen, true))
	m := decodeModal(t, body)
	got := m.values(t)
	want := map[string]string{"title": bad.Title, "conference": bad.Conference, "speakers": bad.Speakers, "summary": bad.Summary, "lessons": bad.Lessons}
	if m.Data.CustomID != "talk_add" || len(got) != len(want) {
		t.Errorf("got modal %s with %v, want talk_add with %v", m.Data.CustomID, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("reopened %s: got %q, want %q", k, got[k], v)
		}
	}
	// Pressed again (the modal was closed), it still works.
	if _, _, again := e.do(t, componentJSON(reopen, true)); decodeModal(t, again).values(t)["summary"] != bad.Summary {
		t.Errorf("second press: got %s", again)
	}

	// The fixed form, sent from the reopened modal, answers in place.
	fixed := bad
	fixed.Speakers = "김개발 (handle) · 플랫폼팀"
	fixed.Summary = "하나 #seminar\n둘"
	_, resp, body = e.do(t, submitJSON("502", "talk_add", member{"u1", 0}, "Ash", fixed, ephemeralMessage))
	if resp.Type != 7 || !strings.Contains(resp.Data.text(), "Saved") || resp.Data.button("talk_add_reopen:") != "" {
		t.Errorf("got %s, want the problems' message updated to the saved recap", body)
	}
	if n := len(recapsIn(t, st)); n != 1 {
		t.Errorf("got %d recaps, want 1", n)
	}

	// Another user cannot use the token; nobody can after 30 minutes.
	p := base(3, member{"u2", 0})
	p["message"] = ephemeralMessage
	p["data"] = map[string]any{"custom_id": reopen, "component_type": 2}
	if _, resp, body := e.do(t, mustJSON(p)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "no longer has the text") {
		t.Errorf("another user: got %s, want a notice", body)
	}
	now = now.Add(draftTTL)
	if _, resp, body := e.do(t, componentJSON(reopen, true)); resp.Type != 4 || resp.Data.Flags != 64 || !strings.Contains(resp.Data.text(), "30 minutes") {
		t.Errorf("after 30 minutes: got %s, want an ephemeral notice", body)
	}
}

// TestRefusedFormOnAnotherReplica: the text of a refused form is kept in
// the store too, so its reopen button works when Discord sends the press
// to another replica (or to this one after a restart), for its user only.
func TestRefusedFormOnAnotherReplica(t *testing.T) {
	st := bottest.NewStore()
	one := newEnv(t, testBot(t, bot.Options{Store: st}), Config{})
	other := newEnv(t, testBot(t, bot.Options{Store: st}), Config{})
	bad := shareDraft
	bad.Summary = ""
	_, resp, body := one.do(t, submitJSON("511", "talk_add", member{"u1", 0}, "Ash", bad, nil))
	reopen := resp.Data.button("talk_add_reopen:")
	if reopen == "" {
		t.Fatalf("got %s, want a refused form with a reopen button", body)
	}
	_, _, body = other.do(t, componentJSON(reopen, true))
	if got := decodeModal(t, body).values(t); got["title"] != bad.Title || got["conference"] != bad.Conference {
		t.Errorf("reopened on the other replica: got %v, want what was typed", got)
	}
	p := base(3, member{"u2", 0})
	p["message"] = ephemeralMessage
	p["data"] = map[string]any{"custom_id": reopen, "component_type": 2}
	if _, resp, body := other.do(t, mustJSON(p)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "no longer has the text") {
		t.Errorf("another user on the other replica: got %s, want a notice", body)
	}
}

// TestStoreFailureKeepsText: when the store fails, the recap is not saved
// and the typed text can be sent again with the reopen button.
func TestStoreFailureKeepsText(t *testing.T) {
	b, st := storeBot(t)
	st.Err = errDisk
	e := newEnv(t, b, Config{})
	_, resp, body := e.do(t, submitJSON("503", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil))
	if resp.Type != 4 || resp.Data.Flags != 64 || !strings.Contains(resp.Data.text(), "not saved") || resp.Data.button("talk_add_reopen:") == "" {
		t.Fatalf("got %s, want an ephemeral failure with a reopen button", body)
	}
	_, _, body = e.do(t, componentJSON(resp.Data.button("talk_add_reopen:"), true))
	if got := decodeModal(t, body).values(t); got["summary"] != shareDraft.Summary {
		t.Errorf("reopened summary: got %q, want the typed one", got["summary"])
	}
}

type diskError struct{}

func (diskError) Error() string { return "disk on fire" }

var errDisk error = diskError{}

// TestDuplicateDelivery: the same modal submit delivered twice (a replayed
// signed request, or over the gateway) saves one recap; the submission key
// is the interaction id, so a new submit of the same text is a new recap.
func TestDuplicateDelivery(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	req := submitJSON("600", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil)
	var ids []string
	for range 2 {
		_, resp, body := e.do(t, req)
		if resp.Type != 4 || !strings.Contains(resp.Data.text(), "Saved") {
			t.Fatalf("got %s, want the saved recap", body)
		}
		ids = append(ids, resp.Data.button("x"))
	}
	api := newFakeAPI(t)
	a, _ := gatewayAdapter(t, api, b, Config{})
	var it discordgo.Interaction
	if err := json.Unmarshal(req, &it); err != nil {
		t.Fatal(err)
	}
	a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &it})
	c := api.wait(t, http.MethodPost, "/api/v10/interactions/600/itoken/callback")
	var r wireResponse
	if err := json.Unmarshal(c.Body, &r); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, r.Data.button("x"))
	if n := len(recapsIn(t, st)); n != 1 || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("got %d recaps and answers %v, want one recap, answered alike", n, ids)
	}
	// Concurrent duplicates save once too.
	req = submitJSON("601", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.a.Handler().ServeHTTP(rec, signedRequest(e.priv, time.Now(), req))
			if rec.Code != http.StatusOK {
				t.Errorf("got %d %s", rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	if n := len(recapsIn(t, st)); n != 2 {
		t.Errorf("after a new submit delivered 4 times at once: got %d recaps, want 2", n)
	}
}

// TestEditAndRemove: /talk query:edit <id> opens the form prefilled for the
// author and for members with Manage Channels, and refuses anyone else;
// the edit keeps the fields the Discord form does not show; /talk
// query:remove <id> likewise.
func TestEditAndRemove(t *testing.T) {
	b, st := storeBot(t)
	ctx := context.Background()
	// A recap shared by u1 with all eight fields (as from Slack's form).
	d := shareDraft
	d.TitleEN, d.Tags, d.Link = "How we sharded chat messages", "dynamodb, chat", "https://www.youtube.com/watch?v=abc"
	if _, errs := b.Submit(ctx, bot.Submission{Request: bot.Request{Platform: "discord", Team: "g1", Channel: "c1", User: "u1"}, Author: "Ash", Draft: d, Key: "k0"}); errs != nil {
		t.Fatal(errs)
	}
	id := recapsIn(t, st)[0].Talk.ID
	e := newEnv(t, b, Config{})
	author, stranger, manager := member{"u1", 0}, member{"u2", discordgo.PermissionSendMessages}, member{"u3", discordgo.PermissionManageChannels}
	edit := func(m member) []byte { return commandJSON("talk", map[string]string{"query": "edit " + id}, m) }

	for _, m := range []member{author, manager} {
		_, _, body := e.do(t, edit(m))
		modal := decodeModal(t, body)
		v := modal.values(t)
		if modal.Data.CustomID != "talk_add:"+id || v["title"] != d.Title || v["conference"] != "인프콘 2024" || v["speakers"] != d.Speakers || v["summary"] != d.Summary || v["lessons"] != d.Lessons {
			t.Errorf("%s: got %s %v, want talk_add:%s prefilled", m.user, modal.Data.CustomID, v, id)
		}
	}
	if _, resp, body := e.do(t, edit(stranger)); resp.Type != 4 || resp.Data.Flags != 64 || !strings.Contains(resp.Data.text(), "Only Ash") {
		t.Errorf("stranger: got %s, want an ephemeral refusal", body)
	}
	shipped := b.Corpus().Talks[0].ID
	if _, resp, body := e.do(t, commandJSON("talk", map[string]string{"query": "edit " + shipped}, manager)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "ships with talkbot") {
		t.Errorf("shipped talk: got %s, want it refused", body)
	}

	// A stranger's forged submit is refused and changes nothing.
	changed := d
	changed.Title = "카산드라로 옮긴 이야기"
	changed.Summary = "Cassandra 클러스터로 옮겼다\n샤딩은 그대로"
	if _, resp, body := e.do(t, submitJSON("700", "talk_add:"+id, stranger, "Eve", changed, nil)); !strings.Contains(resp.Data.text(), "Only Ash") {
		t.Errorf("stranger's submit: got %s, want a refusal", body)
	}
	if got := recapsIn(t, st)[0].Talk.Title; got != d.Title {
		t.Errorf("after the stranger's submit the title is %q", got)
	}
	// The author's edit saves, and keeps title_en, tags and link.
	_, resp, body := e.do(t, submitJSON("701", "talk_add:"+id, author, "Ash", changed, nil))
	if resp.Type != 4 || !strings.Contains(resp.Data.text(), "Updated") {
		t.Fatalf("author's edit: got %s", body)
	}
	cs := recapsIn(t, st)
	if got := cs[0].Talk; len(cs) != 1 || got.ID != id || got.Title != changed.Title || got.TitleEN != d.TitleEN || len(got.Links) != 1 || !contains(got.Tags, "chat") {
		t.Errorf("after the edit: %d recaps, %+v; want the same id with the new title and the old title_en, link and tags", len(cs), got)
	}
	if _, resp, _ := e.do(t, talkJSON("cassandra")); !strings.Contains(resp.Data.text(), changed.Title) {
		t.Errorf("the edited recap is not found by its new word: %q", resp.Data.text())
	}

	remove := func(m member) []byte { return commandJSON("talk", map[string]string{"query": "remove " + id}, m) }
	if _, resp, body := e.do(t, remove(stranger)); !strings.Contains(resp.Data.text(), "Only Ash") || len(recapsIn(t, st)) != 1 {
		t.Errorf("stranger's remove: got %s, want a refusal and the recap kept", body)
	}
	if _, resp, body := e.do(t, remove(author)); !strings.Contains(resp.Data.text(), "Removed") || len(recapsIn(t, st)) != 0 {
		t.Errorf("author's remove: got %s, want it removed", body)
	}
	if _, resp, _ := e.do(t, talkJSON("cassandra")); strings.Contains(resp.Data.text(), changed.Title) {
		t.Errorf("a removed recap is still found: %q", resp.Data.text())
	}
}

// TestRemoveByManager: a member with Manage Channels may remove anyone's
// recap.
func TestRemoveByManager(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	e.do(t, submitJSON("800", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil))
	id := recapsIn(t, st)[0].Talk.ID
	_, resp, body := e.do(t, commandJSON("talk", map[string]string{"query": "remove " + id}, member{"u3", discordgo.PermissionManageChannels}))
	if !strings.Contains(resp.Data.text(), "Removed") || len(recapsIn(t, st)) != 0 {
		t.Errorf("got %s, want the recap removed", body)
	}
}

// TestContributedTextNeverPings: mentions typed into the form are data:
// the saved recap, a search answer and the shared post escape them and
// carry allowed_mentions {"parse": []}.
func TestContributedTextNeverPings(t *testing.T) {
	b, _ := storeBot(t)
	e := newEnv(t, b, Config{})
	d := recaps.Draft{
		Title:      "@everyone 긴급 <@&123> 샤딩 회고",
		Conference: "DEVIEW 2019",
		Speakers:   "<@42> (here) · @here",
		Summary:    "샤딩을 했다 @here\n<@&123> 팀과 <#77> 채널 [click](https://evil.example)",
	}
	check := func(what string, resp wireResponse) {
		t.Helper()
		if err := checkMentionsOff(mustJSON(resp.Data)); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		m := resp.Data
		m.Content = "" // "Shared by <@u1>" is talkbot's own, and pings nobody either
		text := m.text()
		if !strings.Contains(text, "긴급") {
			t.Errorf("%s: got %q, want the recap", what, text)
		}
		for _, bad := range []string{"@everyone", "@here"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s: got %q in %q, want it broken up", what, bad, text)
			}
		}
		for i := range len(text) {
			if text[i] == '<' && (i == 0 || text[i-1] != '\\') {
				t.Errorf("%s: got an unescaped %q in %q", what, text[i:min(len(text), i+6)], text)
			}
		}
	}
	_, saved, _ := e.do(t, submitJSON("900", "talk_add", member{"u1", 0}, "@everyone", d, nil))
	check("saved", saved)
	_, found, _ := e.do(t, talkJSON("긴급"))
	check("search", found)
	_, shared, _ := e.do(t, componentJSON(saved.Data.button("x"), true))
	if shared.Data.Flags != 0 {
		t.Errorf("got flags %d, want the shared post public", shared.Data.Flags)
	}
	check("shared", shared)
}

// TestGatewayForm: over the gateway, /talk query:add is answered with the
// modal through the callback endpoint, and its submit with the saved recap.
func TestGatewayForm(t *testing.T) {
	b, st := storeBot(t)
	api := newFakeAPI(t)
	a, _ := gatewayAdapter(t, api, b, Config{})
	deliver := func(raw []byte, id string) []byte {
		t.Helper()
		var it discordgo.Interaction
		if err := json.Unmarshal(raw, &it); err != nil {
			t.Fatal(err)
		}
		a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &it})
		return api.wait(t, http.MethodPost, "/api/v10/interactions/"+id+"/itoken/callback").Body
	}
	if m := decodeModal(t, deliver(talkJSON("add"), "400")); m.Data.CustomID != "talk_add" || len(m.values(t)) != 5 {
		t.Errorf("got %+v, want the form", m)
	}
	var r wireResponse
	body := deliver(submitJSON("401", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil), "401")
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if r.Type != 4 || r.Data.Flags != 64 || !strings.Contains(r.Data.text(), "Saved") || len(recapsIn(t, st)) != 1 {
		t.Errorf("got %s, want the saved recap", body)
	}
}

// gatedRecaps is a store whose PutRecap waits for gate: it holds a
// submission past the deadline without timing.
type gatedRecaps struct {
	*bottest.Store
	gate chan struct{}
}

func (s gatedRecaps) PutRecap(ctx context.Context, c bot.Contribution) error {
	select {
	case <-s.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.PutRecap(ctx, c)
}

// TestSubmitDeferred: a submit the store holds past the deadline is
// deferred (ephemeral type 5), and the saved recap edits @original.
func TestSubmitDeferred(t *testing.T) {
	st := gatedRecaps{bottest.NewStore(), make(chan struct{})}
	e := newEnv(t, testBot(t, bot.Options{Store: st}), Config{})
	e.a.deferAfter = time.Millisecond // the store blocks until released, so the deferral is certain
	_, resp, body := e.do(t, submitJSON("950", "talk_add", member{"u1", 0}, "Ash", shareDraft, nil))
	if resp.Type != 5 || resp.Data.Flags != 64 {
		t.Errorf("got %s, want type 5 with flags 64", body)
	}
	close(st.gate)
	c := e.api.wait(t, http.MethodPatch, "/api/v10/webhooks/"+testAppID+"/itoken/messages/@original")
	var m wireMessage
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.text(), "Saved") || m.button("x") == "" {
		t.Errorf("got %s, want the saved recap with Share", c.Body)
	}
}

// TestFormEdgeCases: a recap too long for a Discord form field is not
// opened in a broken modal; an unknown form is refused; a recap id too long
// for a custom id is kept server-side for its user.
func TestFormEdgeCases(t *testing.T) {
	b, st := storeBot(t)
	ctx := context.Background()
	long := shareDraft
	var points []string
	for range recaps.MaxPoints {
		points = append(points, strings.Repeat("샤", recaps.MaxPoint))
	}
	long.Summary = strings.Join(points, "\n") // 4,007 characters
	if _, errs := b.Submit(ctx, bot.Submission{Request: bot.Request{Platform: "discord", User: "u1"}, Author: "Ash", Draft: long, Key: "k1"}); errs != nil {
		t.Fatal(errs)
	}
	e := newEnv(t, b, Config{})
	id := ""
	if cs := recapsIn(t, st); len(cs) == 1 {
		id = cs[0].Talk.ID
	}
	if _, resp, body := e.do(t, commandJSON("talk", map[string]string{"query": "edit " + id}, member{"u1", 0})); resp.Type != 4 || !strings.Contains(resp.Data.text(), "longer than a Discord form field holds") {
		t.Errorf("too long to edit here: got %s", body)
	}
	if _, resp, body := e.do(t, submitJSON("960", "other_form", member{"u1", 0}, "Ash", shareDraft, nil)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "not talkbot's") {
		t.Errorf("unknown form: got %s", body)
	}

	longID := strings.Repeat("a", 95)
	r := e.a.formModal(context.Background(), "u1", longID, shareDraft, i18n.EN)
	cid := r.Data.(modalData).CustomID
	if !strings.HasPrefix(cid, "talk_add#") || len(cid) > maxCustomID {
		t.Fatalf("got custom_id %q, want talk_add#<token> within %d characters", cid, maxCustomID)
	}
	if got, ok := e.a.formTarget(context.Background(), cid, "u1"); !ok || got != longID {
		t.Errorf("formTarget(%q, u1) = %q, %v; want the long id", cid, got, ok)
	}
	if _, ok := e.a.formTarget(context.Background(), cid, "u2"); ok {
		t.Errorf("formTarget for another user: want not found")
	}
	e.a.drafts.now = func() time.Time { return time.Now().Add(draftTTL) }
	if _, resp, body := e.do(t, submitJSON("961", cid, member{"u1", 0}, "Ash", shareDraft, nil)); !strings.Contains(resp.Data.text(), "no longer knows which recap") {
		t.Errorf("expired long-id form: got %s", body)
	}
}

// TestDraftsBounded: the kept forms stay within maxKeptDrafts, the oldest
// going first, and expire after draftTTL.
func TestDraftsBounded(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	d := newDrafts(func() time.Time { return now }, nil, nil)
	ctx := context.Background()
	first := d.put(ctx, pending{user: "u1", draft: recaps.Draft{Title: "first"}})
	var last string
	for i := range maxKeptDrafts {
		last = d.put(ctx, pending{user: "u1", draft: recaps.Draft{Title: string(rune('a' + i%26))}})
	}
	if _, ok := d.get(ctx, first, "u1"); ok {
		t.Errorf("the oldest form is still kept past %d", maxKeptDrafts)
	}
	if len(d.m) != maxKeptDrafts || len(d.order) != maxKeptDrafts {
		t.Errorf("got %d kept (%d in order), want %d", len(d.m), len(d.order), maxKeptDrafts)
	}
	if _, ok := d.get(ctx, last, "u1"); !ok {
		t.Errorf("the newest form is gone")
	}
	now = now.Add(draftTTL)
	if _, ok := d.get(ctx, last, "u1"); ok {
		t.Errorf("a form is kept past %v", draftTTL)
	}
	d.put(ctx, pending{user: "u1"}) // drops every expired one
	if len(d.m) != 1 {
		t.Errorf("got %d kept after all expired, want 1", len(d.m))
	}
}

// TestFormInDM: in a DM (a user, no member) the form opens and saves, with
// the user's display name as the author; /talk query:edit without an id
// says which id to give.
func TestFormInDM(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	dm := func(p map[string]any) []byte {
		delete(p, "member")
		delete(p, "guild_id")
		p["user"] = map[string]any{"id": "u9", "username": "kim", "global_name": "Kim Dev"}
		return mustJSON(p)
	}
	var cmd map[string]any
	if err := json.Unmarshal(talkJSON("add"), &cmd); err != nil {
		t.Fatal(err)
	}
	if _, _, body := e.do(t, dm(cmd)); decodeModal(t, body).Data.CustomID != "talk_add" {
		t.Errorf("got %s, want the form", body)
	}
	var sub map[string]any
	if err := json.Unmarshal(submitJSON("970", "talk_add", member{"u9", 0}, "", shareDraft, nil), &sub); err != nil {
		t.Fatal(err)
	}
	if _, resp, body := e.do(t, dm(sub)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "Saved") {
		t.Fatalf("got %s, want the saved recap", body)
	}
	if got := recapsIn(t, st)[0].Talk; got.Author != "Kim Dev" || got.AuthorID != "discord:u9" {
		t.Errorf("got author %q (%s), want Kim Dev (discord:u9)", got.Author, got.AuthorID)
	}
	delete(sub, "user")
	if _, resp, body := e.do(t, mustJSON(sub)); resp.Type != 4 || !strings.Contains(resp.Data.text(), "cannot tell who") || len(recapsIn(t, st)) != 1 {
		t.Errorf("a submit without a user: got %s, want it refused", body)
	}
	if _, resp, body := e.do(t, talkJSON("edit")); resp.Type != 4 || !strings.Contains(resp.Data.text(), "Which recap?") {
		t.Errorf("edit without an id: got %s", body)
	}
}

// TestMalformedSubmit: a modal submit that is not what Discord sends gets
// a clear answer (400, or the form's problems), never a panic.
func TestMalformedSubmit(t *testing.T) {
	b, st := storeBot(t)
	e := newEnv(t, b, Config{})
	row := func(inputs ...any) map[string]any { return map[string]any{"type": 1, "components": inputs} }
	tests := []struct {
		name string
		data any // nil leaves "data" out
		code int
		want string
	}{
		{"no data", nil, http.StatusBadRequest, ""},
		{"data null", "null", http.StatusOK, "not talkbot's"},
		{"no components", map[string]any{"custom_id": "talk_add"}, http.StatusOK, "Summary: Write at least one point"},
		{"row without components", map[string]any{"custom_id": "talk_add", "components": []any{map[string]any{"type": 1}}}, http.StatusOK, "Title: Required."},
		{"input without value", map[string]any{"custom_id": "talk_add", "components": []any{row(map[string]any{"type": 4, "custom_id": "title"})}}, http.StatusOK, "Title: Required."},
		{"unknown input", map[string]any{"custom_id": "talk_add", "components": []any{row(map[string]any{"type": 4, "custom_id": "tags", "value": "x"})}}, http.StatusOK, "Title: Required."},
		{"unknown component type", map[string]any{"custom_id": "talk_add", "components": []any{map[string]any{"type": 99}}}, http.StatusBadRequest, ""},
		{"value not a string", map[string]any{"custom_id": "talk_add", "components": []any{row(map[string]any{"type": 4, "custom_id": "title", "value": 5})}}, http.StatusBadRequest, ""},
		{"no custom id", map[string]any{"components": []any{}}, http.StatusOK, "not talkbot's"},
		{"edit without id", map[string]any{"custom_id": "talk_add:"}, http.StatusOK, "not talkbot's"},
		{"invalid UTF-8", map[string]any{"custom_id": "talk_add", "components": []any{row(map[string]any{"type": 4, "custom_id": "title", "value": "\xff\xfe"})}}, http.StatusOK, "Summary: Write at least one point"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base(5, member{"u1", 0})
			switch d := tt.data.(type) {
			case nil:
			case string:
				p["data"] = json.RawMessage(d)
			default:
				p["data"] = d
			}
			code, resp, body := e.do(t, mustJSON(p))
			if code != tt.code || (tt.want != "" && !strings.Contains(resp.Data.text(), tt.want)) {
				t.Errorf("got %d %s, want %d with %q", code, body, tt.code, tt.want)
			}
		})
	}
	if n := len(recapsIn(t, st)); n != 0 {
		t.Errorf("got %d recaps saved, want none", n)
	}
	// Over the gateway, an event without data is answered, not a panic.
	api := newFakeAPI(t)
	a, _ := gatewayAdapter(t, api, b, Config{})
	a.onInteraction(context.Background(), &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{ID: "990", AppID: testAppID, Type: discordgo.InteractionModalSubmit, Token: "itoken", User: &discordgo.User{ID: "u1"}}})
	c := api.wait(t, http.MethodPost, "/api/v10/interactions/990/itoken/callback")
	if !strings.Contains(string(c.Body), "not talkbot's") {
		t.Errorf("gateway event without data: got %s", c.Body)
	}
}
