package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// ErrNotFound is returned by a Store for a missing record.
var ErrNotFound = errors.New("not found")

// ChannelRef names a channel on a platform.
type ChannelRef struct {
	Platform string `json:"platform"`
	Team     string `json:"team,omitempty"`
	Channel  string `json:"channel"`
}

// String formats the channel as "platform:channel".
func (c ChannelRef) String() string { return c.Platform + ":" + c.Channel }

// ChannelOf returns the channel a request came from.
func ChannelOf(r Request) ChannelRef {
	return ChannelRef{Platform: r.Platform, Team: r.Team, Channel: r.Channel}
}

// Subscription is a channel's standing order for the weekly digest.
type Subscription struct {
	ChannelRef
	Topics []string  `json:"topics,omitempty"`
	By     string    `json:"by,omitempty"` // user who subscribed
	Since  time.Time `json:"since"`
	Paused bool      `json:"paused,omitempty"`
	// Lang is the digest's language: set with talk subscribe --lang, else
	// the subscriber's; empty (older subscriptions) means the Bot's default.
	Lang    i18n.Lang `json:"lang,omitempty"`
	Reason  string    `json:"reason,omitempty"` // why it is paused
	Updated time.Time `json:"updated"`
}

// Feature records the talk featured in one week for one topic scope.
type Feature struct {
	Week   Week   `json:"week"`
	TalkID string `json:"talk"`
}

// Delivery records one digest post, the ledger entry that makes delivery
// exactly-once across restarts.
type Delivery struct {
	Week      Week       `json:"week"`
	Channel   ChannelRef `json:"channel"`
	TalkID    string     `json:"talk"`
	MessageID string     `json:"message,omitempty"`
	At        time.Time  `json:"at"`
	// Pending marks an entry written just before the post: the post may or
	// may not have gone out.
	Pending bool `json:"pending,omitempty"`
}

// Store persists subscriptions, the history of featured talks and the
// digest's delivery ledger. Every method commits before it returns, so an
// acknowledged change survives a crash. Implementations are safe for
// concurrent use.
type Store interface {
	// Subscription returns the channel's subscription or ErrNotFound.
	Subscription(ctx context.Context, ch ChannelRef) (Subscription, error)
	// PutSubscription creates or replaces the channel's subscription.
	PutSubscription(ctx context.Context, s Subscription) error
	// DeleteSubscription removes it, or returns ErrNotFound.
	DeleteSubscription(ctx context.Context, ch ChannelRef) error
	// Subscriptions lists every subscription.
	Subscriptions(ctx context.Context) ([]Subscription, error)

	// Featured returns the talks featured for a topic scope, oldest first.
	Featured(ctx context.Context, scope string) ([]Feature, error)
	// Feature records talkID as the scope's talk of week w unless a talk
	// is already recorded for that week, and returns the recorded id.
	Feature(ctx context.Context, scope string, w Week, talkID string) (string, error)

	// Delivered returns the ledger entry for (week, channel), or ErrNotFound.
	Delivered(ctx context.Context, w Week, ch ChannelRef) (Delivery, error)
	// MarkDelivered writes a ledger entry.
	MarkDelivered(ctx context.Context, d Delivery) error

	// RecapStore keeps the recaps contributed from chat.
	RecapStore

	// KeepStore keeps what a button or a form cannot carry itself.
	KeepStore
}

// KeepStore keeps small values for a while, for every replica and across
// restarts: what a button or a chat form cannot carry in its own few
// bytes (the query of a long search's "Next results", the text of a
// refused Discord form). Times are the Bot's clock.
type KeepStore interface {
	// Keep stores value under key until until, replacing what key held,
	// and may forget values whose time ended before now.
	Keep(ctx context.Context, key string, value []byte, now, until time.Time) error
	// Kept returns the value under key while now is before its until, or
	// an error that is ErrNotFound.
	Kept(ctx context.Context, key string, now time.Time) ([]byte, error)
}

// ErrNoStore is returned by Bot.Keep when the Bot runs without a store.
var ErrNoStore = errors.New("talkbot runs without a store")

// Keep keeps value under key until until in the Bot's store, for
// adapters: what a chat form or a button cannot carry itself, found by
// every replica and after a restart (Kept). Adapters prefix their keys
// with their platform's name. Without a store it returns ErrNoStore.
func (b *Bot) Keep(ctx context.Context, key string, value []byte, now, until time.Time) error {
	if b.store == nil {
		return ErrNoStore
	}
	return b.store.Keep(ctx, key, value, now, until)
}

