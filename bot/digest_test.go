package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/time/rate"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

var seoul = func() *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		panic(err)
	}
	return l
}()

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newDigestBot(t *testing.T, st bot.Store, c *clock) *bot.Bot {
	t.Helper()
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul})
}

func mustDigest(t *testing.T, b *bot.Bot, o bot.DigestOptions) *bot.Digest {
	t.Helper()
	d, err := b.NewDigest(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func subscribe(t *testing.T, b *bot.Bot, platform, channel string, topics ...string) {
	t.Helper()
	text := "subscribe"
	for _, tp := range topics {
		text += " " + tp
	}
	rep := b.Handle(context.Background(), bot.Request{Platform: platform, Channel: channel, User: "U1", Command: bot.ParseCommand(text), CanManage: true})
	if rep.Outcome != bot.OutcomeOK {
		t.Fatalf("subscribe %s: outcome %s: %s", channel, rep.Outcome, rep.Intro)
	}
}

func TestWeekRotationNoRepeats(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 10, 0, 0, 0, seoul)}
	b := newDigestBot(t, bottest.NewStore(), c)
	n := len(b.Corpus().Talks)
	first := bot.WeekOf(c.t, seoul)
	prev := ""
	// Three whole cycles: each has every talk once, and no talk is
	// featured two weeks running, not even across a cycle boundary.
	for cycle := range 3 {
		seen := map[string]int{}
		for i := range n {
			w := first + bot.Week(cycle*n+i)
			talk, ok, err := b.WeekTalk(context.Background(), w.Start(seoul).Add(36*time.Hour), nil)
			if err != nil || !ok {
				t.Fatalf("week %v: ok=%v err=%v", w, ok, err)
			}
			// The same week asks again (another channel): the same talk.
			again, _, _ := b.WeekTalk(context.Background(), w.Start(seoul).Add(100*time.Hour), nil)
			if again.ID != talk.ID {
				t.Errorf("week %v: got %s then %s, want the same talk", w, talk.ID, again.ID)
			}
			if talk.ID == prev {
				t.Errorf("week %v repeats last week's %s", w, talk.ID)
			}
			prev = talk.ID
			seen[talk.ID]++
		}
		if len(seen) != n {
			t.Errorf("cycle %d: %d weeks featured %d distinct talks, want %d (no repeats): %v", cycle, n, len(seen), n, seen)
		}
	}
}

func TestWeekOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string // the week's Monday
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, seoul), "2026-11-23"},
		{time.Date(2026, 11, 29, 23, 59, 0, 0, seoul), "2026-11-23"},
		{time.Date(2026, 11, 22, 23, 59, 0, 0, seoul), "2026-11-16"},
		{time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC), "2026-11-23"}, // already Monday in Seoul
		{time.Date(1970, 1, 1, 12, 0, 0, 0, seoul), "1969-12-29"},      // before the epoch Monday
		{time.Date(2026, 3, 30, 12, 0, 0, 0, time.FixedZone("x", 0)), "2026-03-30"},
	}
	for _, tt := range tests {
		if got := bot.WeekOf(tt.t, seoul).Start(time.UTC).Format(time.DateOnly); got != tt.want {
			t.Errorf("WeekOf(%v) starts %s, want %s", tt.t, got, tt.want)
		}
	}
	ny, _ := time.LoadLocation("America/New_York")
	// Around the DST change (2026-03-08) a week still has seven days.
	if a, b := bot.WeekOf(time.Date(2026, 3, 8, 1, 0, 0, 0, ny), ny), bot.WeekOf(time.Date(2026, 3, 8, 23, 0, 0, 0, ny), ny); a != b {
		t.Errorf("a DST Sunday spans weeks %v and %v, want one", a, b)
	}
}

func TestWeekRotationTopics(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 10, 0, 0, 0, seoul)}
	b := newDigestBot(t, bottest.NewStore(), c)
	want := map[string]bool{"woowacon-2023-kafka-eda": true, "deview-2019-11st-kafka-msa": true}
	got := map[string]int{}
	for i := range 4 {
		w := bot.WeekOf(c.t, seoul) + bot.Week(i)
		talk, ok, err := b.WeekTalk(context.Background(), w.Start(seoul), []string{"카프카"})
		if err != nil || !ok {
			t.Fatalf("week %d: ok=%v err=%v", i, ok, err)
		}
		if !want[talk.ID] {
			t.Errorf("week %d: got %s, want a kafka talk", i, talk.ID)
		}
		got[talk.ID]++
	}
	for id := range want {
		if got[id] != 2 {
			t.Errorf("over 4 weeks %s featured %d times, want 2 (strict alternation): %v", id, got[id], got)
		}
	}
}

