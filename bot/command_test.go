package bot

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/recaps"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{"", Command{Verb: VerbHelp}},
		{"   ", Command{Verb: VerbHelp}},
		{"help", Command{Verb: VerbHelp, Args: []string{}}},
		{"HELP", Command{Verb: VerbHelp, Args: []string{}}},
		{"sharding", Command{Verb: VerbSearch, Arg: "sharding", Args: []string{"sharding"}}},
		{"  event   driven ", Command{Verb: VerbSearch, Arg: "event driven", Args: []string{"event", "driven"}}},
		{"talk sharding", Command{Verb: VerbSearch, Arg: "sharding", Args: []string{"sharding"}}},
		{"/talk 샤딩", Command{Verb: VerbSearch, Arg: "샤딩", Args: []string{"샤딩"}}},
		{"speaker Johnny", Command{Verb: VerbSpeaker, Arg: "Johnny", Args: []string{"Johnny"}}},
		{"speaker 임 문규", Command{Verb: VerbSpeaker, Arg: "임 문규", Args: []string{"임", "문규"}}},
		{"speaker", Command{Verb: VerbSpeaker, Arg: "", Args: []string{}}},
		{"show deview-2019-sre-fail-fast", Command{Verb: VerbShow, Arg: "deview-2019-sre-fail-fast", Args: []string{"deview-2019-sre-fail-fast"}}},
		{"random", Command{Verb: VerbRandom, Args: []string{}}},
		{"random forest", Command{Verb: VerbSearch, Arg: "random forest", Args: []string{"random", "forest"}}},
		{"week", Command{Verb: VerbWeek, Args: []string{}}},
		{"conferences", Command{Verb: VerbConferences, Args: []string{}}},
		{"subscribe", Command{Verb: VerbSubscribe, Args: []string{}}},
		{"subscribe kafka 샤딩", Command{Verb: VerbSubscribe, Arg: "kafka 샤딩", Args: []string{"kafka", "샤딩"}}},
		{"unsubscribe", Command{Verb: VerbUnsubscribe, Args: []string{}}},
		{"subscriptions", Command{Verb: VerbSubscriptions, Args: []string{}}},
		{"<!channel>", Command{Verb: VerbSearch, Arg: "<!channel>", Args: []string{"<!channel>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := ParseCommand(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand(%q) = %#v, want %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestActionRoundTrip(t *testing.T) {
	b := New(&recaps.Corpus{}, Options{})
	long := strings.Repeat("샤", 60)
	tests := []struct {
		kind ActionKind
		page int
		arg  string
	}{
		{ActionNext, 2, "sharding"},
		{ActionShow, 0, "daangn-2024-chat-sharding"},
		{ActionShare, 1, "speaker 임문규"},
		{ActionNext, 3, long},
		{ActionShare, 1, "#kafka"},
		{ActionShare, 1, "a:b#c"},
		{ActionNext, 2, strings.Repeat("x", MaxActionValue-3)},
		{ActionNext, 2, strings.Repeat("x", MaxActionValue-2)},
	}
	for _, tt := range tests {
		v := b.encodeAction(tt.kind, tt.page, tt.arg)
		if len(v) > MaxActionValue {
			t.Errorf("encodeAction(%s, %q) is %d bytes, want at most %d", tt.kind, tt.arg, len(v), MaxActionValue)
		}
		p, ok := b.ParseAction(v)
		if !ok || p.Kind != tt.kind || p.Page != tt.page || p.Forgotten {
			t.Errorf("ParseAction(%q) = %+v, %v; want kind %s page %d", v, p, ok, tt.kind, tt.page)
		}
		if p.Arg != tt.arg {
			t.Errorf("ParseAction(%q).Arg = %q, want %q", v, p.Arg, tt.arg)
		}
	}
	for _, bad := range []string{"", "x", "q1:abc", "n-1:abc", "nx:abc", "sharding", "#abc", ":abc"} {
		if _, ok := b.ParseAction(bad); ok {
			t.Errorf("ParseAction(%q) ok, want rejected", bad)
		}
	}
}

// A button whose argument did not fit its value and that another Bot (a
// restarted one) receives is answered with a request to ask again, never
// with another answer.
func TestActionForgotten(t *testing.T) {
	c := mustCorpus(t)
	q := strings.Repeat("카프카 샤딩 ", 20)
	v := New(c, Options{}).encodeAction(ActionShare, 1, q)
	b := New(c, Options{})
	p, ok := b.ParseAction(v)
	if !ok || !p.Forgotten {
		t.Fatalf("ParseAction(%q) = %+v, %v; want a forgotten argument", v, p, ok)
	}
	cmd, page := p.Request()
	rep := b.Handle(context.Background(), Request{Platform: "test", Command: cmd, Page: page})
	if rep.Outcome != OutcomeUsage || !strings.Contains(rep.Intro, "run the command again") {
		t.Errorf("forgotten button: got %s %q, want a usage reply asking to run the command again", rep.Outcome, rep.Intro)
	}
}

func TestPublicReply(t *testing.T) {
	share := Action{Kind: ActionShare, Label: "Share to channel", Value: "x1:q"}
	next := Action{Kind: ActionNext, Label: "Next results", Value: "n2:q"}
	r := Reply{Actions: []Action{next, share}, Items: []Item{{Text: "a", Action: &share}, {Text: "b", Action: &next}}, Outcome: OutcomeOK}
	p := r.Public()
	if len(p.Actions) != 1 || p.Actions[0].Kind != ActionNext {
		t.Errorf("public actions: got %+v, want only Next results", p.Actions)
	}
	if p.Items[0].Action != nil || p.Items[1].Action == nil {
		t.Errorf("public items: got %+v, want the share dropped and the rest kept", p.Items)
	}
	if len(r.Actions) != 2 || r.Items[0].Action == nil {
		t.Error("Public modified the original reply")
	}
	pa := ParsedAction{Kind: ActionShare}
	if !pa.Public(r) || pa.Public(Reply{Outcome: OutcomeError}) || (ParsedAction{Kind: ActionNext}).Public(r) {
		t.Error("ParsedAction.Public: want true only for a share answered OK")
	}
}
