package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/adapters/webapi"
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
// id. The message carries a nonce derived from key (a hash: Discord takes
// 25 characters) with enforce_nonce, so Discord answers a repeat within a
// few minutes with the first message instead of a second one, and a marker
// derived from key in its footer, which Find looks for after a crash.
// Mentions are suppressed. Send needs a bot token.
//
// Send returns an error wrapping bot.ErrChannelGone when Discord answers
// 404 or 403 (Unknown Channel 10003, Missing Access 50001, Missing
// Permissions 50013), a *bot.RateLimitError on 429 without waiting (Global
// set for Discord's global limit), and other errors otherwise.
func (a *Adapter) Send(ctx context.Context, ch bot.ChannelRef, r bot.Reply, key string) (string, error) {
	if a.cfg.BotToken == "" {
		return "", fmt.Errorf("post to %s: %w", ch, errNoToken)
	}
	m := render(r.Public(), renderOpts{marker: marker(key)})
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
	body, err := a.channelREST(ctx, http.MethodGet, "channels/"+url.PathEscape(ch.Channel)+"/messages?limit=50", nil)
	if err != nil {
		return "", false, fmt.Errorf("find in %s: %w", ch, err)
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
	body, err := a.channelREST(ctx, http.MethodPost, "channels/"+url.PathEscape(channel)+"/messages", m)
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return &msg, nil
}

// selfID returns the bot's user id, from the gateway's Ready event or
// GET /users/@me. Concurrent callers wait for one request: a digest run's
// Finds fetch the id once, not once each.
func (a *Adapter) selfID(ctx context.Context) (string, error) {
	return a.self.Get(ctx, func(ctx context.Context) (string, error) {
		body, err := a.rest(ctx, http.MethodGet, "users/@me", nil)
		if err != nil {
			return "", fmt.Errorf("get bot user: %w", err)
		}
		var u discordgo.User
		if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
			return "", errors.New("get bot user: no id in answer")
		}
		return u.ID, nil
	})
}

// apiError is an error answer from Discord's REST API.
type apiError struct {
	Status  int
	Code    int    // Discord's JSON error code, 0 if none
	Message string // Discord's message
}

func (e *apiError) Error() string {
	return fmt.Sprintf("discord answered %d: %s (code %d)", e.Status, e.Message, e.Code)
}

// rest makes one call to Discord's REST API and returns the body of a 2xx
// answer. Channel messages and interaction responses go through here
// rather than discordgo, whose 429 error does not say whether the limit is
// global and whose rate limiter waits without a context and keeps a bucket
// per interaction token. The bot token, when there is one, is sent as
// Authorization; interaction endpoints are authorised by the token in their
// path and need none. Calls end with ctx or after the client's 20 s.
//
// A 429 returns a *bot.RateLimitError (retry_after, else the Retry-After
// header, else one second; Global from the body or the X-RateLimit-Scope
// header), without waiting; other error answers an *apiError. Errors never
// contain an interaction token (see webapi.Redact).
func (a *Adapter) rest(ctx context.Context, method, path string, in any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode %s body: %w", method, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.api+path, body)
	if err != nil {
		return nil, webapi.Redact(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", a.token)
	}
	req.Header.Set("User-Agent", userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, webapi.Redact(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s %s answer: %w", method, webapi.RedactURL(req.URL.String()), err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		var rl struct {
			RetryAfter float64 `json:"retry_after"`
			Global     bool    `json:"global"`
		}
		_ = json.Unmarshal(data, &rl) // Cloudflare's 429s are HTML
		wait := time.Duration(rl.RetryAfter * float64(time.Second))
		if wait <= 0 {
			if s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil {
				wait = time.Duration(s * float64(time.Second))
			}
		}
		if wait <= 0 {
			wait = time.Second
		}
		global := rl.Global || resp.Header.Get("X-RateLimit-Global") == "true" || resp.Header.Get("X-RateLimit-Scope") == "global"
		return nil, &bot.RateLimitError{RetryAfter: wait, Global: global}
	}
	var m struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &m)
	return nil, &apiError{Status: resp.StatusCode, Code: m.Code, Message: m.Message}
}

// channelREST is rest for a channel's endpoints: 404, 403 and the codes
// Unknown Channel (10003), Missing Access (50001) and Missing Permissions
// (50013) return an error wrapping bot.ErrChannelGone and the *apiError.
func (a *Adapter) channelREST(ctx context.Context, method, path string, in any) ([]byte, error) {
	body, err := a.rest(ctx, method, path, in)
	if e, ok := errors.AsType[*apiError](err); ok {
		switch {
		case e.Code == discordgo.ErrCodeUnknownChannel, e.Code == discordgo.ErrCodeMissingAccess, e.Code == discordgo.ErrCodeMissingPermissions,
			e.Status == http.StatusNotFound, e.Status == http.StatusForbidden:
			return nil, fmt.Errorf("%w: %w", bot.ErrChannelGone, err)
		}
	}
	return body, err
}
