package bot

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot/i18n"
)

// Every verb has exactly one row, every row a help line, and the help
// reply lists each of them: adding a verb is one row of the table.
func TestCommandTable(t *testing.T) {
	verbs := []Verb{VerbSearch, VerbSpeaker, VerbShow, VerbRandom, VerbWeek, VerbConferences, VerbHelp, VerbSubscribe, VerbUnsubscribe, VerbSubscriptions}
	b := New(mustCorpus(t), Options{})
	help := handle(t, b, "help", 1)
	for _, v := range verbs {
		n := 0
		for _, c := range commands {
			if c.verb == v {
				n++
				if c.help == "" || !slices.Contains(help.Sections[0].Bullets, i18n.T(i18n.EN, c.help)) {
					t.Errorf("verb %s: help line %q missing from the help reply", v, c.help)
				}
				for _, name := range c.names {
					if got := ParseCommand(name).Verb; got != v {
						t.Errorf("ParseCommand(%q).Verb = %s, want %s", name, got, v)
					}
				}
			}
		}
		if n != 1 {
			t.Errorf("verb %s has %d rows, want 1", v, n)
		}
	}
	tests := []struct {
		text         string
		slow, manage bool
	}{
		{"sharding", false, false},
		{"speaker Johnny", false, false},
		{"week", true, false},
		{"subscribe kafka", true, true},
		{"구독 kafka", true, true},
		{"unsubscribe", true, true},
		{"구독취소", true, true},
		{"subscriptions", true, false},
		{"구독목록", true, false},
		{"help", false, false},
	}
	for _, tt := range tests {
		c := ParseCommand(tt.text)
		if c.Slow() != tt.slow || c.NeedsManage() != tt.manage {
			t.Errorf("ParseCommand(%q): Slow %v NeedsManage %v, want %v %v", tt.text, c.Slow(), c.NeedsManage(), tt.slow, tt.manage)
		}
	}
}

// Invalid UTF-8 used to panic in encodeAction (issue 11.1): a byte that
// range reports as one byte wide was stepped over as three.
func TestInvalidUTF8(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	for _, text := range []string{"sharding\xff", "\xff", "샤딩\xed\xa0\x80", "speaker \xff\xfe", "show \xc3", strings.Repeat("샤\xff", 40)} {
		rep := handle(t, b, text, 1)
		checkReply(t, b, text, rep)
	}
	if got := handle(t, b, "sharding\xff", 1); got.Outcome != OutcomeOK {
		t.Errorf("sharding\\xff: outcome %s, want ok (the bad byte is replaced)", got.Outcome)
	}
}

// A huge query is read up to MaxQuery characters, answered, and the answer
// says that the rest was ignored (issue 11.5).
func TestHugeQuery(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	text := "sharding " + strings.Repeat("deview 우아콘 ", 20000)
	cmd := ParseCommand(text)
	if !cmd.Cut || utf8.RuneCountInString(cmd.Arg) > MaxQuery {
		t.Fatalf("ParseCommand: Cut %v, %d characters; want cut to %d", cmd.Cut, utf8.RuneCountInString(cmd.Arg), MaxQuery)
	}
	rep := handle(t, b, text, 1)
	if !strings.Contains(rep.Footer, "first 500 characters") {
		t.Errorf("footer %q does not say the query was cut", rep.Footer)
	}
	if short := handle(t, b, "sharding", 1); strings.Contains(short.Footer, "characters") {
		t.Errorf("a short query's footer %q mentions a cut", short.Footer)
	}
}

// BenchmarkHugeQuery measures a MaxQuery-long query made of conference
// names, the worst case of the conference lookup (once quadratic).
func BenchmarkHugeQuery(b *testing.B) {
	bt := New(mustCorpus(b), Options{})
	r := Request{Platform: "test", Command: ParseCommand(strings.Repeat("deview 우아콘 당근 테크 밋업 ", 200))}
	for b.Loop() {
		bt.Handle(context.Background(), r)
	}
}