func TestStatelessWeekIsDeterministic(t *testing.T) {
	c := &clock{time.Date(2026, 11, 25, 10, 0, 0, 0, seoul)}
	b := newDigestBot(t, nil, c)
	a, _, _ := b.WeekTalk(context.Background(), c.t, nil)
	b2, _, _ := b.WeekTalk(context.Background(), c.t.Add(48*time.Hour), nil)
	if a.ID != b2.ID {
		t.Errorf("same week: got %s and %s, want the same", a.ID, b2.ID)
	}
	seen := map[string]bool{}
	n := len(b.Corpus().Talks)
	start := bot.WeekOf(c.t, seoul)
	start -= start % bot.Week(n) // the start of a rotation cycle
	for i := range n {
		tk, _, _ := b.WeekTalk(context.Background(), (start + bot.Week(i)).Start(seoul), nil)
		seen[tk.ID] = true
	}
	if len(seen) != n {
		t.Errorf("one cycle of %d weeks featured %d distinct talks, want %d", n, len(seen), n)
	}
}

func TestSubscriptionCommands(t *testing.T) {
	c := &clock{time.Date(2026, 11, 24, 10, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	sched, _ := cron.ParseStandard("CRON_TZ=Asia/Seoul 0 9 * * MON")
	corpus, _ := recaps.Load(recaps.Embedded())
	b := bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul, NextDigest: sched.Next})
	ctx := context.Background()
	req := func(text string, admin bool) bot.Reply {
		return b.Handle(ctx, bot.Request{Platform: "slack", Channel: "C1", User: "U1", Command: bot.ParseCommand(text), CanManage: admin})
	}
	tests := []struct {
		text    string
		admin   bool
		outcome bot.Outcome
		subbed  bool
	}{
		{"subscriptions", false, bot.OutcomeOK, false},
		{"subscribe", false, bot.OutcomeForbidden, false},
		{"subscribe kafka", true, bot.OutcomeOK, true},
		{"unsubscribe", false, bot.OutcomeForbidden, true},
		{"subscribe nosuchtopicxyz", true, bot.OutcomeUsage, true},
		{"unsubscribe", true, bot.OutcomeOK, false},
		{"unsubscribe", true, bot.OutcomeUsage, false},
	}
	for _, tt := range tests {
		rep := req(tt.text, tt.admin)
		if rep.Outcome != tt.outcome {
			t.Errorf("%q (admin=%v): got outcome %s, want %s (%s)", tt.text, tt.admin, rep.Outcome, tt.outcome, rep.Intro)
		}
		_, err := st.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "C1"})
		if got := err == nil; got != tt.subbed {
			t.Errorf("after %q: subscribed = %v, want %v", tt.text, got, tt.subbed)
		}
	}
	req("subscribe kafka", true)
	rep := req("subscriptions", false)
	var fields string
	for _, f := range rep.Fields {
		fields += f.Name + "=" + f.Value + ";"
	}
	want := "Topics=kafka;Language=English;Next delivery=Mon Nov 30, 2026 09:00 KST (Asia/Seoul);"
	if fields != want {
		t.Errorf("subscriptions fields: got %q, want %q", fields, want)
	}

	// In Korean, with a subscription an older talkbot paused with its
	// English sentence: the reason is said in Korean too.
	sub, err := st.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	sub.Paused = true
	sub.Reason = "talkbot could not post here: the channel was deleted or archived, or the bot lost access"
	if err := st.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	rep = b.Handle(ctx, bot.Request{Platform: "slack", Channel: "C1", User: "U1", Command: bot.ParseCommand("구독목록"), Lang: i18n.KO})
	fields = ""
	for _, f := range rep.Fields {
		fields += f.Name + "=" + f.Value + ";"
	}
	want = "주제=kafka;언어=영어;다음 게시=2026년 11월 30일 (월) 09:00 KST (Asia/Seoul);" +
		"상태=일시 중지: talkbot이 이 채널에 게시하지 못했습니다: 채널이 삭제되었거나 보관되었거나, 봇이 접근 권한을 잃었습니다. talk 구독을 다시 실행하면 재개됩니다.;"
	if fields != want {
		t.Errorf("구독목록 fields: got %q, want %q", fields, want)
	}
}

