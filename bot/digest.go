package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/talkbot/talkbot/recaps"
)

// Schedule says when the digest runs; robfig/cron's Schedule satisfies it.
type Schedule interface {
	Next(time.Time) time.Time
}

// DigestOptions configures a Digest. Zero values are usable defaults.
type DigestOptions struct {
	// Senders posts to each platform, keyed by ChannelRef.Platform.
	Senders map[string]Sender
	// Workers is the number of concurrent posts; default 8.
	Workers int
	// Rates limits posts per second for a platform (Discord allows 50
	// requests a second in all); a platform not listed is not paced.
	Rates map[string]rate.Limit
	// Attempts is the most tries per channel for retryable failures;
	// default 5.
	Attempts int
	// Backoff returns the wait before retry n (1-based) of a 5xx or
	// network failure; default 500ms doubling to at most 30s, with jitter.
	Backoff func(n int) time.Duration
	// Timeout bounds one post, and the grace an in-flight post gets to
	// finish and checkpoint when the run is cancelled; default 20s.
	Timeout time.Duration
	// Delivered is told the outcome of each channel ("sent", "skipped",
	// "recovered", "paused", "failed"), for metrics; nil means none.
	Delivered func(platform, outcome string)
}

// Digest delivers the talk of the week to subscribed channels exactly once
// per (week, channel). The ledger in the Store is written "pending" before a
// post and "done" after it; a pending entry found at the next run is
// resolved with the Sender's Finder when it has one, so a crash between
// post and ledger write does not post twice.
type Digest struct {
	b       *Bot
	opt     DigestOptions
	limits  map[string]*rate.Limiter
	log     *slog.Logger
	mu      sync.Mutex
	pauseTo map[string]time.Time // platform → end of a rate-limit pause
	runMu   sync.Mutex           // held by Run
}

// NewDigest returns the digest runner over b's store, or an error if b has
// no Store.
func (b *Bot) NewDigest(o DigestOptions) (*Digest, error) {
	if b.store == nil {
		return nil, errors.New("the digest needs a store (bot.Options.Store)")
	}
	o.Workers = cmp.Or(o.Workers, 8)
	o.Attempts = cmp.Or(o.Attempts, 5)
	o.Timeout = cmp.Or(o.Timeout, 20*time.Second)
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration {
			d := min(500*time.Millisecond<<(n-1), 30*time.Second)
			return d/2 + time.Duration(b.rnd(int(d/2)+1))
		}
	}
	d := &Digest{b: b, opt: o, log: b.log, limits: map[string]*rate.Limiter{}, pauseTo: map[string]time.Time{}}
	for p, r := range o.Rates {
		d.limits[p] = rate.NewLimiter(r, max(1, int(r)))
	}
	return d, nil
}

// maxRateLimited bounds the 429 answers one channel's post may get in a run.
const maxRateLimited = 20

// Planned is one channel's entry in a week's digest.
type Planned struct {
	Sub  Subscription
	Talk *recaps.Talk // nil when no talk matches the channel's topics
	Done bool         // the ledger has it delivered

	pending bool // the ledger has it pending, from a run that stopped
}

// Key is the idempotency key of the post for channel ch in week w: short
// enough for a Discord nonce (25 characters).
func Key(w Week, ch ChannelRef) string {
	h := fnv.New64a()
	h.Write([]byte(ch.Platform + "\x00" + ch.Channel))
	return fmt.Sprintf("tb%d-%012x", w, h.Sum64()&0xffffffffffff)
}

// Plan lists the active subscriptions with the talk each gets in week w,
// recording the pick of each topic scope that has none yet (see WeekTalk).
func (d *Digest) Plan(ctx context.Context, w Week) ([]Planned, error) {
	return d.plan(ctx, w, true)
}

// Preview is Plan for a dry run: it writes nothing to the store, and shows
// for a scope without a recorded pick the talk that Plan would record now.
func (d *Digest) Preview(ctx context.Context, w Week) ([]Planned, error) {
	return d.plan(ctx, w, false)
}