// A button reproduces exactly the answer it belongs to, even when its
// query is longer than a button value holds (issue 11.12).
func TestButtonsReproduceTheirAnswer(t *testing.T) {
	b := New(mustCorpus(t), Options{PageSize: 2})
	for _, q := range []string{
		"sharding",
		"이벤트 기반 아키텍처에서 메시지를 안정적으로 처리하는 방법 카프카 샤딩",
		strings.Repeat("kafka ", 14) + "카프카 샤딩",
		"speaker Johnny",
	} {
		rep := handle(t, b, q, 1)
		for _, a := range rep.Actions {
			if a.Kind != ActionShare && a.Kind != ActionNext {
				continue
			}
			p, ok := b.ParseAction(a.Value)
			if !ok {
				t.Fatalf("%q: action %q does not parse", q, a.Value)
			}
			cmd, page := p.Request()
			got := b.Handle(context.Background(), Request{Platform: "test", Channel: "C1", User: "U1", Command: cmd, Page: page})
			want := handle(t, b, q, page)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q: the %s button answers %q (%d items), want %q (%d items)", q, a.Kind, got.Intro, len(got.Items), want.Intro, len(want.Items))
			}
		}
	}
}

func TestSpeakers(t *testing.T) {
	b := New(mustCorpus(t), Options{})
	all := handle(t, b, "speakers", 1)
	if all.Outcome != OutcomeOK || len(all.Items) == 0 || !strings.Contains(all.Intro, "speakers") {
		t.Fatalf("talk speakers: got %s %q with %d items", all.Outcome, all.Intro, len(all.Items))
	}
	found := false
	for p := 1; ; p++ {
		rep := handle(t, b, "speakers", p)
		for _, it := range rep.Items {
			found = found || strings.Contains(it.Text, "임문규 (Johnny)")
		}
		if actionOf(rep, ActionNext) == nil {
			break
		}
	}
	if !found {
		t.Error("talk speakers does not list 임문규 (Johnny)")
	}
	miss := handle(t, b, "speaker Jonny", 1)
	if miss.Outcome != OutcomeNoResults || len(miss.Sections) == 0 || !slices.Contains(miss.Sections[0].Bullets, "Johnny") {
		t.Errorf("speaker Jonny: got %+v, want Johnny suggested", miss.Sections)
	}
	none := handle(t, b, "speaker zzzzzzzzzzzz", 1)
	if len(none.Sections) == 0 || none.Sections[0].Heading != "Speakers" {
		t.Errorf("speaker zzzzzzzzzzzz: got sections %+v, want speakers listed, not tags", none.Sections)
	}
}

// Replies are read-only and share their slices with the Bot's caches; a
// Clone is the caller's to change, and changing it leaves the next answer
// as it was (issue 10.4).
func TestReplyClone(t *testing.T) {
	b := New(mustCorpus(t), Options{Now: func() time.Time { return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) }})
	for _, q := range []string{"sharding", "speaker andrew", "deview", "conferences", "help"} {
		want := handle(t, b, q, 1)
		c := handle(t, b, q, 1).Clone()
		for i := range c.Fields {
			c.Fields[i].Value = "changed"
		}
		for i := range c.Sections {
			c.Sections[i].Heading = "changed"
			for j := range c.Sections[i].Bullets {
				c.Sections[i].Bullets[j] = "changed"
			}
		}
		for i := range c.Items {
			c.Items[i].Text = "changed"
			if c.Items[i].Action != nil {
				c.Items[i].Action.Label = "changed"
			}
		}
		for i := range c.Links {
			c.Links[i].URL = "changed"
		}
		for i := range c.Actions {
			c.Actions[i].Value = "changed"
		}
		if got := handle(t, b, q, 1); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: changing a Clone changed the next answer", q)
		}
	}
}

// BenchmarkReplyClone measures what copying every reply on hand-out would
// cost, against handing out the shared, read-only reply.
func BenchmarkReplyClone(b *testing.B) {
	bt := New(mustCorpus(b), Options{})
	r := Request{Platform: "test", Command: ParseCommand("sharding")}
	b.Run("shared", func(b *testing.B) {
		for b.Loop() {
			bt.Handle(context.Background(), r)
		}
	})
	b.Run("cloned", func(b *testing.B) {
		for b.Loop() {
			_ = bt.Handle(context.Background(), r).Clone()
		}
	})
}