func TestDigestRunFailuresAndExactlyOnce(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	b := newDigestBot(t, st, c)
	for i := range 6 {
		subscribe(t, b, "slack", fmt.Sprintf("C%d", i))
	}
	subscribe(t, b, "discord", "D1", "kafka")
	s := bottest.NewSender()
	s.Fail = func(ch bot.ChannelRef, n int) error {
		switch {
		case ch.Channel == "C1":
			return fmt.Errorf("post: channel_not_found: %w", bot.ErrChannelGone)
		case ch.Channel == "C2" && n <= 2:
			return &bot.RateLimitError{RetryAfter: time.Millisecond}
		case ch.Channel == "C3" && n <= 2:
			return bottest.ErrServer
		case ch.Channel == "C4":
			return bottest.ErrServer // always failing: left for the next run
		}
		return nil
	}
	d := mustDigest(t, b, bot.DigestOptions{
		Senders: map[string]bot.Sender{"slack": s, "discord": s},
		Workers: 3, Attempts: 3,
		Backoff: func(int) time.Duration { return time.Millisecond },
	})
	w := bot.WeekOf(c.t, seoul)
	r, err := d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Report{Sent: 5, Paused: 1, Failed: 1}
	if r != want {
		t.Errorf("first run: got %+v, want %+v", r, want)
	}
	sub, _ := st.Subscription(ctx, bot.ChannelRef{Platform: "slack", Channel: "C1"})
	if !sub.Paused {
		t.Errorf("C1 subscription: got paused=false, want paused after channel_not_found")
	}
	// Its reason is said in the language of whoever asks.
	for l, want := range map[i18n.Lang]string{i18n.KO: "채널이 삭제되었거나 보관되었거나", i18n.EN: "the channel was deleted or archived"} {
		rep := b.Handle(ctx, bot.Request{Platform: "slack", Channel: "C1", User: "U1", Command: bot.ParseCommand("subscriptions"), Lang: l})
		if status := rep.Fields[len(rep.Fields)-1].Value; !strings.Contains(status, want) {
			t.Errorf("%s: status %q, want it to say %q", l, status, want)
		}
	}
	// The second run, a minute later, skips what is done, leaves the
	// paused channel alone, and retries the failed one.
	s.Fail = nil
	c.t = c.t.Add(time.Minute)
	r, err = d.Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Sent: 1, Skipped: 5}); r != want {
		t.Errorf("second run: got %+v, want %+v", r, want)
	}
	counts := s.Counts()
	for _, ch := range []string{"C0", "C2", "C3", "C4", "C5"} {
		if n := counts[bot.ChannelRef{Platform: "slack", Channel: ch}]; n != 1 {
			t.Errorf("%s got %d posts, want exactly 1", ch, n)
		}
	}
	if n := counts[bot.ChannelRef{Platform: "slack", Channel: "C1"}]; n != 0 {
		t.Errorf("gone channel C1 got %d posts, want 0", n)
	}
	// Unfiltered channels share the week's talk; the kafka channel gets a
	// kafka talk.
	first := s.Posts(bot.ChannelRef{Platform: "slack", Channel: "C0"})[0].Reply.Title
	for _, ch := range []string{"C2", "C3", "C5"} {
		if got := s.Posts(bot.ChannelRef{Platform: "slack", Channel: ch})[0].Reply.Title; got != first {
			t.Errorf("%s got %q, want the week's talk %q", ch, got, first)
		}
	}
	kafka := s.Posts(bot.ChannelRef{Platform: "discord", Channel: "D1"})[0].Reply.Footer
	if !strings.Contains(kafka, "kafka") {
		t.Errorf("D1 (topic kafka) got a talk tagged %q, want kafka", kafka)
	}
}

func TestDigestInterruptedRunResumesExactlyOnce(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	b := newDigestBot(t, st, c)
	const n = 40
	for i := range n {
		subscribe(t, b, "slack", fmt.Sprintf("C%02d", i))
	}
	s := bottest.NewSender()
	ctx, cancel := context.WithCancel(context.Background())
	posted := 0
	s.After = func(bot.ChannelRef) {
		posted++ // Workers: 1, so After runs on one goroutine at a time.
		if posted == n/2 {
			cancel() // the process is stopped halfway through the run
		}
	}
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}, Workers: 1})
	w := bot.WeekOf(c.t, seoul)
	r, err := d.Run(ctx, w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: got err %v, want context.Canceled", err)
	}
	if r.Sent < n/2 || r.Sent >= n {
		t.Fatalf("interrupted run sent %d, want between %d and %d", r.Sent, n/2, n-1)
	}
	s.After = nil
	r2, err := d.Run(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent+r2.Sent != n || r2.Skipped != r.Sent {
		t.Errorf("runs sent %d + %d (skipped %d), want %d in all with the first run's skipped", r.Sent, r2.Sent, r2.Skipped, n)
	}
	for ch, k := range s.Counts() {
		if k != 1 {
			t.Errorf("%v got %d posts, want exactly 1", ch, k)
		}
	}
	if got := len(s.Counts()); got != n {
		t.Errorf("%d channels got posts, want %d", got, n)
	}
}