// Kept returns what Keep kept under key while now is before its until;
// the error is ErrNotFound when there is none (or no store).
func (b *Bot) Kept(ctx context.Context, key string, now time.Time) ([]byte, error) {
	if b.store == nil {
		return nil, fmt.Errorf("kept %q: %w", key, ErrNotFound)
	}
	return b.store.Kept(ctx, key, now)
}

// CheckKept returns what every KeepStore refuses of a Keep: an empty or
// overlong key, one that is not UTF-8 or holds a NUL, an overlong value.
func CheckKept(key string, value []byte) error {
	switch {
	case key == "" || len(key) > MaxKeptKey:
		return fmt.Errorf("keep: key of %d bytes, want 1 to %d", len(key), MaxKeptKey)
	case !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return fmt.Errorf("keep: key %q is not valid UTF-8 without NUL", key)
	case len(value) > MaxKept:
		return fmt.Errorf("keep %s: %d bytes, want at most %d", key, len(value), MaxKept)
	}
	return nil
}

// KeepSweep bounds how many ended values one Keep forgets, so that a Keep
// after a long quiet stays quick; the next ones forget the rest.
const KeepSweep = 256

// MaxKept is the largest value a KeepStore must take, in bytes; key's
// longest is MaxKeptKey.
const (
	MaxKept    = 64 << 10
	MaxKeptKey = 200
)