func (d *Digest) plan(ctx context.Context, w Week, record bool) ([]Planned, error) {
	subs, err := d.b.store.Subscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	picks := map[string]*recaps.Talk{} // scope → talk
	var out []Planned
	for _, s := range subs {
		if s.Paused {
			continue
		}
		scope := Scope(s.Topics)
		t, ok := picks[scope]
		if !ok {
			t, err = d.b.weekPick(ctx, w, s.Topics, record)
			if err != nil {
				return nil, err
			}
			picks[scope] = t
		}
		p := Planned{Sub: s, Talk: t}
		switch del, err := d.b.store.Delivered(ctx, w, s.ChannelRef); {
		case err == nil && del.Pending:
			p.pending = true
		case err == nil:
			p.Done = true
		case !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("read ledger: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Report counts a run's outcomes.
type Report struct {
	Sent, Skipped, Recovered, Paused, Failed int
}

// Run delivers week w's digest to every active subscription that the ledger
// does not have yet. Failures are isolated per channel: a gone channel is
// paused, a failing one is retried with backoff and, if it keeps failing,
// left for the next run. When ctx is cancelled, no new post starts and
// posts in flight finish and checkpoint. Run returns ctx's error then.
// Concurrent calls run one after the other.
func (d *Digest) Run(ctx context.Context, w Week) (Report, error) {
	d.runMu.Lock() // deliveries trust the ledger as Plan read it
	defer d.runMu.Unlock()
	plan, err := d.Plan(ctx, w)
	if err != nil {
		return Report{}, err
	}
	jobs := make(chan Planned)
	results := make(chan string)
	var wg sync.WaitGroup
	for range d.opt.Workers {
		wg.Go(func() {
			for p := range jobs {
				results <- d.deliver(ctx, w, p)
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, p := range plan {
			if p.Done || p.Talk == nil {
				continue
			}
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var r Report
	for _, p := range plan {
		if p.Done {
			r.Skipped++
			d.count(p.Sub.Platform, "skipped")
		}
	}
	for res := range results {
		switch res {
		case "sent":
			r.Sent++
		case "recovered":
			r.Recovered++
		case "paused":
			r.Paused++
		default:
			r.Failed++
		}
	}
	d.log.InfoContext(ctx, "digest run", "week", w.String(), "sent", r.Sent, "skipped", r.Skipped, "recovered", r.Recovered, "paused", r.Paused, "failed", r.Failed)
	return r, ctx.Err()
}

func (d *Digest) count(platform, outcome string) {
	if d.opt.Delivered != nil {
		d.opt.Delivered(platform, outcome)
	}
}

// deliver posts one channel's digest and records it; it returns the outcome.
func (d *Digest) deliver(ctx context.Context, w Week, p Planned) (outcome string) {
	ch := p.Sub.ChannelRef
	log := d.log.With("channel", ch.String(), "week", w.String())
	defer func() { d.count(ch.Platform, outcome) }()
	// A post that started finishes and checkpoints even if the run is
	// cancelled meanwhile; it just gets no new retries.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
	defer cancel()
	s, ok := d.opt.Senders[ch.Platform]
	if !ok {
		log.ErrorContext(ctx, "digest: no sender for platform")
		return "failed"
	}
	key := Key(w, ch)
	// posted reports whether the post went out already (a crash or a lost
	// answer after the platform took it) and, if so, records it. Without
	// a Finder there is no way to tell, and it reports false.
	posted := func() (bool, error) {
		f, ok := s.(Finder)
		if !ok {
			return false, nil
		}
		id, found, err := f.Find(work, ch, key)
		if err != nil || !found {
			return false, err
		}
		return true, d.b.store.MarkDelivered(work, Delivery{Week: w, Channel: ch, TalkID: p.Talk.ID, MessageID: id, At: d.b.now()})
	}
	if err := d.b.store.MarkDelivered(work, Delivery{Week: w, Channel: ch, TalkID: p.Talk.ID, At: d.b.now(), Pending: true}); err != nil {
		log.ErrorContext(ctx, "digest: mark pending", "err", err)
		return "failed"
	}
	rep := d.b.digestReply(w, p.Talk)
	limited := 0
	// uncertain says the post may already be out: an earlier run stopped
	// after marking it pending (Plan read the ledger; runs are serialised,
	// so that still holds), or the last attempt failed in a way that may
	// have posted. Then the post is looked for before it is sent.
	uncertain := p.pending
	for attempt := 1; ; attempt++ {
		if err := d.wait(ctx, ch.Platform); err != nil {
			return "failed"
		}
		if uncertain {
			found, err := posted()
			if err != nil {
				log.WarnContext(ctx, "digest: cannot check whether an earlier post went out; not posting again this run", "err", err)
				return "failed"
			}
			if found {
				return "recovered"
			}
		}
		id, err := s.Send(work, ch, rep, key)
		if err == nil {
			if err := d.b.store.MarkDelivered(work, Delivery{Week: w, Channel: ch, TalkID: p.Talk.ID, MessageID: id, At: d.b.now()}); err != nil {
				log.ErrorContext(ctx, "digest: record delivery", "err", err)
				return "failed"
			}
			return "sent"
		}
		var rl *RateLimitError
		switch {
		case errors.Is(err, ErrChannelGone):
			log.WarnContext(ctx, "digest: channel gone or forbidden; subscription paused", "err", err)
			if err := d.pause(work, p.Sub); err != nil {
				log.ErrorContext(ctx, "digest: pause subscription", "err", err)
			}
			return "paused"
		case errors.As(err, &rl):
			// A 429 is the platform pacing us, not a failure: wait as told
			// and try again, up to maxRateLimited times. A global limit
			// holds every worker on the platform.
			limited++
			if limited > maxRateLimited {
				log.ErrorContext(ctx, "digest: still rate limited; will retry next run", "err", err)
				return "failed"
			}
			attempt--
			if rl.Global {
				d.pausePlatform(ch.Platform, rl.RetryAfter)
			} else if sleep(ctx, rl.RetryAfter) != nil {
				return "failed"
			}
			continue
		}
		uncertain = true // a 5xx or a network error: the platform may have taken it
		if attempt >= d.opt.Attempts || ctx.Err() != nil {
			log.ErrorContext(ctx, "digest: delivery failed; will retry next run", "attempts", attempt, "err", err)
			return "failed"
		}
		log.WarnContext(ctx, "digest: delivery failed; retrying", "attempt", attempt, "err", err)
		if sleep(ctx, d.opt.Backoff(attempt)) != nil {
			return "failed"
		}
	}
}

// pause marks a subscription paused after its channel went away.
func (d *Digest) pause(ctx context.Context, s Subscription) error {
	s.Paused = true
	// The cause (the platform's error) is in the log; users see this.
	s.Reason = "talkbot could not post here: the channel was deleted or archived, or the bot lost access"
	s.Updated = d.b.now()
	return d.b.store.PutSubscription(ctx, s)
}

// pausePlatform holds every post to a platform for at least d.
func (d *Digest) pausePlatform(platform string, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	until := time.Now().Add(max(wait, 100*time.Millisecond))
	if until.After(d.pauseTo[platform]) {
		d.pauseTo[platform] = until
	}
}

// wait blocks until the platform's rate-limit pause is over and its rate
// limiter lets one more post through.
func (d *Digest) wait(ctx context.Context, platform string) error {
	d.mu.Lock()
	until := d.pauseTo[platform]
	d.mu.Unlock()
	if err := sleep(ctx, time.Until(until)); err != nil {
		return err
	}
	if l := d.limits[platform]; l != nil {
		return l.Wait(ctx)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// digestReply is the post a channel gets.
func (b *Bot) digestReply(w Week, t *recaps.Talk) Reply {
	rep := b.snapshot().talkReply(t, b.weekIntro(w))
	rep.Actions = nil
	return rep
}

// Due returns the week whose scheduled run has passed by now, if any: the
// current week once its first scheduled time is behind us. A run missed
// while talkbot was down is thus caught up at start, within the same week.
func (b *Bot) Due(s Schedule, now time.Time) (Week, bool) {
	w := WeekOf(now, b.loc)
	first := s.Next(w.Start(b.loc).Add(-time.Second))
	if first.IsZero() || first.After(now) || WeekOf(first, b.loc) != w {
		return w, false
	}
	return w, true
}

// Location returns the time zone of the digest and of week boundaries.
func (b *Bot) Location() *time.Location { return b.loc }

// Now returns the bot's clock reading.
func (b *Bot) Now() time.Time { return b.now() }