func TestDigestCrashBetweenPostAndLedger(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	b := newDigestBot(t, st, c)
	subscribe(t, b, "slack", "C1")
	subscribe(t, b, "slack", "C2")
	s := bottest.NewSender()
	w := bot.WeekOf(c.t, seoul)
	// Simulate the crash: C1's post went out and its ledger entry is still
	// pending; C2 was marked pending but its post never left.
	for _, ch := range []string{"C1", "C2"} {
		ref := bot.ChannelRef{Platform: "slack", Channel: ch}
		if err := st.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: ref, TalkID: "x", Pending: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Send(ctx, bot.ChannelRef{Platform: "slack", Channel: "C1"}, bot.Reply{}, bot.Key(w, bot.ChannelRef{Platform: "slack", Channel: "C1"})); err != nil {
		t.Fatal(err)
	}
	r, err := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}}).Run(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Sent: 1, Recovered: 1}); r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	for _, ch := range []string{"C1", "C2"} {
		if n := len(s.Posts(bot.ChannelRef{Platform: "slack", Channel: ch})); n != 1 {
			t.Errorf("%s has %d posts, want exactly 1", ch, n)
		}
	}
}

func TestDue(t *testing.T) {
	sched, err := cron.ParseStandard("CRON_TZ=Asia/Seoul 0 9 * * MON")
	if err != nil {
		t.Fatal(err)
	}
	b := newDigestBot(t, nil, &clock{})
	tests := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 11, 23, 8, 59, 0, 0, seoul), false}, // Monday before the run
		{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul), true},   // the run itself
		{time.Date(2026, 11, 25, 14, 0, 0, 0, seoul), true},  // Wednesday: missed, catch up
		{time.Date(2026, 11, 29, 23, 59, 0, 0, seoul), true}, // Sunday night, same week
		{time.Date(2026, 11, 30, 0, 30, 0, 0, seoul), false}, // next Monday before 9
	}
	for _, tt := range tests {
		if _, got := b.Due(sched, tt.now); got != tt.want {
			t.Errorf("Due(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestDigestLostAnswerIsNotPostedTwice(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	b := newDigestBot(t, bottest.NewStore(), c)
	subscribe(t, b, "slack", "C1")
	subscribe(t, b, "slack", "C2")
	s := bottest.NewSender()
	// C1's first post goes out but its answer is lost (a timeout); the
	// retry must find it instead of posting again.
	s.Lose = func(ch bot.ChannelRef, n int) bool { return ch.Channel == "C1" && n == 1 }
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}, Backoff: func(int) time.Duration { return time.Millisecond }})
	r, err := d.Run(ctx, bot.WeekOf(c.t, seoul))
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Report{Sent: 1, Recovered: 1}); r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	for ch, n := range s.Counts() {
		if n != 1 {
			t.Errorf("%v got %d posts, want exactly 1", ch, n)
		}
	}
}

// fakeClock is a test clock whose timers fire when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []fakeTimer
	changed chan struct{} // closed and replaced when a timer is added
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t, changed: make(chan struct{})} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.waiters = append(c.waiters, fakeTimer{c.t.Add(d), ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// waitTimer blocks until a timer for at least at is set, which means the
// code under test is waiting for that time.
func (c *fakeClock) waitTimer(t *testing.T, at time.Time) {
	t.Helper()
	guard := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for {
		c.mu.Lock()
		for _, w := range c.waiters {
			if !w.at.Before(at) {
				c.mu.Unlock()
				return
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-guard:
			t.Fatalf("no timer for %v was set", at)
		}
	}
}

// advance moves the clock by d and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.t) {
			keep = append(keep, w)
			continue
		}
		w.c <- c.t
	}
	c.waiters = keep
}

