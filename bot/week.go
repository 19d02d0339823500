package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/talkbot/talkbot/recaps"
)

// Week identifies a calendar week: the number of weeks since Monday
// 1970-01-05 in the bot's time zone.
type Week int64

// epochMonday is the first Monday of 1970, the origin of Week numbers.
var epochMonday = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// WeekOf returns the week that contains t in loc. Weeks start on Monday.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, m, d := t.In(loc).Date()
	// Whole days since the epoch Monday, from calendar dates, so daylight
	// saving time cannot shift a week boundary; floored for dates before.
	days := (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - epochMonday.Unix()) / 86400
	if days < 0 {
		days -= 6
	}
	return Week(days / 7)
}

// Start returns the Monday that begins w, in loc.
func (w Week) Start(loc *time.Location) time.Time {
	d := epochMonday.AddDate(0, 0, int(w)*7)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// String formats the week as its Monday's date, "2026-11-23".
func (w Week) String() string { return w.Start(time.UTC).Format(time.DateOnly) }

// rotation returns the talk featured in week w among candidates, without
// history: the candidates are shuffled once per cycle of len(candidates)
// weeks by a shuffle seeded with the cycle number, and week w takes its
// place in that order. Every candidate is featured once per cycle, and the
// same week always gets the same talk.
func rotation(w Week, candidates []*recaps.Talk) *recaps.Talk {
	n := int64(len(candidates))
	if n == 0 {
		return nil
	}
	cycle, pos := int64(w)/n, int64(w)%n
	if pos < 0 {
		cycle, pos = cycle-1, pos+n
	}
	perm := rand.New(rand.NewPCG(uint64(cycle), 0x7a1b07)).Perm(int(n))
	return candidates[perm[pos]]
}

// candidates returns the talks that match every topic (all talks without
// topics), in id order so that the rotation does not depend on file order.
func (b snapshot) candidates(topics []string) []*recaps.Talk {
	out := slices.Clone(b.talks)
	for _, topic := range topics {
		match := map[string]bool{}
		hits, _ := b.index.Search(topic, -1)
		for _, h := range hits {
			match[h.Talk.ID] = true
		}
		out = slices.DeleteFunc(out, func(t *recaps.Talk) bool { return !match[t.ID] })
	}
	slices.SortFunc(out, func(a, b *recaps.Talk) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// WeekTalk returns the talk of the week that contains t, for a channel
// filtered by topics (none: every talk). It reports false when no talk
// matches the topics. Without a Store the pick is the stateless rotation;
// with one, it is the week's recorded talk, or else one the current cycle
// has not featured yet, which it records (see pickWithHistory).
func (b *Bot) WeekTalk(ctx context.Context, t time.Time, topics []string) (*recaps.Talk, bool, error) {
	talk, err := b.weekTalk(ctx, WeekOf(t, b.loc), topics)
	return talk, talk != nil, err
}

// weekTalk returns the scope's talk for week w, or nil if no talk matches
// the topics.
func (b *Bot) weekTalk(ctx context.Context, w Week, topics []string) (*recaps.Talk, error) {
	return b.weekPick(ctx, w, topics, true)
}

// weekPick is weekTalk that records a new pick only if record is set.
func (b *Bot) weekPick(ctx context.Context, w Week, topics []string, record bool) (*recaps.Talk, error) {
	cands := b.snapshot().candidates(topics)
	if len(cands) == 0 {
		return nil, nil
	}
	if b.store == nil {
		return rotation(w, cands), nil
	}
	return b.pickWithHistory(ctx, w, topics, cands, record)
}

// weekIntro labels the talk of week w.
func (b snapshot) weekIntro(w Week) string {
	return b.msg("week_intro", w.Start(b.loc).Format(b.msg("date_layout")))
}

// when writes t as a date, weekday and time in the snapshot's language.
func (b snapshot) when(t time.Time) string {
	day := ""
	if days := strings.Fields(b.msg("weekdays")); len(days) == 7 {
		day = days[t.Weekday()]
	}
	return b.msg("date_time", day, t.Format(b.msg("date_layout")), t.Format("15:04 MST"))
}

func (b snapshot) weekReply(ctx context.Context, r Request) Reply {
	var topics []string
	if b.store != nil && r.Channel != "" {
		s, err := b.store.Subscription(ctx, ChannelOf(r))
		switch {
		case err == nil:
			topics = s.Topics
		case !errors.Is(err, ErrNotFound):
			return b.failure(ctx, "read subscription", err)
		}
	}
	w := WeekOf(b.now(), b.loc)
	t, err := b.weekTalk(ctx, w, topics)
	switch {
	case err != nil:
		return b.failure(ctx, "pick talk of the week", err)
	case t == nil && len(topics) == 0:
		return usage(b.msg("no_talks"))
	case t == nil:
		return usage(b.msg("week_no_topic", strings.Join(topics, ", ")))
	}
	rep := b.talkReply(t, b.weekIntro(w))
	rep.Actions = []Action{{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, 1, "week")}}
	return rep
}