// Scope returns the history key of a topic filter: "" for no topics,
// otherwise the folded topics sorted and joined by commas.
func Scope(topics []string) string {
	fs := make([]string, 0, len(topics))
	for _, t := range topics {
		if f := search.Fold(t); f != "" {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs)
	return strings.Join(slices.Compact(fs), ",")
}

// pickWithHistory returns the scope's talk for week w: the recorded one if
// there is one, otherwise one chosen by the rotation among the candidates
// the current cycle has not featured yet, which it records. A cycle ends
// when every candidate has been featured; the next one starts afresh, but
// never with the talk that ended the last. Without record, the pick is
// returned and not recorded.
func (b *Bot) pickWithHistory(ctx context.Context, w Week, topics []string, cands []*recaps.Talk, record bool) (*recaps.Talk, error) {
	scope := Scope(topics)
	hist, err := b.store.Featured(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("read featured history: %w", err)
	}
	byID := map[string]*recaps.Talk{}
	for _, c := range cands {
		byID[c.ID] = c
	}
	for _, f := range hist {
		if f.Week == w {
			if t, ok := byID[f.TalkID]; ok {
				return t, nil
			}
		}
	}
	// Replay the history, oldest first, to find what the current cycle
	// has featured. Talks that are no longer candidates do not count.
	cycle := map[string]bool{}
	last := ""
	for _, f := range hist {
		if _, ok := byID[f.TalkID]; !ok || f.Week >= w {
			continue
		}
		cycle[f.TalkID] = true
		last = f.TalkID
		if len(cycle) == len(cands) {
			clear(cycle)
		}
	}
	avail := slices.DeleteFunc(slices.Clone(cands), func(t *recaps.Talk) bool {
		return cycle[t.ID] || len(cycle) == 0 && len(cands) > 1 && t.ID == last
	})
	pick := rotation(w, avail)
	if !record {
		return pick, nil
	}
	id, err := b.store.Feature(ctx, scope, w, pick.ID)
	if err != nil {
		return nil, fmt.Errorf("record featured talk: %w", err)
	}
	if t, ok := byID[id]; ok {
		return t, nil
	}
	return pick, nil
}

// subscription runs subscribe, unsubscribe and subscriptions.
func (b snapshot) subscription(ctx context.Context, r Request) Reply {
	cmd := r.Command
	if b.store == nil {
		return usage(b.msg("sub_no_store"))
	}
	if r.Channel == "" {
		return usage(b.msg("sub_no_channel"))
	}
	ch := ChannelOf(r)
	if cmd.Verb != VerbSubscriptions && !r.CanManage {
		return Reply{
			Intro:   b.msg("sub_forbidden"),
			Outcome: OutcomeForbidden,
		}
	}
	switch cmd.Verb {
	case VerbSubscribe:
		topics, lang, ok := langFlag(cmd.Args)
		if !ok {
			return usage(b.msg("sub_bad_lang", "“"+clean(lang, 20)+"”"))
		}
		if lang == "" {
			lang = string(b.lang)
		}
		for i, t := range topics {
			topics[i] = clean(t, 40)
		}
		if len(topics) > 0 && len(b.candidates(topics)) == 0 {
			return usage(b.msg("sub_empty_topics", strings.Join(topics, ", ")))
		}
		now := b.now()
		s := Subscription{ChannelRef: ch, Topics: topics, By: r.User, Since: now, Updated: now, Lang: i18n.Lang(lang)}
		if old, err := b.store.Subscription(ctx, ch); err == nil {
			s.Since = old.Since
		} else if !errors.Is(err, ErrNotFound) {
			return b.failure(ctx, "read subscription", err)
		}
		// The digest must be able to read the channel to post exactly once.
		if err := b.join(ctx, ch); errors.Is(err, ErrNotInvited) || errors.Is(err, ErrChannelGone) {
			return usage(b.msg("sub_invite"))
		} else if err != nil {
			return b.failure(ctx, "join channel for the digest", err)
		}
		if err := b.store.PutSubscription(ctx, s); err != nil {
			return b.failure(ctx, "save subscription", err)
		}
		rep := b.subscriptionReply(s)
		rep.Title = b.msg("subscribed")
		return rep
	case VerbUnsubscribe:
		err := b.store.DeleteSubscription(ctx, ch)
		if errors.Is(err, ErrNotFound) {
			return usage(b.msg("sub_none"))
		}
		if err != nil {
			return b.failure(ctx, "delete subscription", err)
		}
		return Reply{Title: b.msg("unsubscribed"), Intro: b.msg("unsubscribed_intro"), Outcome: OutcomeOK}
	default:
		s, err := b.store.Subscription(ctx, ch)
		if errors.Is(err, ErrNotFound) {
			return Reply{Intro: b.msg("sub_none_hint"), Outcome: OutcomeOK}
		}
		if err != nil {
			return b.failure(ctx, "read subscription", err)
		}
		return b.subscriptionReply(s)
	}
}

// langFlag takes "--lang ko" (or "--lang=ko") out of subscribe's words:
// it returns the other words and the language, "" when none is given. It
// reports false, with the bad value, for a language the catalog lacks.
func langFlag(args []string) (rest []string, lang string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		v, isFlag := strings.CutPrefix(strings.ToLower(a), "--lang=")
		if !isFlag && strings.EqualFold(a, "--lang") {
			isFlag = true
			if i+1 < len(args) {
				i++
				v = args[i]
			}
		}
		if !isFlag {
			rest = append(rest, a)
			continue
		}
		l, known := i18n.Parse(v)
		if !known {
			return nil, v, false
		}
		lang = string(l)
	}
	return rest, lang, true
}

// pauseReason says why a subscription is paused: the Digest stores a code
// (see reasonGone), said in the reader's language; a subscription paused
// by an older talkbot holds the English sentence itself.
func (b snapshot) pauseReason(reason string) string {
	if code, ok := legacyReasons[reason]; ok {
		reason = code
	}
	switch reason {
	case reasonGone, reasonNoAccess:
		return b.msg("pause_" + reason)
	}
	return reason
}

func (b snapshot) subscriptionReply(s Subscription) Reply {
	rep := Reply{Title: b.msg("sub_title"), Outcome: OutcomeOK}
	topics := b.msg("sub_all_talks")
	if len(s.Topics) > 0 {
		topics = strings.Join(s.Topics, ", ")
	}
	rep.Fields = append(rep.Fields, Field{b.msg("sub_topics"), topics})
	rep.Fields = append(rep.Fields, Field{b.msg("sub_language"), b.msg("lang_" + string(b.Lang(s.Lang)))})
	if b.nextDigest != nil {
		next := b.nextDigest(b.now()).In(b.loc)
		rep.Fields = append(rep.Fields, Field{b.msg("sub_next"), b.when(next) + " (" + b.loc.String() + ")"})
	}
	if s.Paused {
		rep.Fields = append(rep.Fields, Field{b.msg("sub_status"), b.msg("sub_paused", b.pauseReason(s.Reason))})
	}
	return rep
}