// TestDigestWaitsForAPendingPostThatMayStillLand: issue 11.8. A run killed
// with kill -9 left C1 pending a second ago, its post still on its way;
// the restarted run must not take "not found" for "not posted" before the
// post can no longer land (its At plus the post timeout). Before the fix
// it posted again at once, and C1 got two posts.
func TestDigestWaitsForAPendingPostThatMayStillLand(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)
	c := newFakeClock(t0)
	st := bottest.NewStore()
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul})
	subscribe(t, b, "slack", "C1")
	subscribe(t, b, "slack", "C2")
	w := bot.WeekOf(t0, seoul)
	c1 := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := st.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: c1, TalkID: "x", At: t0, Pending: true}); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second) // the quick restart
	s := bottest.NewSender()
	const timeout = 20 * time.Second
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}, Timeout: timeout, After: c.after})
	type runResult struct {
		r   bot.Report
		err error
	}
	done := make(chan runResult, 1)
	go func() {
		r, err := d.Run(ctx, w)
		done <- runResult{r, err}
	}()
	// The run waits for C1 until t0 + timeout…
	c.waitTimer(t, t0.Add(timeout))
	if n := len(s.Posts(c1)); n != 0 {
		t.Fatalf("C1 got %d posts while its earlier post could still land, want 0", n)
	}
	// …the dead process's post lands meanwhile…
	if _, err := s.Send(ctx, c1, bot.Reply{}, bot.Key(w, c1)); err != nil {
		t.Fatal(err)
	}
	// …and once it can no longer land, the run looks again and finds it.
	c.advance(timeout)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := (bot.Report{Sent: 1, Recovered: 1}); res.r != want {
		t.Errorf("got %+v, want %+v", res.r, want)
	}
	for ch, n := range s.Counts() {
		if n != 1 {
			t.Errorf("%v got %d posts, want exactly 1", ch, n)
		}
	}
	if del, err := st.Delivered(ctx, w, c1); err != nil || del.Pending || del.MessageID != "m1" {
		t.Errorf("C1 ledger: got %+v, %v; want done with the landed post m1", del, err)
	}
}

// TestDigestPendingPostThatNeverLanded: the same wait, and when the post
// has not landed by then, the channel gets its one post.
func TestDigestPendingPostThatNeverLanded(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)
	c := newFakeClock(t0)
	st := bottest.NewStore()
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul})
	subscribe(t, b, "slack", "C1")
	w := bot.WeekOf(t0, seoul)
	c1 := bot.ChannelRef{Platform: "slack", Channel: "C1"}
	if err := st.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: c1, TalkID: "x", At: t0, Pending: true}); err != nil {
		t.Fatal(err)
	}
	s := bottest.NewSender()
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}, Timeout: time.Minute, After: c.after})
	done := make(chan bot.Report, 1)
	go func() {
		r, _ := d.Run(ctx, w)
		done <- r
	}()
	c.waitTimer(t, t0.Add(time.Minute))
	if n := len(s.Posts(c1)); n != 0 {
		t.Fatalf("C1 got %d posts before its pending post timed out, want 0", n)
	}
	c.advance(time.Minute)
	if r := <-done; r != (bot.Report{Sent: 1}) {
		t.Errorf("got %+v, want one sent", r)
	}
	if n := len(s.Posts(c1)); n != 1 {
		t.Errorf("C1 got %d posts, want 1", n)
	}
}

// TestDigestLongRetryAfterDoesNotDelayOthers: issue 16. C00 is answered
// 429 with Retry-After one hour; with a single worker every other channel
// is still posted without the clock moving, and C00 once the hour is over.
// Before, the worker slept through the Retry-After.
func TestDigestLongRetryAfterDoesNotDelayOthers(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)
	c := newFakeClock(t0)
	st := bottest.NewStore()
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul})
	const n = 20
	for i := range n {
		subscribe(t, b, "slack", fmt.Sprintf("C%02d", i))
	}
	s := bottest.NewSender()
	var mu sync.Mutex
	postedAt := map[string]time.Time{}
	s.Fail = func(ch bot.ChannelRef, attempt int) error {
		if ch.Channel == "C00" && attempt == 1 {
			return &bot.RateLimitError{RetryAfter: time.Hour}
		}
		return nil
	}
	others := make(chan struct{}) // closed when the other channels are posted
	s.After = func(ch bot.ChannelRef) {
		mu.Lock()
		postedAt[ch.Channel] = c.now()
		if len(postedAt) == n-1 {
			close(others)
		}
		mu.Unlock()
	}
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}, Workers: 1, After: c.after})
	done := make(chan bot.Report, 1)
	go func() {
		r, _ := d.Run(ctx, bot.WeekOf(t0, seoul))
		done <- r
	}()
	c.waitTimer(t, t0.Add(time.Hour))
	select {
	case <-others:
	case <-time.After(30 * time.Second): // a hang guard
		t.Fatal("the other channels were not posted while C00 waited")
	}
	c.advance(time.Hour)
	if r := <-done; r != (bot.Report{Sent: n}) {
		t.Errorf("got %+v, want %d sent", r, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		ch := fmt.Sprintf("C%02d", i)
		want := t0
		if i == 0 {
			want = t0.Add(time.Hour)
		}
		if got := postedAt[ch]; !got.Equal(want) {
			t.Errorf("%s posted at %v, want %v", ch, got, want)
		}
	}
}

