package bot

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

// Schedule says when the digest runs; robfig/cron's Schedule satisfies it.
type Schedule interface {
	Next(time.Time) time.Time
}

// DigestOptions configures a Digest. Zero values are usable defaults.
type DigestOptions struct {
	// Senders posts to each platform, keyed by ChannelRef.Platform. A
	// Sender that is also a Joiner is asked to join a channel when it is
	// subscribed, and when reading its history fails during recovery.
	Senders map[string]Sender
	// Workers is the number of concurrent calls to the platforms; default
	// DefaultWorkers. A worker never waits out a channel's 429 or backoff:
	// the channel goes back into the queue with a time before which it is
	// not tried, and the worker takes the next channel.
	Workers int
	// Rates limits the calls to a platform's API per second (every Send,
	// Find and Join of a run counts; Discord allows 50 requests a second
	// in all); a platform not listed is not paced.
	Rates map[string]rate.Limit
	// Attempts is the most tries per channel for retryable failures;
	// default 5.
	Attempts int
	// Backoff returns the wait before retry n (1-based) of a 5xx or
	// network failure; default 500ms doubling to at most 30s, with jitter.
	Backoff func(n int) time.Duration
	// Timeout bounds one post, and the grace an in-flight post gets to
	// finish and checkpoint when the run is cancelled; default 20s. A post
	// left pending by a run that died is not taken for lost before its
	// ledger time plus Timeout, when it can no longer land.
	Timeout time.Duration
	// After waits on the clock of bot.Options.Now (delayed channels, rate
	// limit pauses); default time.After. Tests with a fake clock set both.
	After func(time.Duration) <-chan time.Time
	// Delivered is told the outcome of each channel ("sent", "skipped",
	// "recovered", "paused", "failed"), for metrics; nil means none.
	Delivered func(platform, outcome string)
}

// DefaultWorkers is the default DigestOptions.Workers, from cmd/talkbot's
// BenchmarkDigest10k (10,000 Slack channels, API latency 20 ms, 5% 429s
// with Retry-After 1, on 2 busy cores): 64 workers took 8.3–9.3 s, 128
// took 6.9–7.3 s and 256 no less (9.2–10.3 s: the ledger's commits and the
// CPU bound it, not the API). Workers wait on the network, not the CPU.
const DefaultWorkers = 128

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
	// recording tracks the ledger writes of sent posts, which workers do
	// not wait for; Run does.
	recording sync.WaitGroup
}

// NewDigest returns the digest runner over b's store, or an error if b has
// no Store. Subscribing a channel from then on asks its platform's Sender
// to join it when the Sender is a Joiner.
func (b *Bot) NewDigest(o DigestOptions) (*Digest, error) {
	if b.store == nil {
		return nil, errors.New("the digest needs a store (bot.Options.Store)")
	}
	o.Workers = cmp.Or(o.Workers, DefaultWorkers)
	o.Attempts = cmp.Or(o.Attempts, 5)
	o.Timeout = cmp.Or(o.Timeout, 20*time.Second)
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration {
			d := min(500*time.Millisecond<<(n-1), 30*time.Second)
			return d/2 + time.Duration(b.rnd(int(d/2)+1))
		}
	}
	if o.After == nil {
		o.After = time.After
	}
	d := &Digest{b: b, opt: o, log: b.log, limits: map[string]*rate.Limiter{}, pauseTo: map[string]time.Time{}}
	for p, r := range o.Rates {
		d.limits[p] = rate.NewLimiter(r, max(1, int(r)))
	}
	senders := maps.Clone(o.Senders)
	b.senders.Store(&senders)
	return d, nil
}

// maxRateLimited bounds the 429 answers one channel's post may get in a run.
const maxRateLimited = 20

// Planned is one channel's entry in a week's digest.
type Planned struct {
	Sub  Subscription
	Talk *recaps.Talk // nil when no talk matches the channel's topics
	Done bool         // the ledger has it delivered

	pending   bool      // the ledger has it pending, from a run that stopped
	pendingAt time.Time // when that run marked it
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
	ledger, err := d.readLedger(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
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
		switch del, err := ledger.delivered(ctx, w, s.ChannelRef); {
		case err == nil && del.Pending:
			p.pending, p.pendingAt = true, del.At
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

// job is one channel's delivery within a run, with what earlier tries
// in the run learnt.
type job struct {
	p   Planned
	at  time.Time // not to be tried before
	seq int       // queue order among equal times

	limited   int  // 429 answers so far
	attempts  int  // failed attempts (5xx, network) so far
	uncertain bool // the post may be out already: look before posting
	joined    bool // Join was tried after the history could not be read
	slot      bool // holds a call slot of the platform's rate limiter
	// landBy is when a pending post of an earlier run can no longer land;
	// until then not finding it proves nothing.
	landBy time.Time
	// claimed is the At of this run's pending entry, if it wrote one.
	claimed time.Time
}

// delayed is a min-heap of jobs by time, then queue order.
type delayed []*job

func (h delayed) Len() int { return len(h) }
func (h delayed) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h delayed) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayed) Push(x any)   { *h = append(*h, x.(*job)) }
func (h *delayed) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}

