// Package storetest is the contract suite of bot.Store: every
// implementation (bbolt, PostgreSQL, the in-memory fake) runs Run and must
// pass it, so the backends cannot drift apart.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

// Open returns an empty store for one test. It registers its own cleanup
// (t.Cleanup) and fails the test itself when the store cannot be opened.
// Run calls it once per subtest, from parallel subtests, so it must be safe
// for concurrent use; each call returns a store that shares nothing with
// the others.
type Open func(t *testing.T) bot.Store

// Run runs the contract suite against the stores open returns. Times are
// whole seconds in UTC, which every backend keeps exactly.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s bot.Store)
	}{
		{"SubscriptionRoundTrip", testSubscriptionRoundTrip},
		{"PutSubscriptionReplaces", testPutSubscriptionReplaces},
		{"SubscriptionIgnoresTeam", testSubscriptionIgnoresTeam},
		{"SubscriptionsListsAllInOrder", testSubscriptionsInOrder},
		{"DeleteSubscription", testDeleteSubscription},
		{"NotFound", testNotFound},
		{"InvalidArguments", testInvalidArguments},
		{"CanceledContext", testCanceledContext},
		{"FeatureFirstWriterWins", testFeatureFirstWriterWins},
		{"FeaturedOldestFirst", testFeaturedOldestFirst},
		{"LedgerPerWeekAndChannel", testLedger},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ClaimDelivery", testClaimDelivery},
		{"Recaps", testRecaps},
		{"Keep", testKeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// Claimer is the optional capability of a store that makes ledger claims
// for replicas: ClaimDelivery writes a pending entry only if there is none,
// or if the one there is pending and older than staleBefore, and reports
// whether it did, or else the entry that stands. Run tests it on stores
// that have it.
type Claimer interface {
	ClaimDelivery(ctx context.Context, d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery, error)
}

var (
	slackGeneral = bot.ChannelRef{Platform: "slack", Team: "T1", Channel: "C1"}
	discordTalks = bot.ChannelRef{Platform: "discord", Channel: "123"}
	t0           = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

func put(t *testing.T, s bot.Store, subs ...bot.Subscription) {
	t.Helper()
	for _, sub := range subs {
		if err := s.PutSubscription(context.Background(), sub); err != nil {
			t.Fatalf("PutSubscription(%s): %v", sub.ChannelRef, err)
		}
	}
}

func testSubscriptionRoundTrip(t *testing.T, s bot.Store) {
	ctx := context.Background()
	subs := []bot.Subscription{
		{ChannelRef: slackGeneral, By: "U1", Since: t0, Updated: t0, Lang: "ko"},
		{ChannelRef: discordTalks, Topics: []string{"go", "샤딩"}, By: "42", Since: t0, Updated: t0.Add(time.Hour), Lang: "en"},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C2"}, Since: t0, Paused: true, Reason: "channel_not_found", Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "console", Channel: "'; DROP TABLE x; --"}, Topics: []string{}},
	}
	put(t, s, subs...)
	for _, want := range subs {
		got, err := s.Subscription(ctx, want.ChannelRef)
		if err != nil {
			t.Fatalf("Subscription(%s): %v", want.ChannelRef, err)
		}
		if len(want.Topics) == 0 {
			want.Topics = nil // no topics reads back as nil, however written
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
}

func testPutSubscriptionReplaces(t *testing.T, s bot.Store) {
	first := bot.Subscription{ChannelRef: slackGeneral, Topics: []string{"go"}, Since: t0, Updated: t0}
	second := bot.Subscription{ChannelRef: slackGeneral, Since: t0, Updated: t0.Add(time.Minute)}
	put(t, s, first, second)
	got, err := s.Subscription(context.Background(), slackGeneral)
	if err != nil {
		t.Fatalf("Subscription: %v", err)
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("got %+v, want %+v", got, second)
	}
}

// A channel is named by platform and channel; the team is stored but does
// not tell channels apart.
func testSubscriptionIgnoresTeam(t *testing.T, s bot.Store) {
	ctx := context.Background()
	sub := bot.Subscription{ChannelRef: slackGeneral, Since: t0, Updated: t0}
	put(t, s, sub)
	other := slackGeneral
	other.Team = "T2"
	got, err := s.Subscription(ctx, other)
	if err != nil || !reflect.DeepEqual(got, sub) {
		t.Errorf("Subscription with another team: got %+v, %v, want %+v", got, err, sub)
	}
	if err := s.MarkDelivered(ctx, bot.Delivery{Week: 3, Channel: slackGeneral, TalkID: "a", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delivered(ctx, 3, other); err != nil {
		t.Errorf("Delivered with another team: got %v, want nil", err)
	}
}

func testSubscriptionsInOrder(t *testing.T, s bot.Store) {
	ctx := context.Background()
	if got, err := s.Subscriptions(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v, want none, nil", got, err)
	}
	subs := []bot.Subscription{
		{ChannelRef: slackGeneral, Since: t0, Updated: t0},
		{ChannelRef: discordTalks, Since: t0, Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C0"}, Since: t0, Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "c0"}, Since: t0, Updated: t0},
		{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: "C1-"}, Since: t0, Updated: t0},
	}
	put(t, s, subs...)
	got, err := s.Subscriptions(ctx)
	if err != nil {
		t.Fatalf("Subscriptions: %v", err)
	}
	// By platform, then channel, comparing bytes (no locale collation).
	want := []bot.Subscription{subs[1], subs[2], subs[0], subs[4], subs[3]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func testDeleteSubscription(t *testing.T, s bot.Store) {
	ctx := context.Background()
	put(t, s, bot.Subscription{ChannelRef: slackGeneral, Since: t0}, bot.Subscription{ChannelRef: discordTalks, Since: t0})
	if _, err := s.Feature(ctx, "", 4, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, bot.Delivery{Week: 4, Channel: slackGeneral, TalkID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, slackGeneral); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	if _, err := s.Subscription(ctx, slackGeneral); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Subscription after delete: got %v, want %v", err, bot.ErrNotFound)
	}
	if _, err := s.Subscription(ctx, discordTalks); err != nil {
		t.Errorf("other subscription after delete: got %v, want nil", err)
	}
	// The channel's ledger and the history stay.
	if _, err := s.Delivered(ctx, 4, slackGeneral); err != nil {
		t.Errorf("Delivered after delete: got %v, want nil", err)
	}
	if got, err := s.Featured(ctx, ""); err != nil || len(got) != 1 {
		t.Errorf("Featured after delete: got %v, %v, want one", got, err)
	}
	if err := s.DeleteSubscription(ctx, slackGeneral); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("second delete: got %v, want %v", err, bot.ErrNotFound)
	}
}

func testNotFound(t *testing.T, s bot.Store) {
	ctx := context.Background()
	// A subscription on another channel, and a delivery of another week,
	// must not answer for the ones asked about.
	put(t, s, bot.Subscription{ChannelRef: discordTalks, Since: t0})
	if err := s.MarkDelivered(ctx, bot.Delivery{Week: 7, Channel: slackGeneral, TalkID: "a"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"Subscription", func() error { _, err := s.Subscription(ctx, slackGeneral); return err }},
		{"Subscription same channel other platform", func() error {
			_, err := s.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: discordTalks.Channel})
			return err
		}},
		{"DeleteSubscription", func() error { return s.DeleteSubscription(ctx, slackGeneral) }},
		{"Delivered other week", func() error { _, err := s.Delivered(ctx, 8, slackGeneral); return err }},
		{"Delivered other channel", func() error { _, err := s.Delivered(ctx, 7, discordTalks); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("got %v, want %v", err, bot.ErrNotFound)
			}
		})
	}
	if got, err := s.Featured(ctx, "never"); err != nil || len(got) != 0 {
		t.Errorf("Featured of an unknown scope: got %v, %v, want none, nil", got, err)
	}
}

func testInvalidArguments(t *testing.T, s bot.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"empty platform", func() error {
			return s.PutSubscription(ctx, bot.Subscription{ChannelRef: bot.ChannelRef{Channel: "C1"}})
		}},
		{"empty channel", func() error { _, err := s.Subscription(ctx, bot.ChannelRef{Platform: "slack"}); return err }},
		{"NUL in platform", func() error {
			return s.DeleteSubscription(ctx, bot.ChannelRef{Platform: "sl\x00ack", Channel: "C1"})
		}},
		{"negative week", func() error { _, err := s.Feature(ctx, "", -1, "a"); return err }},
		{"empty talk id", func() error { _, err := s.Feature(ctx, "", 1, ""); return err }},
		{"ledger negative week", func() error {
			return s.MarkDelivered(ctx, bot.Delivery{Week: -1, Channel: slackGeneral})
		}},
		{"ledger empty channel", func() error {
			return s.MarkDelivered(ctx, bot.Delivery{Week: 1, Channel: bot.ChannelRef{Platform: "slack"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || errors.Is(err, bot.ErrNotFound) {
				t.Errorf("got %v, want an argument error", err)
			}
		})
	}
	if got, err := s.Subscriptions(ctx); err != nil || len(got) != 0 {
		t.Errorf("after refused writes: got %v, %v, want none, nil", got, err)
	}
}

func testCanceledContext(t *testing.T, s bot.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.PutSubscription(ctx, bot.Subscription{ChannelRef: slackGeneral}); !errors.Is(err, context.Canceled) {
		t.Errorf("PutSubscription: got %v, want %v", err, context.Canceled)
	}
	if _, err := s.Feature(ctx, "", 1, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Feature: got %v, want %v", err, context.Canceled)
	}
	if err := s.MarkDelivered(ctx, bot.Delivery{Week: 1, Channel: slackGeneral, TalkID: "a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("MarkDelivered: got %v, want %v", err, context.Canceled)
	}
	bg := context.Background()
	if _, err := s.Subscription(bg, slackGeneral); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("write went through despite a canceled context: got %v, want %v", err, bot.ErrNotFound)
	}
	if got, err := s.Featured(bg, ""); err != nil || len(got) != 0 {
		t.Errorf("feature went through despite a canceled context: got %v, %v", got, err)
	}
	if _, err := s.Delivered(bg, 1, slackGeneral); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("delivery went through despite a canceled context: got %v, want %v", err, bot.ErrNotFound)
	}
}

func testFeatureFirstWriterWins(t *testing.T, s bot.Store) {
	ctx := context.Background()
	steps := []struct {
		scope string
		week  bot.Week
		talk  string
		want  string
	}{
		{"", 100, "a", "a"},
		{"", 100, "b", "a"}, // week taken: the first id stands
		{"go", 100, "c", "c"},
		{"go", 100, "a", "c"},
		{"", 101, "b", "b"},
		{"go,kafka", 100, "d", "d"},
	}
	for _, st := range steps {
		got, err := s.Feature(ctx, st.scope, st.week, st.talk)
		if err != nil {
			t.Fatalf("Feature(%q, %d, %q): %v", st.scope, st.week, st.talk, err)
		}
		if got != st.want {
			t.Errorf("Feature(%q, %d, %q): got %v, want %v", st.scope, st.week, st.talk, got, st.want)
		}
	}
	got, err := s.Featured(ctx, "")
	if want := []bot.Feature{{Week: 100, TalkID: "a"}, {Week: 101, TalkID: "b"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Featured: got %v, %v, want %v", got, err, want)
	}
}

func testFeaturedOldestFirst(t *testing.T, s bot.Store) {
	ctx := context.Background()
	// Recorded out of order, and across a byte boundary (255 → 256) where
	// little-endian or decimal-string keys would sort wrongly.
	for _, w := range []bot.Week{2900, 256, 3, 255, 0, 1 << 40} {
		if _, err := s.Feature(ctx, "go", w, fmt.Sprintf("t%d", w)); err != nil {
			t.Fatalf("Feature: %v", err)
		}
	}
	if _, err := s.Feature(ctx, "", 1, "other-scope"); err != nil {
		t.Fatalf("Feature: %v", err)
	}
	got, err := s.Featured(ctx, "go")
	if err != nil {
		t.Fatalf("Featured: %v", err)
	}
	var want []bot.Feature
	for _, w := range []bot.Week{0, 3, 255, 256, 2900, 1 << 40} {
		want = append(want, bot.Feature{Week: w, TalkID: fmt.Sprintf("t%d", w)})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func testLedger(t *testing.T, s bot.Store) {
	ctx := context.Background()
	ds := []bot.Delivery{
		{Week: 10, Channel: slackGeneral, TalkID: "a", MessageID: "1700000000.000100", At: t0},
		{Week: 10, Channel: discordTalks, TalkID: "b", MessageID: "999", At: t0.Add(time.Second)},
		{Week: 11, Channel: slackGeneral, TalkID: "c", At: t0.Add(7 * 24 * time.Hour), Pending: true},
		{Week: 12, Channel: slackGeneral, TalkID: "d"},
	}
	for _, d := range ds {
		if err := s.MarkDelivered(ctx, d); err != nil {
			t.Fatalf("MarkDelivered: %v", err)
		}
	}
	for _, want := range ds {
		got, err := s.Delivered(ctx, want.Week, want.Channel)
		if err != nil {
			t.Fatalf("Delivered(%d, %s): %v", want.Week, want.Channel, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}

	// A second write for the same (week, channel) replaces the entry: a
	// pending entry becomes a delivery.
	again := ds[2]
	again.MessageID, again.Pending = "1700000000.000200", false
	if err := s.MarkDelivered(ctx, again); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	if got, err := s.Delivered(ctx, again.Week, again.Channel); err != nil || !reflect.DeepEqual(got, again) {
		t.Errorf("after rewrite: got %+v, %v, want %+v", got, err, again)
	}
}

// testConcurrentWriters runs writers and readers on one store; run it with
// -race. Every writer must land, and all callers of Feature for one week
// must agree on one id.
func testConcurrentWriters(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const workers, each = 8, 25

	var wg sync.WaitGroup
	ids := make([]string, workers)
	errs := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			id, err := s.Feature(ctx, "", 42, fmt.Sprintf("talk-%d", i))
			if err != nil {
				errs <- err
				return
			}
			ids[i] = id
			for j := range each {
				ch := bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%d-%02d", i, j)}
				if err := s.PutSubscription(ctx, bot.Subscription{ChannelRef: ch, Since: t0}); err != nil {
					errs <- err
					return
				}
				if err := s.MarkDelivered(ctx, bot.Delivery{Week: 42, Channel: ch, TalkID: id}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Delivered(ctx, 42, ch); err != nil {
					errs <- err
					return
				}
				if _, err := s.Subscriptions(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("Feature caller %d: got %v, want %v", i, id, ids[0])
		}
	}
	subs, err := s.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(subs), workers*each; got != want {
		t.Errorf("subscriptions: got %v, want %v", got, want)
	}
	hist, err := s.Featured(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []bot.Feature{{Week: 42, TalkID: ids[0]}}; !reflect.DeepEqual(hist, want) {
		t.Errorf("featured: got %v, want %v", hist, want)
	}
}

func testClaimDelivery(t *testing.T, s bot.Store) {
	c, ok := s.(Claimer)
	if !ok {
		t.Skipf("%T makes no claims", s)
	}
	ctx := context.Background()
	claim := func(d bot.Delivery, staleBefore time.Time) (bool, bot.Delivery) {
		t.Helper()
		ok, cur, err := c.ClaimDelivery(ctx, d, staleBefore)
		if err != nil {
			t.Fatalf("ClaimDelivery(%+v): %v", d, err)
		}
		return ok, cur
	}
	mine := bot.Delivery{Week: 9, Channel: slackGeneral, TalkID: "a", At: t0, Pending: true}
	if ok, cur := claim(mine, t0.Add(-time.Hour)); !ok || !reflect.DeepEqual(cur, mine) {
		t.Errorf("first claim: got %v, %+v, want true and the entry", ok, cur)
	}
	// Another claimant, while the claim is fresh: refused, told what stands.
	theirs := mine
	theirs.At, theirs.TalkID = t0.Add(time.Minute), "b"
	if ok, cur := claim(theirs, t0.Add(-time.Hour)); ok || !reflect.DeepEqual(cur, mine) {
		t.Errorf("claim of a fresh claim: got %v, %+v, want false and %+v", ok, cur, mine)
	}
	// The claim went stale (its claimant died): taken over.
	if ok, cur := claim(theirs, t0.Add(time.Second)); !ok || !reflect.DeepEqual(cur, theirs) {
		t.Errorf("claim of a stale claim: got %v, %+v, want true", ok, cur)
	}
	// A completed delivery is never claimed, however old.
	done := theirs
	done.Pending, done.MessageID = false, "m"
	if err := s.MarkDelivered(ctx, done); err != nil {
		t.Fatal(err)
	}
	late := mine
	late.At = t0.Add(24 * time.Hour)
	if ok, cur := claim(late, t0.Add(48*time.Hour)); ok || !reflect.DeepEqual(cur, done) {
		t.Errorf("claim of a delivered entry: got %v, %+v, want false and %+v", ok, cur, done)
	}
	if _, _, err := c.ClaimDelivery(ctx, done, t0); err == nil {
		t.Error("claim with a non-pending entry: got nil error")
	}

	// Concurrent claimants of one channel: exactly one wins.
	const claimants = 8
	wins := make(chan bool, claimants)
	var wg sync.WaitGroup
	for i := range claimants {
		wg.Go(func() {
			d := bot.Delivery{Week: 10, Channel: discordTalks, TalkID: fmt.Sprint(i), At: t0, Pending: true}
			ok, _, err := c.ClaimDelivery(ctx, d, t0.Add(-time.Hour))
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for ok := range wins {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("concurrent claims: %d won, want 1", n)
	}
}

// testRecaps: contributed recaps round-trip whole (talk, created
// conference, submission key), are replaced by id, listed, and deleted;
// deleting a missing one is ErrNotFound.
func testRecaps(t *testing.T, s bot.Store) {
	ctx := context.Background()
	if cs, err := s.Recaps(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("Recaps of an empty store: got %v, %v", cs, err)
	}
	a := bot.Contribution{
		Talk: recaps.Talk{ID: "infcon-2024-sharding-chat", Conference: "infcon-2024", Title: "채팅 \"샤딩\" <!channel>", TitleEN: "Sharding chat",
			Tags: []string{"sharding", "샤딩"}, Summary: []string{"one", "two"}, Lessons: []string{"three"},
			Speakers: []recaps.Speaker{{Name: "김기현", Handle: "Ash", Team: "채팅"}},
			Links:    []recaps.Link{{Title: "Video", URL: "https://example.com/v", Kind: recaps.LinkVideo}},
			Author:   "Ash", AuthorID: "slack:U1", Created: "2026-12-02T08:00:00Z", Updated: "2026-12-02T08:00:00Z"},
		Conference: &recaps.Conference{ID: "infcon-2024", Name: "인프콘 2024", Year: 2024},
		Key:        "slack:V123",
	}
	b := bot.Contribution{Talk: recaps.Talk{ID: "deview-2019-b", Conference: "deview-2019", Title: "B", Tags: []string{"b"}, Summary: []string{"b"}, AuthorID: "discord:9"}}
	for _, c := range []bot.Contribution{b, a} {
		if err := s.PutRecap(ctx, c); err != nil {
			t.Fatalf("PutRecap(%s): %v", c.Talk.ID, err)
		}
	}
	cs, err := s.Recaps(ctx)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Recaps: got %d, %v; want 2", len(cs), err)
	}
	slices.SortFunc(cs, func(x, y bot.Contribution) int { return strings.Compare(x.Talk.ID, y.Talk.ID) })
	if !reflect.DeepEqual(cs[1], a) {
		t.Errorf("Recaps round trip:\n got %+v\nwant %+v", cs[1], a)
	}
	edited := a
	edited.Talk.Summary = []string{"edited"}
	edited.Conference = nil
	if err := s.PutRecap(ctx, edited); err != nil {
		t.Fatal(err)
	}
	cs, _ = s.Recaps(ctx)
	slices.SortFunc(cs, func(x, y bot.Contribution) int { return strings.Compare(x.Talk.ID, y.Talk.ID) })
	if len(cs) != 2 || !reflect.DeepEqual(cs[1], edited) {
		t.Errorf("PutRecap did not replace: got %+v", cs)
	}
	if err := s.DeleteRecap(ctx, b.Talk.ID); err != nil {
		t.Errorf("DeleteRecap: %v", err)
	}
	if err := s.DeleteRecap(ctx, b.Talk.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("DeleteRecap of a missing recap: got %v, want ErrNotFound", err)
	}
	if cs, _ := s.Recaps(ctx); len(cs) != 1 || cs[0].Talk.ID != a.Talk.ID {
		t.Errorf("after delete: got %+v", cs)
	}
}

// testKeep: a kept value is found until its time ends, a second Keep
// replaces it, a Keep forgets what has ended, and bad keys and values are
// refused.
func testKeep(t *testing.T, s bot.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if _, err := s.Kept(ctx, "none", now); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Kept of a key never kept: %v, want ErrNotFound", err)
	}
	big := []byte(strings.Repeat("가", bot.MaxKept/3))
	for key, v := range map[string][]byte{"a": []byte("first"), "b:c/d#e": big, "empty": {}} {
		if err := s.Keep(ctx, key, v, now, now.Add(time.Hour)); err != nil {
			t.Fatalf("Keep %s: %v", key, err)
		}
		got, err := s.Kept(ctx, key, now.Add(59*time.Minute))
		if err != nil || string(got) != string(v) {
			t.Errorf("Kept %s: %d bytes, %v; want the %d kept", key, len(got), err, len(v))
		}
		if _, err := s.Kept(ctx, key, now.Add(time.Hour)); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Kept %s at its until: %v, want ErrNotFound", key, err)
		}
	}
	if err := s.Keep(ctx, "a", []byte("second"), now, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Kept(ctx, "a", now.Add(90*time.Minute)); err != nil || string(got) != "second" {
		t.Errorf("Kept a after a second Keep: %q, %v; want second, until its new time", got, err)
	}
	// A Keep after b's time forgets it: even asked as of before, it is gone.
	if err := s.Keep(ctx, "later", []byte("x"), now.Add(3*time.Hour), now.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kept(ctx, "b:c/d#e", now); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Kept b after a later Keep swept it: %v, want ErrNotFound", err)
	}
	if got, err := s.Kept(ctx, "later", now.Add(3*time.Hour)); err != nil || string(got) != "x" {
		t.Errorf("Kept later: %q, %v", got, err)
	}
	for name, kv := range map[string]struct {
		key string
		v   []byte
	}{
		"empty key":     {"", []byte("x")},
		"long key":      {strings.Repeat("k", bot.MaxKeptKey+1), []byte("x")},
		"NUL in key":    {"a\x00b", []byte("x")},
		"invalid UTF-8": {"a\xffb", []byte("x")},
		"long value":    {"v", make([]byte, bot.MaxKept+1)},
	} {
		if err := s.Keep(ctx, kv.key, kv.v, now, now.Add(time.Hour)); err == nil {
			t.Errorf("Keep with %s: got nil, want an error", name)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Keep(cctx, "c", nil, now, now.Add(time.Hour)); err == nil {
		t.Error("Keep with a canceled context: got nil, want an error")
	}
	if _, err := s.Kept(cctx, "a", now); err == nil {
		t.Error("Kept with a canceled context: got nil, want an error")
	}
}