// lossyStore fails every "done" ledger write, as a crash right after a
// post would lose it.
type lossyStore struct{ *bottest.Store }

func (s lossyStore) MarkDelivered(ctx context.Context, d bot.Delivery) error {
	if !d.Pending {
		return errors.New("disk full")
	}
	return s.Store.MarkDelivered(ctx, d)
}

// TestDigestLostDoneWriteIsRecovered: workers do not wait for the ledger
// write after a post; when it is lost the entry stays pending, and the
// next run finds the post instead of posting again.
func TestDigestLostDoneWriteIsRecovered(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)}
	st := bottest.NewStore()
	b := newDigestBot(t, lossyStore{st}, c)
	for i := range 5 {
		subscribe(t, b, "slack", fmt.Sprintf("C%d", i))
	}
	s := bottest.NewSender()
	w := bot.WeekOf(c.t, seoul)
	r, err := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}}).Run(ctx, w)
	if err != nil || r != (bot.Report{Sent: 5}) {
		t.Fatalf("first run: got %+v, %v; want 5 sent", r, err)
	}
	c.t = c.t.Add(time.Minute) // past the posts' timeout
	b2 := newDigestBot(t, st, c)
	r, err = mustDigest(t, b2, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": s}}).Run(ctx, w)
	if err != nil || r != (bot.Report{Recovered: 5}) {
		t.Errorf("second run: got %+v, %v; want 5 recovered", r, err)
	}
	for ch, n := range s.Counts() {
		if n != 1 {
			t.Errorf("%v got %d posts, want exactly 1", ch, n)
		}
	}
}

// TestDigestPacedPlatformHoldsNoWorker: with Discord paced at one call a
// second and a single worker, the Slack channels are not held up behind
// Discord's pace: the worker posts them while the Discord channels wait
// for their slots.
func TestDigestPacedPlatformHoldsNoWorker(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, seoul)
	c := newFakeClock(t0)
	st := bottest.NewStore()
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(corpus, bot.Options{Store: st, Now: c.now, Location: seoul})
	for i := range 3 {
		subscribe(t, b, "discord", fmt.Sprintf("D%d", i))
	}
	for i := range 10 {
		subscribe(t, b, "slack", fmt.Sprintf("S%d", i))
	}
	s := bottest.NewSender()
	var mu sync.Mutex
	var order []string
	slackDone := make(chan struct{})
	s.After = func(ch bot.ChannelRef) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, ch.Channel)
		if ch.Platform == "slack" && len(order) == 11 { // D0 and the ten Slack channels
			close(slackDone)
		}
	}
	d := mustDigest(t, b, bot.DigestOptions{
		Senders: map[string]bot.Sender{"slack": s, "discord": s},
		Workers: 1, After: c.after,
		Rates: map[string]rate.Limit{"discord": 1},
	})
	done := make(chan bot.Report, 1)
	go func() {
		r, _ := d.Run(ctx, bot.WeekOf(t0, seoul))
		done <- r
	}()
	select {
	case <-slackDone:
	case <-time.After(30 * time.Second): // a hang guard
		t.Fatal("the Slack channels were not posted while Discord waited for its pace")
	}
	c.waitTimer(t, t0.Add(time.Nanosecond))
	c.advance(time.Minute)
	if r := <-done; r != (bot.Report{Sent: 13}) {
		t.Errorf("got %+v, want 13 sent", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(order[:11], ","); got != "D0,S0,S1,S2,S3,S4,S5,S6,S7,S8,S9" {
		t.Errorf("posting order %s, want D0 then the Slack channels before D1 and D2", strings.Join(order, ","))
	}
}
