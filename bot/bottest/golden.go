package bottest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

// update is the -update flag of every test binary that imports bottest.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden compares got with the golden file testdata/name, or, when the
// tests run with -update, writes got to it first (creating directories).
// A difference fails t and shows both.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it after checking)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// GoldenJSON is Golden for a JSON document: it is compared indented by two
// spaces, one value per line, so that a difference shows as lines.
func GoldenJSON(t testing.TB, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	buf.WriteByte('\n')
	Golden(t, name, buf.Bytes())
}

// GoldenBot returns a bot over the embedded corpus with what makes its
// answers repeatable: the clock stopped at Tuesday 24 November 2026, 10:00
// UTC, a seeded random source and an empty in-memory store.
func GoldenBot(t testing.TB) *bot.Bot {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	return bot.New(c, bot.Options{
		Now:   func() time.Time { return now },
		Rand:  rand.New(rand.NewPCG(1, 2)),
		Store: NewStore(),
	})
}

// Case is one request of the golden tables.
type Case struct {
	Name string // the golden file's base name
	Req  bot.Request
	// Submit, when set, sends this recap form (bot.Bot.Submit) with Req
	// instead of handling Req's command; Edit is the id it edits.
	Submit *recaps.Draft
	Edit   string
}

// GoldenDraft is the recap the golden cases share from chat, and
// GoldenDraftID the id it is saved under.
var GoldenDraft = recaps.Draft{
	Title:      "정산 파이프라인을 다시 만든 이야기",
	TitleEN:    "Rebuilding the settlement pipeline",
	Conference: "우아콘 2023",
	Speakers:   "박정산 (jspark) · 정산플랫폼팀",
	Summary:    "배치 정산을 스트리밍으로 바꿨다\nKafka 토픽을 가맹점 id로 나눴다",
	Lessons:    "멱등 키는 처음부터",
	Tags:       "settlement, 정산",
	Link:       "https://www.youtube.com/watch?v=abc123",
}

// GoldenDraftID is the id GoldenDraft is saved under.
const GoldenDraftID = "woowacon-2023-rebuilding-the-settlement-pipeline"

// Cases are the requests every renderer keeps a golden file of: each
// command of the help text, a conference by name, a second page, no
// results, a usage error and the subscription replies, in the order they
// must run (subscribe before subscriptions before unsubscribe).
func Cases() []Case {
	req := func(text string, page int) bot.Request {
		return bot.Request{Platform: "golden", Team: "T1", Channel: "C1", User: "U1", Command: bot.ParseCommand(text), Page: page, CanManage: true}
	}
	ko := func(text string, page int) bot.Request {
		r := req(text, page)
		r.Lang = i18n.KO
		return r
	}
	edited := GoldenDraft
	edited.Lessons += "\n정산 데이터는 재처리할 수 있게 남겨 두자"
	// Sharing a recap, editing it and removing it, in either language:
	// the form's answers (Submit) and the commands' (Handle).
	contrib := func(r func(string, int) bot.Request, suffix string) []Case {
		return []Case{
			{Name: "add" + suffix, Req: r("add", 1)},
			{Name: "add-saved" + suffix, Req: r("", 1), Submit: &GoldenDraft},
			{Name: "edit" + suffix, Req: r("edit "+GoldenDraftID, 1)},
			{Name: "edit-saved" + suffix, Req: r("", 1), Submit: &edited, Edit: GoldenDraftID},
			{Name: "remove-shipped" + suffix, Req: r("remove deview-2019-sre-fail-fast", 1)},
			{Name: "remove" + suffix, Req: r("remove "+GoldenDraftID, 1)},
		}
	}
	cases := []Case{
		{Name: "sharding", Req: req("sharding", 1)},
		{Name: "sharding-ko", Req: req("샤딩을", 1)},
		{Name: "page2", Req: req("데이터", 2)},
		{Name: "no-results", Req: req("blockchainz", 1)},
		{Name: "speaker", Req: req("speaker Johnny", 1)},
		{Name: "speakers", Req: req("speakers", 1)},
		{Name: "show", Req: req("show woowacon-2023-elasticache-redis-guide", 1)},
		{Name: "random", Req: req("random", 1)},
		{Name: "week", Req: req("week", 1)},
		{Name: "conferences", Req: req("conferences", 1)},
		{Name: "conference", Req: req("deview", 1)},
		{Name: "help", Req: req("help", 1)},
		{Name: "subscribe", Req: req("subscribe kafka", 1)},
		{Name: "subscriptions", Req: req("subscriptions", 1)},
		{Name: "unsubscribe", Req: req("unsubscribe", 1)},
	}
	cases = append(cases, contrib(req, "")...)
	cases = append(cases, []Case{
		// The same answers in Korean (name.ko), asked with the Korean
		// command words where there are some.
		{Name: "sharding.ko", Req: ko("sharding", 1)},
		{Name: "sharding-ko.ko", Req: ko("샤딩을", 1)},
		{Name: "page2.ko", Req: ko("데이터", 2)},
		{Name: "no-results.ko", Req: ko("blockchainz", 1)},
		{Name: "speaker.ko", Req: ko("발표자 Johnny", 1)},
		{Name: "speakers.ko", Req: ko("speakers", 1)},
		{Name: "show.ko", Req: ko("show woowacon-2023-elasticache-redis-guide", 1)},
		{Name: "random.ko", Req: ko("랜덤", 1)},
		{Name: "week.ko", Req: ko("이번주", 1)},
		{Name: "conferences.ko", Req: ko("컨퍼런스", 1)},
		{Name: "conference.ko", Req: ko("deview", 1)},
		{Name: "help.ko", Req: ko("도움말", 1)},
		{Name: "subscribe.ko", Req: ko("구독 kafka", 1)},
		{Name: "subscriptions.ko", Req: ko("구독목록", 1)},
		{Name: "unsubscribe.ko", Req: ko("구독취소", 1)},
	}...)
	return append(cases, contrib(ko, ".ko")...)
}

// Reply is a golden case's answer.
type Reply struct {
	Name  string
	Reply bot.Reply
}

// GoldenReplies runs Cases against a new GoldenBot, in order, and returns
// the answers.
func GoldenReplies(t testing.TB) []Reply {
	t.Helper()
	b := GoldenBot(t)
	var out []Reply
	for _, c := range Cases() {
		if c.Submit != nil {
			rep, errs := b.Submit(context.Background(), bot.Submission{Request: c.Req, Author: "박정산", Draft: *c.Submit, Edit: c.Edit})
			if errs != nil {
				t.Fatalf("%s: the golden recap was refused: %v", c.Name, errs)
			}
			out = append(out, Reply{c.Name, rep})
			continue
		}
		out = append(out, Reply{c.Name, b.Handle(context.Background(), c.Req)})
	}
	return out
}
