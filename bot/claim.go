package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Claimer is a Store that can claim a channel's delivery in one
// conditional write. The digest uses it, when the Store has it, to write
// the pending entry before a post, so that two digest runs that share a
// store (replicas, or two leaders by mistake) never post the same
// (week, channel) twice: of concurrent claims exactly one wins.
type Claimer interface {
	// ClaimDelivery writes d, which is pending, as the ledger entry of
	// (d.Week, d.Channel) if there is none, or if the entry there is
	// pending and was written before staleBefore. It reports whether d
	// was written; if not, it returns the entry that stands.
	ClaimDelivery(ctx context.Context, d Delivery, staleBefore time.Time) (bool, Delivery, error)
}

// claim writes j's pending entry before a post. Without a Claimer it is a
// plain MarkDelivered (one process owns the store). With one, the entry
// is written only over none, over this run's own earlier claim, or over a
// pending entry whose post can no longer land (written Timeout ago or
// more). ok is false when the post must not go now: the channel was
// delivered by another run ("skipped"), another run's post may still land
// (again, with j.at set to when it no longer can, and j.uncertain so the
// post is looked for first), or the write failed ("failed").
func (d *Digest) claim(ctx context.Context, log *slog.Logger, w Week, j *job) (outcome string, again, ok bool) {
	now := d.b.now()
	ch := j.p.Sub.ChannelRef
	pending := Delivery{Week: w, Channel: ch, TalkID: j.p.Talk.ID, At: now, Pending: true}
	c, isClaimer := d.b.store.(Claimer)
	if !isClaimer {
		if err := d.b.store.MarkDelivered(ctx, pending); err != nil {
			log.ErrorContext(ctx, "digest: mark pending", "err", err)
			return "failed", false, false
		}
		return "", false, true
	}
	// Stores keep times to the microsecond at least: an entry is stale
	// when written at or before now-Timeout (or is this run's own).
	stale := now.Add(-d.opt.Timeout)
	if j.claimed.After(stale) {
		stale = j.claimed
	}
	won, cur, err := c.ClaimDelivery(ctx, pending, stale.Add(time.Microsecond))
	switch {
	case err != nil:
		log.ErrorContext(ctx, "digest: claim delivery", "err", err)
		return "failed", false, false
	case won:
		j.claimed = now
		return "", false, true
	case !cur.Pending:
		log.InfoContext(ctx, "digest: delivered by another run", "at", cur.At)
		return "skipped", false, false
	}
	// Another run is posting it now, or died doing so: look for its post
	// once it can no longer land.
	log.InfoContext(ctx, "digest: claimed by another run; checking again when its post can no longer land", "at", cur.At)
	j.uncertain, j.landBy = true, cur.At.Add(d.opt.Timeout)
	j.at = now
	if j.landBy.After(now) {
		j.at = j.landBy
	}
	return "", true, false
}

// WeekReader is a Store that reads a week's whole ledger at once. The
// digest's plan uses it, when the Store has it, instead of one Delivered
// call per subscription (a round trip each on a database server).
type WeekReader interface {
	// WeekDeliveries returns every ledger entry of week w.
	WeekDeliveries(ctx context.Context, w Week) ([]Delivery, error)
}

// weekLedger answers Delivered from one WeekDeliveries read, or from the
// Store when it is not a WeekReader (byChannel nil).
type weekLedger struct {
	store     Store
	byChannel map[[2]string]Delivery // platform, channel
}

func (d *Digest) readLedger(ctx context.Context, w Week) (weekLedger, error) {
	l := weekLedger{store: d.b.store}
	r, ok := d.b.store.(WeekReader)
	if !ok {
		return l, nil
	}
	ds, err := r.WeekDeliveries(ctx, w)
	if err != nil {
		return l, err
	}
	l.byChannel = make(map[[2]string]Delivery, len(ds))
	for _, del := range ds {
		l.byChannel[[2]string{del.Channel.Platform, del.Channel.Channel}] = del
	}
	return l, nil
}

// delivered is Store.Delivered as of the read.
func (l weekLedger) delivered(ctx context.Context, w Week, ch ChannelRef) (Delivery, error) {
	if l.byChannel == nil {
		return l.store.Delivered(ctx, w, ch)
	}
	if del, ok := l.byChannel[[2]string{ch.Platform, ch.Channel}]; ok {
		return del, nil
	}
	return Delivery{}, fmt.Errorf("delivery of week %s to %s: %w", w, ch, ErrNotFound)
}
