package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

func newBot(t testing.TB) *bot.Bot { return bottest.GoldenBot(t) }

// TestRenderGolden renders every golden reply (bottest.Cases) as the
// terminal shows it.
func TestRenderGolden(t *testing.T) {
	hint := CLIHint(newBot(t)) // the cases' button values need no bot state
	for _, r := range bottest.GoldenReplies(t) {
		t.Run(r.Name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Render(&out, r.Reply, hint); err != nil {
				t.Fatal(err)
			}
			bottest.Golden(t, r.Name+".txt", out.Bytes())
		})
	}
}

func TestREPL(t *testing.T) {
	b := newBot(t)
	in := strings.NewReader("데이터\nnext\n\nshow deview-2019-sre-fail-fast\nnext\nquit\nsharding\n")
	var out bytes.Buffer
	if err := REPL(context.Background(), b, in, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"Best of 12 talks for “데이터”",
		"Results for “데이터”, page 2",
		"Fail Fast, Learn Faster SRE",
		"There is nothing to page through",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("REPL output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Best of 3 talks for “sharding”") {
		t.Error("REPL answered a line after quit")
	}
	bottest.Golden(t, "repl.txt", out.Bytes())
}

func TestREPLEndsAtEOF(t *testing.T) {
	var out bytes.Buffer
	if err := REPL(context.Background(), newBot(t), strings.NewReader("help"), &out); err != nil {
		t.Fatalf("REPL at EOF: got %v, want nil", err)
	}
	if !strings.Contains(out.String(), "talk speaker") {
		t.Errorf("REPL did not answer the last line without a newline:\n%s", out.String())
	}
}

// The console speaks its language (--lang, else the locale): the greeting,
// "nothing to page through", and the Korean words for next and quit.
func TestREPLKorean(t *testing.T) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(c, bot.Options{Lang: i18n.KO})
	var out bytes.Buffer
	if err := REPL(context.Background(), b, strings.NewReader("다음\n샤딩\n다음\n종료\nsharding\n"), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{i18n.T(i18n.KO, "console_greeting"), i18n.T(i18n.KO, "console_nothing_next"), "“샤딩”에 대한 발표"} {
		if !strings.Contains(got, want) {
			t.Errorf("REPL output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "“sharding”") {
		t.Error("REPL answered a line after 종료")
	}
}
