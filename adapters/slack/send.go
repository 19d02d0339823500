package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/bot"
)

var (
	_ bot.Sender = (*Adapter)(nil)
	_ bot.Finder = (*Adapter)(nil)
	_ bot.Joiner = (*Adapter)(nil)
)

// digestEventType is the message metadata event type of digest posts; its
// payload's "key" is the key given to Send.
const digestEventType = "talkbot_digest"

// findPages bounds how far back Find looks: this many pages of 100 messages.
const findPages = 3

// Send posts r publicly in ch with chat.postMessage, tagged with message
// metadata carrying key, and returns the message's timestamp. Errors wrap
// bot.ErrChannelGone when the channel is deleted, archived or closed to the
// bot, and *bot.RateLimitError on HTTP 429.
func (a *Adapter) Send(ctx context.Context, ch bot.ChannelRef, r bot.Reply, key string) (string, error) {
	// The digest post is in its channel's language, r.Lang, and so are
	// the adapter's few words in it.
	m := render(r, view{public: true})
	ts, err := a.post(ctx, ch.Channel, "", m, slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
		EventType:    digestEventType,
		EventPayload: map[string]any{"key": key},
	}))
	if err != nil {
		return "", fmt.Errorf("post digest to %s: %w", ch, err)
	}
	return ts, nil
}

// Find looks through the channel's recent history for a message whose
// digest metadata has the given key, and returns its timestamp. It reads
// up to 300 messages. Errors are mapped as Send's are.
func (a *Adapter) Find(ctx context.Context, ch bot.ChannelRef, key string) (string, bool, error) {
	p := &slackapi.GetConversationHistoryParameters{ChannelID: ch.Channel, Limit: 100, IncludeAllMetadata: true}
	for range findPages {
		h, err := a.api.GetConversationHistoryContext(ctx, p)
		if err != nil {
			return "", false, fmt.Errorf("find digest in %s: %w", ch, mapError("conversations.history", err))
		}
		for _, msg := range h.Messages {
			md := msg.Metadata
			if md.EventType == digestEventType && md.EventPayload["key"] == key {
				return msg.Timestamp, true, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			break
		}
		p.Cursor = h.ResponseMetaData.NextCursor
	}
	return "", false, nil
}

// Join implements bot.Joiner: it makes the bot a member of a public
// channel with conversations.join, so that Find can read the channel's
// history (conversations.history answers not_in_channel otherwise, even
// where chat:write.public lets the bot post). Private channels, DMs and
// group DMs cannot be joined: for them, and when joining fails otherwise
// (an app installed without channels:join), Join checks that the bot can
// read the history, and returns an error wrapping bot.ErrNotInvited when it
// cannot. A 429 returns a *bot.RateLimitError.
func (a *Adapter) Join(ctx context.Context, ch bot.ChannelRef) error {
	_, _, _, err := a.api.JoinConversationContext(ctx, ch.Channel)
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[slackapi.SlackErrorResponse](err); !ok {
		return fmt.Errorf("join %s: %w", ch, mapError("conversations.join", err)) // a 429 or the network
	}
	_, err = a.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: ch.Channel, Limit: 1})
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && (se.Err == "channel_not_found" || se.Err == "not_in_channel") {
		return fmt.Errorf("join %s: %w: %w", ch, bot.ErrNotInvited, err)
	}
	if err != nil {
		return fmt.Errorf("join %s: %w", ch, mapError("conversations.history", err))
	}
	return nil
}

// post sends m to a channel (in a thread when thread is set) with
// chat.postMessage and returns the message's timestamp.
func (a *Adapter) post(ctx context.Context, channel, thread string, m message, extra ...slackapi.MsgOption) (string, error) {
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(m.Text, false),
		slackapi.MsgOptionBlocks(m.Blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
	}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, append(opts, extra...)...)
	if err != nil {
		return "", mapError("chat.postMessage", err)
	}
	return ts, nil
}

// isGone reports whether a Web API error means that posting to the channel
// cannot succeed until someone changes the channel or the bot's access.
func isGone(code string) bool {
	switch code {
	case "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "access_denied":
		return true
	}
	return false
}

// mapError translates slack-go errors into the core's: ErrChannelGone and
// *bot.RateLimitError.
func mapError(op string, err error) error {
	if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
		return fmt.Errorf("%s: %w", op, &bot.RateLimitError{RetryAfter: rl.RetryAfter})
	}
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && isGone(se.Err) {
		return fmt.Errorf("%s: %w: %w", op, bot.ErrChannelGone, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
