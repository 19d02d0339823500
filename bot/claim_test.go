package bot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/bottest"
	"github.com/talkbot/talkbot/recaps"
)

// barrierStore holds every Subscriptions call until n callers are in, so
// that two digest runs plan against the same empty ledger.
type barrierStore struct {
	*bottest.Store
	mu      sync.Mutex
	n       int
	arrived chan struct{}
}

func (s *barrierStore) Subscriptions(ctx context.Context) ([]bot.Subscription, error) {
	s.mu.Lock()
	s.n--
	if s.n == 0 {
		close(s.arrived)
	}
	s.mu.Unlock()
	<-s.arrived
	return s.Store.Subscriptions(ctx)
}

// TestDigestTwoRunsOneStoreClaim runs two digests (two replicas that both
// believe they lead) over one store at once, both planning before either
// posts: the ledger claims let each channel be posted once.
func TestDigestTwoRunsOneStoreClaim(t *testing.T) {
	const channels = 200
	st := &barrierStore{Store: bottest.NewStore(), n: 2, arrived: make(chan struct{})}
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	sender := bottest.NewSender()
	var digests [2]*bot.Digest
	for i := range digests {
		b := bot.New(corpus, bot.Options{Store: st, Location: seoul})
		digests[i] = mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": sender}, Workers: 8, Timeout: time.Second})
	}
	for i := range channels {
		if err := st.Store.PutSubscription(context.Background(), bot.Subscription{ChannelRef: bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%03d", i)}, Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	w := bot.WeekOf(time.Now(), seoul)
	var reports [2]bot.Report
	var wg sync.WaitGroup
	for i, d := range digests {
		wg.Go(func() {
			r, err := d.Run(context.Background(), w)
			if err != nil {
				t.Error(err)
			}
			reports[i] = r
		})
	}
	wg.Wait()
	posts := 0
	for i := range channels {
		ch := bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%03d", i)}
		n := len(sender.Posts(ch))
		if n != 1 {
			t.Errorf("%s: %d posts, want 1", ch, n)
		}
		posts += n
		if d, err := st.Delivered(context.Background(), w, ch); err != nil || d.Pending {
			t.Errorf("%s: ledger %+v, %v; want delivered", ch, d, err)
		}
	}
	sent := reports[0].Sent + reports[1].Sent
	others := reports[0].Skipped + reports[1].Skipped + reports[0].Recovered + reports[1].Recovered
	if sent != channels || others != channels || reports[0].Failed+reports[1].Failed != 0 {
		t.Errorf("reports %+v: want %d sent in all and the other run's %d skipped or recovered", reports, channels, channels)
	}
	t.Logf("posts %d; reports %+v", posts, reports)
}

// weekStore is a Store that reads a week's ledger at once, and counts
// the single reads.
type weekStore struct {
	*bottest.Store
	channels []bot.ChannelRef
	single   int
	weekly   int
}

func (s *weekStore) Delivered(ctx context.Context, w bot.Week, ch bot.ChannelRef) (bot.Delivery, error) {
	s.single++
	return s.Store.Delivered(ctx, w, ch)
}

func (s *weekStore) WeekDeliveries(ctx context.Context, w bot.Week) ([]bot.Delivery, error) {
	s.weekly++
	var out []bot.Delivery
	for _, ch := range s.channels {
		if d, err := s.Store.Delivered(ctx, w, ch); err == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// TestPlanReadsTheWeekAtOnce: with a WeekReader the plan reads the ledger
// in one call, and sees what one Delivered call per channel would.
func TestPlanReadsTheWeekAtOnce(t *testing.T) {
	st := &weekStore{Store: bottest.NewStore()}
	corpus, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(corpus, bot.Options{Store: st, Location: seoul})
	// The pending entry below is resolved once its post can no longer
	// land: Timeout after it was written, on the real clock.
	d := mustDigest(t, b, bot.DigestOptions{Senders: map[string]bot.Sender{"slack": bottest.NewSender()}, Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	w := bot.WeekOf(b.Now(), seoul)
	for i := range 3 {
		ch := bot.ChannelRef{Platform: "slack", Channel: fmt.Sprintf("C%d", i)}
		st.channels = append(st.channels, ch)
		if err := st.PutSubscription(ctx, bot.Subscription{ChannelRef: ch, Since: b.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	st.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: st.channels[0], TalkID: "x", MessageID: "m", At: b.Now()})
	st.MarkDelivered(ctx, bot.Delivery{Week: w, Channel: st.channels[1], TalkID: "x", At: b.Now(), Pending: true})
	plan, err := d.Plan(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if st.single != 0 || st.weekly != 1 {
		t.Errorf("ledger reads: %d single, %d weekly; want 0 and 1", st.single, st.weekly)
	}
	if len(plan) != 3 || !plan[0].Done || plan[1].Done || plan[2].Done {
		t.Errorf("plan: %+v; want C0 done, C1 pending, C2 to send", plan)
	}
	r, err := d.Run(ctx, w)
	if err != nil || r.Skipped != 1 || r.Sent+r.Recovered != 2 {
		t.Errorf("run: %+v, %v; want C0 skipped and the others delivered", r, err)
	}
}
