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
}

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
	return []Case{
		{"sharding", req("sharding", 1)},
		{"sharding-ko", req("샤딩을", 1)},
		{"page2", req("데이터", 2)},
		{"no-results", req("blockchainz", 1)},
		{"speaker", req("speaker Johnny", 1)},
		{"speakers", req("speakers", 1)},
		{"show", req("show woowacon-2023-elasticache-redis-guide", 1)},
		{"random", req("random", 1)},
		{"week", req("week", 1)},
		{"conferences", req("conferences", 1)},
		{"conference", req("deview", 1)},
		{"help", req("help", 1)},
		{"subscribe", req("subscribe kafka", 1)},
		{"subscriptions", req("subscriptions", 1)},
		{"unsubscribe", req("unsubscribe", 1)},
		// The same answers in Korean (name.ko), asked with the Korean
		// command words where there are some.
		{"sharding.ko", ko("sharding", 1)},
		{"sharding-ko.ko", ko("샤딩을", 1)},
		{"page2.ko", ko("데이터", 2)},
		{"no-results.ko", ko("blockchainz", 1)},
		{"speaker.ko", ko("발표자 Johnny", 1)},
		{"speakers.ko", ko("speakers", 1)},
		{"show.ko", ko("show woowacon-2023-elasticache-redis-guide", 1)},
		{"random.ko", ko("랜덤", 1)},
		{"week.ko", ko("이번주", 1)},
		{"conferences.ko", ko("컨퍼런스", 1)},
		{"conference.ko", ko("deview", 1)},
		{"help.ko", ko("도움말", 1)},
		{"subscribe.ko", ko("구독 kafka", 1)},
		{"subscriptions.ko", ko("구독목록", 1)},
		{"unsubscribe.ko", ko("구독취소", 1)},
	}
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
		out = append(out, Reply{c.Name, b.Handle(context.Background(), c.Req)})
	}
	return out
}
