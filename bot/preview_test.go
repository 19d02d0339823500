package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

// TestPreviewRecordsNothing: a dry run ("talkbot digest --dry-run") shows
// the talk the run would post and leaves the featured history as it was.
func TestPreviewRecordsNothing(t *testing.T) {
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	st := bottest.NewStore()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	b := bot.New(corpus, bot.Options{Store: st, Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2"} {
		rep := b.Handle(ctx, bot.Request{Platform: "slack", Channel: ch, User: "U1", Command: bot.ParseCommand("subscribe"), CanManage: true})
		if rep.Outcome != bot.OutcomeOK {
			t.Fatalf("subscribe %s: %s", ch, rep.Intro)
		}
	}
	d, err := b.NewDigest(bot.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := bot.WeekOf(now, time.UTC)
	preview, err := d.Preview(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if hist, _ := st.Featured(ctx, bot.Scope(nil)); len(hist) != 0 {
		t.Fatalf("Preview recorded a pick: %+v", hist)
	}
	plan, err := d.Plan(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(preview) != 2 || len(plan) != 2 {
		t.Fatalf("got %d previewed and %d planned channels, want 2 each", len(preview), len(plan))
	}
	for i := range plan {
		if preview[i].Talk == nil || plan[i].Talk == nil || preview[i].Talk.ID != plan[i].Talk.ID {
			t.Errorf("channel %s: previewed %v, planned %v; want the same talk", plan[i].Sub.ChannelRef, preview[i].Talk, plan[i].Talk)
		}
	}
	if hist, _ := st.Featured(ctx, bot.Scope(nil)); len(hist) != 1 {
		t.Errorf("Plan recorded %d picks, want 1", len(hist))
	}
}
