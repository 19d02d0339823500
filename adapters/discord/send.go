package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
)

// errNoToken is returned by Send and Find without a bot token: channel
// messages cannot be posted with an interactions endpoint alone.
var errNoToken = errors.New("discord.bot_token is required to post channel messages")

// nonce returns the message nonce for a digest key: Discord takes at most
// 25 characters, so the key is hashed.
func nonce(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])[:25]
}

// marker returns the text that Send adds to the footer of the post for key
// and Find looks for.
func marker(key string) string { return "ref " + nonce(key)[:16] }

// Send posts r publicly in the channel ch.Channel and returns the message
// id. The message carries key as its nonce with enforce_nonce, so Discord
// answers a repeat within a few minutes with the first message instead of
// a second one, and a marker derived from key in its footer, which Find
// looks for after a crash. Mentions are suppressed.
//
// Send returns an error wrapping bot.ErrChannelGone when Discord answers
// 404 or 403 (Unknown Channel 10003, Missing Access 50001, Missing
// Permissions 50013), a *bot.RateLimitError on 429 (it does not wait), and
// other errors otherwise.
func (a *Adapter) Send(ctx context.Context, ch bot.ChannelRef, r bot.Reply, key string) (string, error) {
	if a.cfg.BotToken == "" {
		return "", fmt.Errorf("post to %s: %w", ch, errNoToken)
	}
	m := render(r, renderOpts{public: true, marker: marker(key)})
	m.Nonce, m.EnforceNonce = nonce(key), true
	msg, err := a.post(ctx, ch.Channel, m)
	if err != nil {
		return "", fmt.Errorf("post to %s: %w", ch, err)
	}
	return msg.ID, nil
}

// Find looks through the channel's 50 most recent messages for one the bot
// posted with Send and key: the crash-safety check between a post and its
// ledger entry. It returns found false when there is none; errors map as
// Send's do.
func (a *Adapter) Find(ctx context.Context, ch bot.ChannelRef, key string) (string, bool, error) {
	if a.cfg.BotToken == "" {
		return "", false, fmt.Errorf("find in %s: %w", ch, errNoToken)
	}
	self, err := a.selfID(ctx)
	if err != nil {
		return "", false, fmt.Errorf("find in %s: %w", ch, err)
	}
	endpoint := discordgo.EndpointChannelMessages(ch.Channel)
	body, err := a.s.RequestWithBucketID("GET", endpoint+"?limit=50", nil, endpoint, callOpts(ctx)...)
	if err != nil {
		return "", false, fmt.Errorf("find in %s: %w", ch, classify(err))
	}
	var msgs []*discordgo.Message
	if err := json.Unmarshal(body, &msgs); err != nil {
		return "", false, fmt.Errorf("find in %s: decode messages: %w", ch, err)
	}
	mark := marker(key)
	for _, m := range msgs {
		if m.Author == nil || m.Author.ID != self {
			continue
		}
		for _, e := range m.Embeds {
			if e.Footer != nil && strings.Contains(e.Footer.Text, mark) {
				return m.ID, true, nil
			}
		}
	}
	return "", false, nil
}

// post creates a channel message.
func (a *Adapter) post(ctx context.Context, channel string, m message) (*discordgo.Message, error) {
	endpoint := discordgo.EndpointChannelMessages(channel)
	body, err := a.s.RequestWithBucketID("POST", endpoint, m, endpoint, callOpts(ctx)...)
	if err != nil {
		return nil, classify(err)
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return &msg, nil
}

// selfID returns the bot's user id, from the gateway's Ready event or
// GET /users/@me.
func (a *Adapter) selfID(ctx context.Context) (string, error) {
	if id := a.self.Load(); id != nil {
		return *id, nil
	}
	endpoint := discordgo.EndpointUser("@me")
	body, err := a.s.RequestWithBucketID("GET", endpoint, nil, discordgo.EndpointUsers, callOpts(ctx)...)
	if err != nil {
		return "", fmt.Errorf("get bot user: %w", classify(err))
	}
	var u discordgo.User
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		return "", fmt.Errorf("get bot user: no id in answer")
	}
	a.self.Store(&u.ID)
	return u.ID, nil
}

// classify maps discordgo's errors to the core's: 404 and 403 wrap
// bot.ErrChannelGone, 429 becomes a *bot.RateLimitError.
func classify(err error) error {
	if rl, ok := errors.AsType[*discordgo.RateLimitError](err); ok && rl.TooManyRequests != nil {
		return &bot.RateLimitError{RetryAfter: rl.RetryAfter}
	}
	if re, ok := errors.AsType[*discordgo.RESTError](err); ok && re.Response != nil {
		code := 0
		if re.Message != nil {
			code = re.Message.Code
		}
		switch {
		case code == discordgo.ErrCodeUnknownChannel, code == discordgo.ErrCodeMissingAccess, code == discordgo.ErrCodeMissingPermissions,
			re.Response.StatusCode == http.StatusNotFound, re.Response.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %w", bot.ErrChannelGone, err)
		}
	}
	return err
}
