package bot

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzHandle parses and answers arbitrary text: no panic, every string of
// the reply valid UTF-8, every button value within MaxActionValue and
// decodable.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{"sharding", "sharding\xff", "샤딩을", "speaker 임문규님", "show x", "deview 2019",
		"subscribe kafka", "random", "\xed\xa0\x80", strings.Repeat("카프카 ", 200), "<!channel> @everyone", "speakers"} {
		f.Add(s, 1)
	}
	b := New(mustCorpus(f), Options{})
	f.Fuzz(func(t *testing.T, text string, page int) {
		cmd := ParseCommand(text)
		if !utf8.ValidString(cmd.Arg) {
			t.Fatalf("ParseCommand(%q).Arg is not valid UTF-8", text)
		}
		rep := b.Handle(context.Background(), Request{Platform: "test", Channel: "C", User: "U", Command: cmd, Page: page % 1000})
		checkReply(t, b, text, rep)
	})
}

// FuzzAction round-trips action values: every argument comes back exactly.
func FuzzAction(f *testing.F) {
	f.Add("sharding", 2)
	f.Add("sharding\xff", 1)
	f.Add(strings.Repeat("샤", 40), 3)
	f.Add("a:b#c", 0)
	b := New(mustCorpus(f), Options{})
	f.Fuzz(func(t *testing.T, arg string, page int) {
		page = max(page%100000, 0)
		for _, k := range []ActionKind{ActionNext, ActionShow, ActionShare} {
			v := b.encodeAction(k, page, arg)
			if len(v) > MaxActionValue {
				t.Fatalf("encodeAction(%q) is %d bytes", arg, len(v))
			}
			p, ok := b.ParseAction(v)
			if !ok || p.Kind != k || p.Page != page || p.Arg != arg {
				t.Fatalf("ParseAction(encodeAction(%s, %d, %q)) = %+v, %v", k, page, arg, p, ok)
			}
		}
	})
}

func checkReply(t *testing.T, b *Bot, text string, rep Reply) {
	t.Helper()
	if rep.Outcome == "" {
		t.Fatalf("reply to %q has no outcome", text)
	}
	strs := []string{rep.Title, rep.TitleURL, rep.Intro, rep.ItemsHeading, rep.Footer}
	for _, f := range rep.Fields {
		strs = append(strs, f.Name, f.Value)
	}
	for _, s := range rep.Sections {
		strs = append(strs, s.Heading, s.Text)
		strs = append(strs, s.Bullets...)
	}
	actions := rep.Actions
	for _, it := range rep.Items {
		strs = append(strs, it.Text, it.Detail)
		if it.Action != nil {
			actions = append(actions, *it.Action)
		}
	}
	for _, l := range rep.Links {
		strs = append(strs, l.Title, l.URL)
	}
	for _, a := range actions {
		strs = append(strs, a.Label, a.Value)
		if len(a.Value) > MaxActionValue {
			t.Fatalf("reply to %q: action value %q over %d bytes", text, a.Value, MaxActionValue)
		}
		if _, ok := b.ParseAction(a.Value); !ok {
			t.Fatalf("reply to %q: action value %q does not parse", text, a.Value)
		}
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Fatalf("reply to %q has invalid UTF-8: %q", text, s)
		}
	}
}