// result is a worker's answer for a job: an outcome, or again when the
// job goes back into the queue until job.at.
type result struct {
	j       *job
	outcome string
	again   bool
}

// Run delivers week w's digest to every active subscription that the ledger
// does not have yet. Failures are isolated per channel: a gone channel is
// paused, a rate-limited or failing one goes back into the queue until its
// Retry-After or backoff is over while the workers go on with the others,
// and a channel that keeps failing is left for the next run. When ctx is
// cancelled, no new post starts and posts in flight finish and checkpoint.
// Run returns ctx's error then. Concurrent calls run one after the other.
func (d *Digest) Run(ctx context.Context, w Week) (Report, error) {
	d.runMu.Lock() // deliveries trust the ledger as Plan read it
	defer d.runMu.Unlock()
	plan, err := d.Plan(ctx, w)
	if err != nil {
		return Report{}, err
	}
	var r Report
	var ready []*job
	for i, p := range plan {
		switch {
		case p.Done:
			r.Skipped++
			d.count(p.Sub.Platform, "skipped")
		case p.Talk != nil:
			j := &job{p: p, seq: i, uncertain: p.pending}
			if p.pending {
				j.landBy = p.pendingAt.Add(d.opt.Timeout)
			}
			ready = append(ready, j)
		}
	}
	jobs := make(chan *job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(d.opt.Workers, len(ready)) {
		wg.Go(func() {
			for j := range jobs {
				out, again := d.deliver(ctx, w, j)
				results <- result{j, out, again}
			}
		})
	}
	var later delayed
	busy := 0
	cancelled := ctx.Done()
	var reached time.Time // the time of the last timer that fired
	for {
		// A fired timer says its time has come, whatever the clock says.
		now := d.b.now()
		if reached.After(now) {
			now = reached
		}
		for len(later) > 0 && !later[0].at.After(now) {
			ready = append(ready, heap.Pop(&later).(*job))
		}
		if ctx.Err() != nil { // start nothing new; wait for those in flight
			ready, later, cancelled = nil, nil, nil
		}
		if busy == 0 && len(ready) == 0 && len(later) == 0 {
			break
		}
		var send chan *job
		var next *job
		if len(ready) > 0 {
			send, next = jobs, ready[0]
		}
		var timer <-chan time.Time
		var due time.Time
		if len(later) > 0 && len(ready) == 0 {
			due = later[0].at
			timer = d.opt.After(due.Sub(now))
		}
		select {
		case send <- next:
			ready[0] = nil
			ready = ready[1:]
			busy++
		case res := <-results:
			busy--
			if res.again {
				heap.Push(&later, res.j)
				break
			}
			switch res.outcome {
			case "sent":
				r.Sent++
			case "recovered":
				r.Recovered++
			case "skipped": // another run's claim stands (see claim)
				r.Skipped++
			case "paused":
				r.Paused++
			default:
				r.Failed++
			}
		case <-timer:
			reached = due
		case <-cancelled:
		}
	}
	close(jobs)
	wg.Wait()
	d.recording.Wait()
	d.log.InfoContext(ctx, "digest run", "week", w.String(), "sent", r.Sent, "skipped", r.Skipped, "recovered", r.Recovered, "paused", r.Paused, "failed", r.Failed)
	return r, ctx.Err()
}

func (d *Digest) count(platform, outcome string) {
	if d.opt.Delivered != nil {
		d.opt.Delivered(platform, outcome)
	}
}

// Reasons a subscription is paused with: codes, stored with it and shown
// by "talk subscriptions" in the reader's language (catalog "pause_" +
// code).
const (
	reasonGone     = "gone"      // the channel was deleted or archived, or the bot lost access
	reasonNoAccess = "no_access" // the bot cannot read the channel's history
)

// legacyReasons are the reasons talkbot stored before they were codes.
var legacyReasons = map[string]string{
	"talkbot could not post here: the channel was deleted or archived, or the bot lost access":                             reasonGone,
	"talkbot cannot read this channel, so it cannot tell whether this week's post went out: invite the bot to the channel": reasonNoAccess,
}

// deliver tries one channel's digest once: it looks for an earlier post
// when one may be out, else posts and records it. It returns the
// channel's outcome, or again with j.at set when the channel must wait
// (a 429, a backoff, a pending post that may still land).
func (d *Digest) deliver(ctx context.Context, w Week, j *job) (outcome string, again bool) {
	ch := j.p.Sub.ChannelRef
	log := d.log.With("channel", ch.String(), "week", w.String())
	defer func() {
		if !again {
			d.count(ch.Platform, outcome)
		}
	}()
	s, ok := d.opt.Senders[ch.Platform]
	if !ok {
		log.ErrorContext(ctx, "digest: no sender for platform")
		return "failed", false
	}
	// A post that started finishes and checkpoints even if the run is
	// cancelled meanwhile; it just gets no new retries.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
	defer cancel()
	key := Key(w, ch)
	talk := j.p.Talk.ID
	// uncertain: an earlier run stopped after marking the channel pending
	// (Plan read the ledger; runs are serialised, so that still holds), or
	// an attempt of this run failed in a way that may have posted. Then
	// the post is looked for before it is sent. Without a Finder there is
	// no way to tell, and the channel is posted to.
	if f, ok := s.(Finder); ok && j.uncertain {
		if d.pace(j) {
			return "", true
		}
		id, found, err := f.Find(work, ch, key)
		switch {
		case err != nil:
			return d.failed(ctx, log, j, s, "check whether an earlier post went out", err)
		case found:
			if err := d.b.store.MarkDelivered(work, Delivery{Week: w, Channel: ch, TalkID: talk, MessageID: id, At: d.b.now()}); err != nil {
				log.ErrorContext(ctx, "digest: record recovered delivery", "err", err)
				return "failed", false
			}
			return "recovered", false
		case d.b.now().Before(j.landBy):
			// The dead run's post may still be on its way: come back once
			// it can no longer land.
			log.InfoContext(ctx, "digest: earlier post not found yet; checking again when it can no longer land", "at", j.landBy)
			j.at, j.landBy = j.landBy, time.Time{}
			return "", true
		}
	}
	j.uncertain = false
	if d.pace(j) {
		return "", true
	}
	// Pending is written just before each attempt, under the attempt's own
	// deadline, so that the post cannot land after its At plus Timeout.
	send, cancelSend := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
	defer cancelSend()
	if out, again, ok := d.claim(send, log, w, j); !ok {
		return out, again
	}
	id, err := s.Send(send, ch, d.b.digestReply(w, j.p.Talk, j.p.Sub.Lang), key)
	if err != nil {
		return d.failed(ctx, log, j, s, "post", err)
	}
	done := Delivery{Week: w, Channel: ch, TalkID: talk, MessageID: id, At: d.b.now()}
	if _, ok := s.(Finder); ok {
		// The worker goes on without waiting: should this write be lost,
		// the entry stays pending and the next run finds the post. So the
		// next channel's pending write shares this one's commit. Run
		// waits for these writes before it returns.
		d.recording.Go(func() {
			rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
			defer cancel()
			if err := d.b.store.MarkDelivered(rec, done); err != nil {
				log.ErrorContext(ctx, "digest: record delivery; the next run will find the post", "err", err)
			}
		})
		return "sent", false
	}
	if err := d.b.store.MarkDelivered(work, done); err != nil {
		log.ErrorContext(ctx, "digest: record delivery", "err", err)
		return "failed", false
	}
	return "sent", false
}

// failed decides what a failed Send or Find (op) means for the job: a gone
// channel is paused (after one Join, when reading its history failed and
// the Sender can join), a 429 re-queues it after Retry-After (a global one
// also pauses the platform), and other errors re-queue it after a backoff
// until Attempts is reached.
func (d *Digest) failed(ctx context.Context, log *slog.Logger, j *job, s Sender, op string, err error) (string, bool) {
	ch := j.p.Sub.ChannelRef
	now := d.b.now()
	var rl *RateLimitError
	switch {
	case errors.Is(err, ErrChannelGone):
		reason := reasonGone
		if j.uncertain {
			// Slack answers not_in_channel to conversations.history in a
			// public channel the bot posts to without being a member.
			if jn, ok := s.(Joiner); ok && !j.joined {
				j.joined = true
				if d.wait(ctx, ch.Platform) != nil {
					return "failed", false
				}
				work, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
				jerr := jn.Join(work, ch)
				cancel()
				if jerr == nil {
					log.InfoContext(ctx, "digest: joined the channel to read its history", "err", err)
					j.at = now
					return "", true
				}
				err = fmt.Errorf("%w; join: %w", err, jerr)
			}
			reason = reasonNoAccess
		}
		log.WarnContext(ctx, "digest: cannot "+op+"; subscription paused", "err", err)
		if err := d.pause(ctx, j.p.Sub, reason); err != nil {
			log.ErrorContext(ctx, "digest: pause subscription", "err", err)
		}
		return "paused", false
	case errors.As(err, &rl):
		// A 429 is the platform pacing us, not a failure: the channel waits
		// as told while the workers go on, up to maxRateLimited times. A
		// global limit holds every call to the platform.
		j.limited++
		if j.limited > maxRateLimited {
			log.ErrorContext(ctx, "digest: still rate limited; will retry next run", "op", op, "err", err)
			return "failed", false
		}
		j.at = now.Add(rl.RetryAfter)
		if rl.Global {
			d.pausePlatform(ch.Platform, rl.RetryAfter)
			j.at = now
		}
		return "", true
	}
	if op == "post" {
		j.uncertain = true // a 5xx or a network error: the platform may have taken it
	}
	j.attempts++
	if j.attempts >= d.opt.Attempts || ctx.Err() != nil {
		log.ErrorContext(ctx, "digest: cannot "+op+"; will retry next run", "attempts", j.attempts, "err", err)
		return "failed", false
	}
	log.WarnContext(ctx, "digest: cannot "+op+"; retrying", "attempt", j.attempts, "err", err)
	j.at = now.Add(d.opt.Backoff(j.attempts))
	return "", true
}

// pause marks a subscription paused with a reason users see.
func (d *Digest) pause(ctx context.Context, s Subscription, reason string) error {
	s.Paused = true
	// The cause (the platform's error) is in the log; users see this.
	s.Reason = reason
	s.Updated = d.b.now()
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
	defer cancel()
	return d.b.store.PutSubscription(work, s)
}

// pausePlatform holds every call to a platform for at least wait.
func (d *Digest) pausePlatform(platform string, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	until := d.b.now().Add(max(wait, 100*time.Millisecond))
	if until.After(d.pauseTo[platform]) {
		d.pauseTo[platform] = until
	}
}

// pace takes the platform's next call slot for j. It returns false when
// the call may go now, and true with j.at set when j must come back later:
// after the platform's rate-limit pause, or at the limiter's next free
// slot, which j keeps meanwhile. So a paced platform holds no worker, and
// the others' channels go on.
func (d *Digest) pace(j *job) bool {
	platform := j.p.Sub.Platform
	now := d.b.now()
	d.mu.Lock()
	until := d.pauseTo[platform]
	d.mu.Unlock()
	if until.After(now) {
		j.at = until
		return true
	}
	if j.slot {
		j.slot = false
		return false
	}
	l := d.limits[platform]
	if l == nil {
		return false
	}
	if wait := l.Reserve().Delay(); wait > 0 {
		j.slot, j.at = true, now.Add(wait)
		return true
	}
	return false
}

// wait blocks until the platform's rate-limit pause is over and its rate
// limiter lets one more call through.
func (d *Digest) wait(ctx context.Context, platform string) error {
	d.mu.Lock()
	until := d.pauseTo[platform]
	d.mu.Unlock()
	if wait := until.Sub(d.b.now()); wait > 0 {
		select {
		case <-d.opt.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if l := d.limits[platform]; l != nil {
		return l.Wait(ctx)
	}
	return ctx.Err()
}

// join is the subscribe command's hook: it asks the platform's Sender to
// join ch when the Sender is a Joiner, and does nothing otherwise (no
// digest yet, or a platform whose bot can read channels without joining).
// Errors wrap ErrNotInvited when someone must invite the bot first.
func (b *Bot) join(ctx context.Context, ch ChannelRef) error {
	senders := b.senders.Load()
	if senders == nil {
		return nil
	}
	jn, ok := (*senders)[ch.Platform].(Joiner)
	if !ok {
		return nil
	}
	return jn.Join(ctx, ch)
}

// digestReply is the post a channel gets.
func (b *Bot) digestReply(w Week, t *recaps.Talk, lang i18n.Lang) Reply {
	s := b.snapshot()
	s.lang = b.Lang(lang)
	rep := s.talkReply(t, s.weekIntro(w))
	rep.Actions = nil
	rep.Lang = s.lang
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
