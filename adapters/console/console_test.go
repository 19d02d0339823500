package console

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func newBot(t *testing.T) *bot.Bot {
	t.Helper()
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }
	return bot.New(c, bot.Options{Now: now, Rand: rand.New(rand.NewPCG(1, 2))})
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	b := newBot(t)
	tests := []struct {
		name string
		text string
		page int
	}{
		{"sharding", "sharding", 1},
		{"sharding-ko", "샤딩을", 1},
		{"speaker", "Johnny", 1},
		{"show", "show woowacon-2023-elasticache-redis-guide", 1},
		{"conference", "deview", 1},
		{"conferences", "conferences", 1},
		{"page2", "데이터", 2},
		{"no-results", "blockchainz", 1},
		{"help", "help", 1},
		{"week", "week", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			rep := b.Handle(context.Background(), bot.Request{Platform: "console", Command: bot.ParseCommand(tt.text), Page: tt.page})
			if err := Render(&out, rep, CLIHint(b)); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt", out.Bytes())
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
	golden(t, "repl.txt", out.Bytes())
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
