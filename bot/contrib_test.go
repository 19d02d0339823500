package bot_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	. "github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

func mustCorpus(t *testing.T) *recaps.Corpus {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newContribBot(t *testing.T, st Store) *Bot {
	t.Helper()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	return New(mustCorpus(t), Options{Store: st, Now: func() time.Time { return now }})
}

var goodDraft = recaps.Draft{
	Title:      "채팅 메시지를 샤딩한 이야기",
	TitleEN:    "How we sharded chat messages",
	Conference: "인프콘 2024",
	Speakers:   "홍길동 (Gildong) · 메시징팀",
	Summary:    "DynamoDB 테이블을 채널 id로 나눴다\n핫 파티션은 쓰기 샤딩으로 풀었다\n코끼리 실험도 했다",
	Lessons:    "파티션 키를 먼저 정하라",
	Tags:       "dynamodb",
}

func ask(t *testing.T, b *Bot, text string) Reply {
	t.Helper()
	return b.Handle(context.Background(), Request{Platform: "slack", Channel: "C1", User: "U2", Command: ParseCommand(text)})
}

// A recap shared from chat is found at once by a word, a Korean word, its
// speaker and its conference, and is marked with its author.
func TestSubmitAndFind(t *testing.T) {
	st := bottest.NewStore()
	b := newContribBot(t, st)
	ctx := context.Background()
	rep, errs := b.Submit(ctx, Submission{Request: Request{Platform: "slack", Channel: "C1", User: "U1"}, Author: "Ash", Draft: goodDraft, Key: "V1"})
	if errs != nil || rep.Outcome != OutcomeOK {
		t.Fatalf("Submit: %v %s %q", errs, rep.Outcome, rep.Intro)
	}
	id := onlyRecap(t, st)
	if !strings.HasPrefix(id, "conf-") || !strings.HasSuffix(id, "-2024-how-we-sharded-chat-messages") || !strings.Contains(rep.Intro, id) || !hasField(rep, "Shared by", "Ash · 2026-12-02") {
		t.Errorf("saved reply: intro %q fields %+v", rep.Intro, rep.Fields)
	}
	for _, q := range []string{"dynamodb", "샤딩", "sharding", "핫 파티션", "speaker Gildong", "홍길동", "인프콘", "인프콘 2024", "show " + id} {
		got := ask(t, b, q)
		if !mentions(got, "채팅 메시지를 샤딩한 이야기") {
			t.Errorf("%q does not find the shared recap: %q %q", q, got.Title, got.Intro)
		}
	}
	// The same submission again (Slack retries) saves nothing new.
	if _, errs := b.Submit(ctx, Submission{Request: Request{Platform: "slack", Channel: "C1", User: "U1"}, Author: "Ash", Draft: goodDraft, Key: "V1"}); errs != nil {
		t.Fatal(errs)
	}
	if cs, _ := st.Recaps(ctx); len(cs) != 1 {
		t.Errorf("a retried submission saved %d recaps, want 1", len(cs))
	}
	// A restarted talkbot finds it again.
	b2 := newContribBot(t, st)
	if err := b2.LoadRecaps(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, b2, "dynamodb"); !mentions(got, "채팅 메시지를 샤딩한 이야기") {
		t.Errorf("after a restart: %q", got.Title)
	}
	// It takes part in the rotation.
	found := false
	for _, c := range b2.Talks() {
		found = found || c.ID == id
	}
	if !found {
		t.Error("the shared recap is not a candidate for the talk of the week")
	}
}

func TestSubmitErrors(t *testing.T) {
	st := bottest.NewStore()
	b := newContribBot(t, st)
	d := goodDraft
	d.Title, d.Summary = "", strings.Repeat("x", recaps.MaxPoint+1)
	rep, errs := b.Submit(context.Background(), Submission{Request: Request{Platform: "slack", User: "U1"}, Draft: d})
	if errs[recaps.FieldTitle] == "" || !strings.Contains(errs[recaps.FieldSummary], "500") || rep.Outcome != "" {
		t.Errorf("got %v, %+v", errs, rep)
	}
	if cs, _ := st.Recaps(context.Background()); len(cs) != 0 {
		t.Error("a refused form was saved")
	}
	noStore := New(mustCorpus(t), Options{})
	if rep, _ := noStore.Submit(context.Background(), Submission{Draft: goodDraft}); rep.Outcome != OutcomeUsage {
		t.Errorf("without a store: %s %q", rep.Outcome, rep.Intro)
	}
}

// A refused form says what to fix in the language of the person who
// sent it, and every problem the recaps package can find has a message in
// both languages.
func TestSubmitErrorsInTheUsersLanguage(t *testing.T) {
	b := newContribBot(t, bottest.NewStore())
	d := goodDraft
	d.Title, d.Summary, d.Link = "", strings.Repeat("x", recaps.MaxPoint+1), "ftp://x"
	for _, tt := range []struct {
		lang                 i18n.Lang
		title, summary, link string
	}{
		{i18n.KO, "필수 항목입니다.", "1번째 항목이 너무 깁니다: 항목마다 최대 500자입니다.", "http(s) URL을 넣어 주세요. 예: https://www.youtube.com/watch?v=…"},
		{i18n.EN, "Required.", "Point 1 is too long: at most 500 characters a point.", "Give an http(s) URL, such as https://www.youtube.com/watch?v=…"},
	} {
		_, errs := b.Submit(context.Background(), Submission{Request: Request{Platform: "slack", User: "U1", Lang: tt.lang}, Draft: d})
		want := recaps.FieldErrors{recaps.FieldTitle: tt.title, recaps.FieldSummary: tt.summary, recaps.FieldLink: tt.link}
		if !reflect.DeepEqual(errs, want) {
			t.Errorf("%s: got %v, want %v", tt.lang, errs, want)
		}
	}
	for _, k := range recaps.ProblemKeys {
		for _, l := range i18n.Langs {
			if key := "form_err_" + k; i18n.T(l, key) == key {
				t.Errorf("%s: no message for %s", l, key)
			}
		}
	}
}

// Edit and remove: the author yes, a stranger no, an admin yes; shipped
// recaps are not editable from chat.
func TestEditAndRemove(t *testing.T) {
	st := bottest.NewStore()
	b := newContribBot(t, st)
	ctx := context.Background()
	author := Request{Platform: "slack", Channel: "C1", User: "U1"}
	stranger := Request{Platform: "slack", Channel: "C1", User: "U9"}
	admin := Request{Platform: "slack", Channel: "C1", User: "U8", CanManage: true}
	b.Submit(ctx, Submission{Request: author, Author: "Ash", Draft: goodDraft, Key: "K0"})
	id := onlyRecap(t, st)

	with := func(r Request, text string) Request { r.Command = ParseCommand(text); return r }
	f, rep := b.Form(ctx, with(author, "edit "+id))
	if rep != nil || f.Edit != id || f.Draft.Conference != "인프콘 2024" || !strings.Contains(f.Draft.Speakers, "Gildong") {
		t.Fatalf("Form(edit) for the author: %+v, %v", f, rep)
	}
	if _, rep := b.Form(ctx, with(stranger, "edit "+id)); rep == nil || rep.Outcome != OutcomeForbidden {
		t.Errorf("Form(edit) for a stranger: %v, want a refusal", rep)
	}
	if _, rep := b.Form(ctx, with(author, "edit daangn-2024-search-sharding")); rep == nil || !strings.Contains(rep.Intro, "ships with talkbot") {
		t.Errorf("Form(edit) of a shipped recap: %v", rep)
	}
	// A refusal speaks the language of the request.
	ko := with(stranger, "edit "+id)
	ko.Lang = i18n.KO
	if _, rep := b.Form(ctx, ko); rep == nil || rep.Lang != i18n.KO || !strings.Contains(rep.Intro, "공유한") {
		t.Errorf("Form(edit) for a stranger, in Korean: %+v", rep)
	}
	if f.Draft.Tags != "dynamodb" {
		t.Errorf("Form(edit) tags %q, want only the author's (dynamodb)", f.Draft.Tags)
	}
	f.Draft.Summary = "Kafka로 옮겼다"
	if rep, errs := b.Submit(ctx, Submission{Request: author, Draft: f.Draft, Edit: f.Edit}); errs != nil || !strings.HasPrefix(rep.Intro, "Updated") {
		t.Fatalf("edit: %v %q", errs, rep.Intro)
	}
	if got := ask(t, b, "kafka"); !mentions(got, "채팅 메시지를 샤딩한 이야기") {
		t.Error("the edited text is not searchable")
	}
	if got := ask(t, b, "코끼리"); mentions(got, "채팅 메시지를 샤딩한 이야기") {
		t.Error("the text the edit removed is still found")
	}
	if got := ask(t, b, "show "+id); !strings.Contains(got.Footer, "kafka") || strings.Contains(got.Footer, "partitioning") && !strings.Contains(f.Draft.Lessons, "파티션") {
		t.Errorf("tags after the edit: %q", got.Footer)
	}
	// A late retry of the first submission, after the edit, saves nothing.
	b.Submit(ctx, Submission{Request: author, Author: "Ash", Draft: goodDraft, Key: "K0"})
	if got := onlyRecap(t, st); got != id {
		t.Fatalf("after a late retry: %s", got)
	}
	if rep := b.Handle(ctx, with(stranger, "remove "+id)); rep.Outcome != OutcomeForbidden {
		t.Errorf("remove by a stranger: %s %q", rep.Outcome, rep.Intro)
	}
	if rep := b.Handle(ctx, with(admin, "remove "+id)); rep.Outcome != OutcomeOK {
		t.Errorf("remove by an admin: %s %q", rep.Outcome, rep.Intro)
	}
	if got := ask(t, b, "show "+id); got.Outcome != OutcomeNoResults {
		t.Errorf("after remove: %s", got.Outcome)
	}
	if cs, _ := st.Recaps(ctx); len(cs) != 0 {
		t.Errorf("store still has %d recaps", len(cs))
	}
}

// A conference named as users type it resolves to the known one; another
// name creates a conference, with its year.
func TestResolveConference(t *testing.T) {
	b := newContribBot(t, bottest.NewStore())
	for i, name := range []string{"deview 2019", "DEVIEW", "데뷰 2019", "deview-2019"} {
		d := goodDraft
		d.Conference, d.TitleEN = name, "Talk number "+string(rune('a'+i))
		rep, errs := b.Submit(context.Background(), Submission{Request: Request{Platform: "slack", User: "U1"}, Draft: d})
		if errs != nil || !hasField(rep, "Conference", "DEVIEW 2019") {
			t.Errorf("conference %q: %v %+v", name, errs, rep.Fields)
		}
	}
	d := goodDraft
	d.Conference = "deview 2031"
	rep, _ := b.Submit(context.Background(), Submission{Request: Request{Platform: "slack", User: "U1"}, Draft: d})
	if !hasField(rep, "Conference", "deview 2031") {
		t.Errorf("a new conference: %+v", rep.Fields)
	}
	if got := ask(t, b, "2031"); got.Outcome != OutcomeOK {
		t.Errorf("talk 2031: %s %q", got.Outcome, got.Intro)
	}
}

// onlyRecap returns the id of the one recap in st.
func onlyRecap(t *testing.T, st Store) string {
	t.Helper()
	cs, err := st.Recaps(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("store has %d recaps (%v), want 1", len(cs), err)
	}
	return cs[0].Talk.ID
}

func hasField(r Reply, name, value string) bool {
	for _, f := range r.Fields {
		if f.Name == name && f.Value == value {
			return true
		}
	}
	return false
}

func mentions(r Reply, s string) bool {
	if strings.Contains(r.Title, s) {
		return true
	}
	for _, it := range r.Items {
		if strings.Contains(it.Text, s) {
			return true
		}
	}
	return false
}

// A button whose argument was too long for its value works on another
// Bot over the same store (another replica, or this one after a restart):
// the Bot that answered kept the argument there. Without it in the store,
// the button still asks to run the command again.
func TestLongButtonsAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	c := mustCorpus(t)
	st := bottest.NewStore()
	first := New(c, Options{Store: st})
	q := strings.Repeat("데이터 서버 ", 12) // 192 bytes: longer than a button value
	rep := first.Handle(ctx, Request{Platform: "test", Command: ParseCommand(q)})
	var next, share string
	for _, a := range rep.Actions {
		switch a.Kind {
		case ActionNext:
			next = a.Value
		case ActionShare:
			share = a.Value
		}
	}
	if !strings.Contains(next, "#") || !strings.Contains(share, "#") {
		t.Fatalf("actions %+v: want Next results and Share with keys", rep.Actions)
	}
	for _, v := range []string{next, share} {
		other := New(c, Options{Store: st})
		p, ok := other.ParseAction(v)
		if !ok || !p.Forgotten {
			t.Fatalf("ParseAction(%q) on the other replica = %+v, %v; want an argument it does not remember", v, p, ok)
		}
		cmd, page := p.Request()
		got := other.Handle(ctx, Request{Platform: "test", Command: cmd, Page: page})
		q, _ := first.ParseAction(v)
		cmd, page = q.Request()
		want := first.Handle(ctx, Request{Platform: "test", Command: cmd, Page: page})
		if got.Outcome != OutcomeOK || !reflect.DeepEqual(got, want) {
			t.Errorf("%s on the other replica: got %s %q, want the answer of the replica that made it, %s %q", p.Kind, got.Outcome, got.Title, want.Outcome, want.Title)
		}
		if p.Kind == ActionShare && !p.Public(got) {
			t.Error("a recalled share is not posted publicly")
		}
	}
	// Not in the store: a Bot over another store asks to run it again.
	p, _ := New(c, Options{Store: bottest.NewStore()}).ParseAction(next)
	cmd, page := p.Request()
	if got := New(c, Options{Store: bottest.NewStore()}).Handle(ctx, Request{Platform: "test", Command: cmd, Page: page}); got.Outcome != OutcomeUsage || !strings.Contains(got.Intro, "run the command again") {
		t.Errorf("a key no store holds: got %s %q, want the request to run the command again", got.Outcome, got.Intro)
	}
}

// Edit or remove without an id says how to give one, with the command
// word of the answer's language.
func TestEditWithoutIDNamesTheCommand(t *testing.T) {
	b := newContribBot(t, bottest.NewStore())
	for _, tt := range []struct {
		lang       i18n.Lang
		text, want string
	}{
		{i18n.EN, "remove", "talk remove <id>"},
		{i18n.KO, "삭제", "talk 삭제 <id>"},
		{i18n.KO, "edit", "talk 수정 <id>"},
	} {
		rep := b.Handle(context.Background(), Request{Platform: "slack", User: "U1", Command: ParseCommand(tt.text), Lang: tt.lang})
		if rep.Outcome != OutcomeUsage || !strings.Contains(rep.Intro, tt.want) {
			t.Errorf("%s %q: got %s %q, want %q in it", tt.lang, tt.text, rep.Outcome, rep.Intro, tt.want)
		}
	}
}
