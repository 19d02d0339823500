package slack

import (
	"context"
	"errors"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/adapters/webapi"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

// The handlers in this file are shared by the HTTP endpoints and Socket
// Mode. They run after the request was authenticated and parsed; each
// returns quickly and leaves the work to a.work (see package inflight).
// ctx is the request's context over HTTP and Run's in Socket Mode: the
// background work keeps its values, not its cancellation.

const (
	responseEphemeral = "ephemeral"
	responseInChannel = "in_channel"
)

// unescaper undoes Slack's escaping of user text in slash commands and
// message events.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// slash answers a slash command, every command alike: it waits up to the
// inline budget (or until ctx ends) for the answer and returns it as the
// immediate ephemeral response. When the answer takes longer, or at once
// for commands that look up the user's role first (subscribe, remove), it
// returns nil, meaning "acknowledge with an empty body", and the answer
// goes to the command's response_url when ready. "talk add" and "talk
// edit <id>" open the recap modal instead (see openForm).
func (a *Adapter) slash(ctx context.Context, sc slackapi.SlashCommand) *message {
	text := unescaper.Replace(sc.Text)
	cmd := bot.ParseCommand(text)
	req := bot.Request{Platform: Platform, Team: sc.TeamID, Channel: sc.ChannelID, User: sc.UserID, Command: cmd}
	if cmd.Form() {
		return a.openForm(ctx, sc, req)
	}
	wait := a.budget
	if cmd.NeedsManage() {
		wait = 0
	}
	m, later, err := inflight.Answer(ctx, a.work, wait,
		func(ctx context.Context) message {
			a.authorize(ctx, &req)
			return a.private(a.bot.Handle(ctx, req))
		},
		func() message { return a.slashNotice(sc, "failed") },
		func(ctx context.Context, m message) {
			if err := a.respond(ctx, sc.ResponseURL, m); err != nil {
				a.log.ErrorContext(ctx, "answer slash command through response_url", "err", webapi.Redact(err))
			}
		})
	switch {
	case err != nil:
		m = a.slashNotice(sc, "restarting")
	case later != nil:
		later.Release() // the response_url takes the answer before or after the acknowledgement
		return nil
	}
	return &m
}

// private renders rep as an ephemeral answer.
func (a *Adapter) private(rep bot.Reply) message {
	return a.answers.render(rep, view{}, responseEphemeral)
}

// notice is a short ephemeral answer from the adapter itself.
func notice(text string) message {
	return message{ResponseType: responseEphemeral, Text: text}
}

// slashNotice is the adapter's own notice key ("restarting", "failed") as
// the answer to sc, in the language noticeLang finds for its user and
// argument.
func (a *Adapter) slashNotice(sc slackapi.SlashCommand, key string) message {
	return notice(i18n.T(a.noticeLang(bot.Request{User: sc.UserID, Command: bot.ParseCommand(unescaper.Replace(sc.Text))}), key))
}

// interaction handles a button press or the message shortcut, after it
// has been acknowledged. (View submissions are answered in their
// acknowledgement: see submitView.)
func (a *Adapter) interaction(ctx context.Context, cb slackapi.InteractionCallback) {
	if cb.Type == slackapi.InteractionTypeMessageAction && cb.CallbackID == callbackSaveMessage {
		a.saveMessage(ctx, cb)
		return
	}
	if cb.Type != slackapi.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	pa, ok := a.bot.ParseAction(act.Value)
	if !ok {
		a.log.WarnContext(ctx, "ignoring a button the core did not make", "action_id", act.ActionID)
		return
	}
	cmd, page := pa.Request()
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	req := bot.Request{Platform: Platform, Team: cb.Team.ID, Channel: channel, User: cb.User.ID, Command: cmd, Page: page}
	answer := func(ctx context.Context, m message) {
		if err := a.respond(ctx, cb.ResponseURL, m); err != nil {
			a.log.ErrorContext(ctx, "answer button through response_url", "kind", string(pa.Kind), "err", webapi.Redact(err))
		}
	}
	err := a.work.Go(ctx, func(ctx context.Context) {
		a.authorize(ctx, &req)
		rep := a.bot.Handle(ctx, req)
		if pa.Public(rep) {
			a.share(ctx, cb, req, rep)
			return
		}
		m := a.private(rep)
		// "Next results" replaces the private answer it belongs to; "Show
		// full recap" adds one, keeping the list. Below a public message,
		// both answer privately.
		m.ReplaceOriginal = pa.Kind == bot.ActionNext && cb.Container.IsEphemeral
		answer(ctx, m)
	}, func(ctx context.Context) {
		answer(ctx, notice(i18n.T(a.noticeLang(bot.Request{User: req.User, Command: cmd}), "failed")))
	})
	if err != nil {
		a.log.WarnContext(ctx, "button not answered", "kind", string(pa.Kind), "err", err)
	}
}

// share posts rep publicly in the channel, attributed to the user who
// pressed the button, and removes the private answer it came from. It
// posts through the button's response_url with response_type in_channel,
// which works wherever the user may post (DMs, group DMs and private
// channels the bot is not in), and falls back to chat.postMessage only
// when that fails (an expired response_url).
func (a *Adapter) share(ctx context.Context, cb slackapi.InteractionCallback, req bot.Request, rep bot.Reply) {
	m := render(rep, view{public: true, sharedBy: req.User})
	m.ResponseType = responseInChannel
	if err := a.respond(ctx, cb.ResponseURL, m); err != nil {
		a.log.InfoContext(ctx, "share through response_url failed; posting with chat.postMessage", "channel", req.Channel, "err", webapi.Redact(err))
		if _, err := a.post(ctx, req.Channel, cb.Container.ThreadTs, m); err != nil {
			a.log.WarnContext(ctx, "share to channel", "channel", req.Channel, "err", err)
			note := i18n.T(a.bot.Lang(req.Lang), "share_failed_sorry")
			if errors.Is(err, bot.ErrChannelGone) {
				note = i18n.T(a.bot.Lang(req.Lang), "share_not_member")
			}
			if err := a.respond(ctx, cb.ResponseURL, notice(note)); err != nil {
				a.log.ErrorContext(ctx, "answer button through response_url", "kind", "share", "err", webapi.Redact(err))
			}
			return
		}
	}
	if cb.Container.IsEphemeral {
		if err := a.respond(ctx, cb.ResponseURL, message{DeleteOriginal: true}); err != nil {
			a.log.WarnContext(ctx, "delete shared ephemeral answer", "err", webapi.Redact(err))
		}
	}
}

// eventEnvelope is the part of an Events API payload the adapter reads.
type eventEnvelope struct {
	Type      string     `json:"type"`
	Challenge string     `json:"challenge"`
	TeamID    string     `json:"team_id"`
	EventID   string     `json:"event_id"`
	Event     innerEvent `json:"event"`
}

type innerEvent struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

// event handles an Events API callback, after it has been acknowledged:
// mentions and DMs are answered as queries, once per event id, by the
// bounded pool a.chats.
func (a *Adapter) event(ctx context.Context, env eventEnvelope, retry int, retryReason string) {
	ev := env.Event
	switch {
	case env.Type != "event_callback":
		return
	case ev.Type == "app_mention" && strings.HasPrefix(ev.Channel, "D"):
		return // in a DM, message.im answers
	case ev.Type == "message" && ev.ChannelType == "im":
	case ev.Type == "app_mention":
	default:
		return
	}
	if ev.Subtype != "" || ev.BotID != "" || ev.User == "" || ev.Channel == "" {
		return // edits, joins, bots (ourselves included)
	}
	if env.EventID != "" && !a.seen.add(env.EventID, a.now()) {
		a.log.InfoContext(ctx, "ignoring a repeated event", "event_id", env.EventID, "retry", retry, "retry_reason", retryReason)
		return
	}
	thread := ev.ThreadTS
	if thread == "" && ev.Type == "app_mention" {
		thread = ev.TS
	}
	answer := func(ctx context.Context, m message) {
		if _, err := a.post(ctx, ev.Channel, thread, m); err != nil {
			a.log.ErrorContext(ctx, "answer event", "event", ev.Type, "channel", ev.Channel, "err", err)
		}
	}
	// The notices before (or instead of) the answer speak the language
	// the answer would (see noticeLang).
	lang := a.noticeLang(bot.Request{User: ev.User, Command: bot.Command{Arg: stripLeadingMention(ev.Text)}, Written: true})
	failed := func(ctx context.Context) { answer(ctx, message{Text: i18n.T(lang, "failed")}) }
	err := a.chats.Go(ctx, func(ctx context.Context) {
		self, err := a.selfID(ctx)
		if err != nil {
			a.log.WarnContext(ctx, "cannot tell the bot's own messages apart by user id", "err", err)
		}
		if self != "" && ev.User == self {
			return
		}
		text := ev.Text
		if self != "" {
			text = strings.ReplaceAll(text, "<@"+self+">", " ")
		} else if ev.Type == "app_mention" {
			text = stripLeadingMention(text)
		}
		text = strings.TrimSpace(unescaper.Replace(text))
		req := bot.Request{Platform: Platform, Team: env.TeamID, Channel: ev.Channel, User: ev.User, Command: bot.ParseCommand(text), Written: true}
		a.authorize(ctx, &req)
		answer(ctx, render(a.bot.Handle(ctx, req), view{public: true}))
	}, failed)
	if errors.Is(err, inflight.ErrBusy) {
		busy := message{Text: i18n.T(lang, "busy")}
		err = a.work.Go(ctx, func(ctx context.Context) { answer(ctx, busy) }, nil)
	}
	if err != nil {
		a.log.WarnContext(ctx, "event not answered", "event", ev.Type, "err", err)
	}
}

// stripLeadingMention removes a leading "<@U…>" from text.
func stripLeadingMention(text string) string {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "<@") {
		if i := strings.IndexByte(t, '>'); i > 0 {
			return t[i+1:]
		}
	}
	return t
}

// respond sends m to a response_url.
func (a *Adapter) respond(ctx context.Context, responseURL string, m message) error {
	if !webapi.HTTPURL(responseURL) {
		return errors.New("respond: no usable response_url")
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionResponseURL(responseURL, m.ResponseType)}
	if m.Text != "" {
		opts = append(opts, slackapi.MsgOptionText(m.Text, false))
	}
	if len(m.Blocks) > 0 {
		opts = append(opts, slackapi.MsgOptionBlocks(m.Blocks...))
	}
	if m.ReplaceOriginal {
		opts = append(opts, slackapi.MsgOptionReplaceOriginal(responseURL))
	}
	if m.DeleteOriginal {
		opts = append(opts, slackapi.MsgOptionDeleteOriginal(responseURL))
	}
	if _, _, err := a.api.PostMessageContext(ctx, "", opts...); err != nil {
		return mapError("respond", err)
	}
	return nil
}
