package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sender posts a reply to a channel on one platform: the digest's way out.
// Implementations are safe for concurrent use and must suppress mentions.
type Sender interface {
	// Send posts r publicly in ch and returns the platform's message id.
	// key identifies the post (one per week and channel); platforms that
	// can make a post idempotent or findable use it (see Finder).
	//
	// Send returns an error wrapping ErrChannelGone when the channel is gone
	// or the bot may not post there, a *RateLimitError on HTTP 429, and
	// other errors for failures worth retrying.
	Send(ctx context.Context, ch ChannelRef, r Reply, key string) (string, error)
}

// Finder is an optional Sender capability: it finds a message posted
// earlier with the given key, so that a crash between a post and its ledger
// entry does not post twice. found is false when no such message exists.
type Finder interface {
	Find(ctx context.Context, ch ChannelRef, key string) (messageID string, found bool, err error)
}

// Joiner is an optional Sender capability: Join makes the bot a member of
// ch where it can join by itself (a public Slack channel) and otherwise
// checks that it can read the channel, which Finder needs. It returns an
// error wrapping ErrNotInvited when someone in the channel must invite the
// bot first (a private channel), ErrChannelGone when the channel is gone.
type Joiner interface {
	Join(ctx context.Context, ch ChannelRef) error
}

// ErrNotInvited means the bot is not a member of a channel that it cannot
// join by itself.
var ErrNotInvited = errors.New("the bot is not a member of this channel")

// ErrChannelGone means a channel cannot receive posts: it was deleted or
// archived, or the bot was removed or lacks access. Retrying will not help.
var ErrChannelGone = errors.New("channel is gone or forbidden")

// RateLimitError is a platform's HTTP 429 answer. Global marks a limit on
// all of the bot's requests (Discord's "global": true), as opposed to one
// route or channel.
type RateLimitError struct {
	RetryAfter time.Duration
	Global     bool
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited: retry after %s", e.RetryAfter)
}

// Observer receives what the core and the adapters see, for logs and
// metrics. Implementations are safe for concurrent use.
type Observer interface {
	// Handled is called once per answered request.
	Handled(platform string, verb Verb, outcome Outcome, latency time.Duration)
	// Rejected is called for each refused inbound request (bad signature,
	// stale timestamp, malformed body), with a short reason.
	Rejected(platform, reason string)
}
