package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestImportIdempotentAndDatabaseWins(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	c1 := bot.ChannelRef{Platform: "slack", Team: "T1", Channel: "C1"}
	c2 := bot.ChannelRef{Platform: "discord", Channel: "9"}

	// The database already holds a newer subscription of c1, week 5's
	// talk, and a completed delivery to c1 in week 5.
	live := bot.Subscription{ChannelRef: c1, Topics: []string{"kafka"}, Since: t0, Updated: t0.Add(time.Hour)}
	if err := db.PutSubscription(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Feature(ctx, "", 5, "live-talk"); err != nil {
		t.Fatal(err)
	}
	done := bot.Delivery{Week: 5, Channel: c1, TalkID: "live-talk", MessageID: "m1", At: t0}
	if err := db.MarkDelivered(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkDelivered(ctx, bot.Delivery{Week: 6, Channel: c2, TalkID: "x", Pending: true, At: t0}); err != nil {
		t.Fatal(err)
	}

	subs := []bot.Subscription{
		{ChannelRef: c1, Since: t0, Updated: t0}, // older than live: kept
		{ChannelRef: c2, Topics: []string{"go"}, Since: t0, Updated: t0},
	}
	featured := map[string][]bot.Feature{"": {{Week: 4, TalkID: "a"}, {Week: 5, TalkID: "old-talk"}}, "go": {{Week: 5, TalkID: "g"}}}
	ledger := []bot.Delivery{
		{Week: 5, Channel: c1, TalkID: "old-talk", Pending: true, At: t0}, // pending over done: kept
		{Week: 6, Channel: c2, TalkID: "x", MessageID: "m2", At: t0},      // done over pending: copied
		{Week: 4, Channel: c1, TalkID: "a", MessageID: "m0", At: t0},
	}
	got, err := db.Import(ctx, subs, featured, ledger)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := Imported{}
	want.Subscriptions.Copied, want.Subscriptions.Kept = 1, 1
	want.Featured.Copied, want.Featured.Kept = 2, 1
	want.Deliveries.Copied, want.Deliveries.Kept = 2, 1
	if got != want {
		t.Errorf("first import: got %+v, want %+v", got, want)
	}
	again, err := db.Import(ctx, subs, featured, ledger)
	if err != nil {
		t.Fatalf("second Import: %v", err)
	}
	want = Imported{}
	want.Subscriptions.Kept, want.Featured.Kept, want.Deliveries.Kept = 2, 3, 3
	if again != want {
		t.Errorf("second import: got %+v, want %+v", again, want)
	}

	if s, err := db.Subscription(ctx, c1); err != nil || !reflect.DeepEqual(s, live) {
		t.Errorf("c1: got %+v, %v, want the live one %+v", s, err, live)
	}
	if d, err := db.Delivered(ctx, 5, c1); err != nil || !reflect.DeepEqual(d, done) {
		t.Errorf("week 5 c1: got %+v, %v, want %+v", d, err, done)
	}
	if d, err := db.Delivered(ctx, 6, c2); err != nil || d.Pending || d.MessageID != "m2" {
		t.Errorf("week 6 c2: got %+v, %v, want the completed import", d, err)
	}
	if id, err := db.Feature(ctx, "", 5, "z"); err != nil || id != "live-talk" {
		t.Errorf("week 5: got %v, %v, want live-talk", id, err)
	}

	var out bytes.Buffer
	if err := db.Check(ctx, &out); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if want := fmt.Sprintf("subscriptions: 2 (paused: 0)\nfeatured weeks: 3\ndeliveries: 3\nrecaps: 0\nschema: %d\n", currentVersion()); out.String() != want {
		t.Errorf("Check: got %q, want %q", &out, want)
	}
}

func TestImportRefusesBadInputWritingNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	subs := []bot.Subscription{{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C1"}}}
	ledger := []bot.Delivery{{Week: -1, Channel: bot.ChannelRef{Platform: "slack", Channel: "C1"}, TalkID: "a"}}
	if _, err := db.Import(ctx, subs, nil, ledger); err == nil {
		t.Fatal("Import with a negative week: got nil error")
	}
	if got, err := db.Subscriptions(ctx); err != nil || len(got) != 0 {
		t.Errorf("after a refused import: got %v, %v, want none", got, err)
	}
}

func TestPutSubscriptionsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	ok := bot.Subscription{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C1"}, Since: t0, Updated: t0}
	if err := db.PutSubscriptions(ctx, []bot.Subscription{ok, {}}); err == nil {
		t.Error("PutSubscriptions with an empty channel: got nil error")
	}
	if _, err := db.Subscription(ctx, ok.ChannelRef); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("after a refused batch: got %v, want ErrNotFound", err)
	}
	if err := db.PutSubscriptions(ctx, []bot.Subscription{ok}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Subscription(ctx, ok.ChannelRef); err != nil || !reflect.DeepEqual(got, ok) {
		t.Errorf("got %+v, %v, want %+v", got, err, ok)
	}
}

func TestMarkDeliveries(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	ch := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	ds := []bot.Delivery{
		{Week: 1, Channel: ch, TalkID: "a", At: t0, Pending: true},
		{Week: 2, Channel: ch, TalkID: "b", At: t0},
		{Week: 1, Channel: ch, TalkID: "a", MessageID: "m", At: t0}, // later in the batch: wins
	}
	if err := db.MarkDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	for _, want := range ds[1:] {
		if got, err := db.Delivered(ctx, want.Week, ch); err != nil || got != want {
			t.Errorf("got %+v, %v, want %+v", got, err, want)
		}
	}
	bad := []bot.Delivery{{Week: 3, Channel: ch, TalkID: "c"}, {Week: -1, Channel: ch}}
	if err := db.MarkDeliveries(ctx, bad); err == nil {
		t.Error("MarkDeliveries with a negative week: got nil error")
	}
	if _, err := db.Delivered(ctx, 3, ch); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("after a refused batch: got %v, want ErrNotFound", err)
	}
}
