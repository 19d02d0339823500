package slack

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/bot"
)

// The handlers in this file are shared by the HTTP endpoints and Socket
// Mode. They run after the request was authenticated and parsed; each
// returns quickly and leaves slow work to background jobs (spawn).

const responseEphemeral = "ephemeral"

// unescaper undoes Slack's escaping of user text in slash commands and
// message events.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// slash answers a slash command. It waits up to the inline budget (or until
// ctx ends) for the answer and returns it as the immediate ephemeral
// response. When the answer takes longer, or always for subscription
// changes (which look up the user's role first), it returns nil, meaning
// "acknowledge with an empty body", and the answer goes to the command's
// response_url when ready.
func (a *Adapter) slash(ctx context.Context, sc slackapi.SlashCommand) *message {
	text := unescaper.Replace(sc.Text)
	req := bot.Request{Platform: Platform, Team: sc.TeamID, Channel: sc.ChannelID, User: sc.UserID, Text: text}
	cmd := bot.ParseCommand(text)
	if !usesStore(cmd) && a.budget > 0 {
		// Searches and listings are answered from memory in microseconds:
		// answer inline, without a background job.
		m := a.private(a.bot.Handle(ctx, req))
		return &m
	}

	// Commands that touch the store (or look up the user's role) may be
	// slow: the job hands its answer to this function while it is waiting for
	// it, and posts it to the response_url once it has given up: exactly
	// one of the two happens.
	answer := make(chan message)
	gaveUp := make(chan struct{})
	started := a.spawn(func(ctx context.Context) {
		a.authorize(ctx, &req)
		m := a.private(a.bot.Handle(ctx, req))
		select {
		case answer <- m:
		case <-gaveUp:
			if err := a.respond(ctx, sc.ResponseURL, m); err != nil {
				a.log.ErrorContext(ctx, "answer slash command through response_url", "err", redact(err))
			}
		}
	})
	if !started {
		return &message{ResponseType: responseEphemeral, Text: "talkbot is restarting. Please try again in a moment."}
	}
	if needsManage(cmd) || a.budget <= 0 {
		close(gaveUp)
		return nil
	}
	t := time.NewTimer(a.budget)
	defer t.Stop()
	select {
	case m := <-answer:
		return &m
	case <-t.C:
	case <-ctx.Done():
	}
	close(gaveUp)
	return nil
}

// private renders rep as an ephemeral answer.
func (a *Adapter) private(rep bot.Reply) message {
	return a.answers.render(rep, view{}, responseEphemeral)
}

// redact removes URLs from err's text for logging: a response_url
// (hooks.slack.com/commands/T…/…/secret) lets anyone answer as the app,
// and transport errors (*url.Error) quote it whole. Only scheme and host
// are kept. Errors without a URL come back unchanged.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.URL == "" {
		return err
	}
	keep := "(url)"
	if u, perr := url.Parse(ue.URL); perr == nil {
		keep = u.Scheme + "://" + u.Host + "/…"
	}
	return errors.New(strings.ReplaceAll(err.Error(), ue.URL, keep))
}

// usesStore reports whether a command reads or writes the store, which may
// block on disk, so that its answer must not hold up the acknowledgement.
func usesStore(cmd bot.Command) bool {
	switch cmd.Verb {
	case bot.VerbWeek, bot.VerbSubscribe, bot.VerbUnsubscribe, bot.VerbSubscriptions:
		return true
	}
	return false
}

// interaction handles a button press, after it has been acknowledged.
func (a *Adapter) interaction(cb slackapi.InteractionCallback) {
	if cb.Type != slackapi.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	pa, ok := bot.ParseAction(act.Value)
	if !ok {
		a.log.Warn("ignoring a button the core did not make", "action_id", act.ActionID)
		return
	}
	text, page := pa.Request()
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	req := bot.Request{Platform: Platform, Team: cb.Team.ID, Channel: channel, User: cb.User.ID, Text: text, Page: page}
	a.spawn(func(ctx context.Context) {
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
		if err := a.respond(ctx, cb.ResponseURL, m); err != nil {
			a.log.ErrorContext(ctx, "answer button through response_url", "kind", string(pa.Kind), "err", redact(err))
		}
	})
}

// share posts rep publicly in the channel, attributed to the user who
// pressed the button, and removes the private answer it came from.
func (a *Adapter) share(ctx context.Context, cb slackapi.InteractionCallback, req bot.Request, rep bot.Reply) {
	m := render(rep, view{public: true, sharedBy: req.User})
	if _, err := a.post(ctx, req.Channel, cb.Container.ThreadTs, m); err != nil {
		a.log.WarnContext(ctx, "share to channel", "channel", req.Channel, "err", err)
		note := "Sorry, sharing failed on our side. Please try again shortly."
		if errors.Is(err, bot.ErrChannelGone) {
			note = "I can't post in this channel. Invite me first (`/invite @talkbot`), then share again."
		}
		if err := a.respond(ctx, cb.ResponseURL, message{ResponseType: responseEphemeral, Text: note}); err != nil {
			a.log.ErrorContext(ctx, "answer button through response_url", "kind", "share", "err", redact(err))
		}
		return
	}
	if cb.Container.IsEphemeral {
		if err := a.respond(ctx, cb.ResponseURL, message{DeleteOriginal: true}); err != nil {
			a.log.WarnContext(ctx, "delete shared ephemeral answer", "err", redact(err))
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
// mentions and DMs are answered as queries, once per event id.
func (a *Adapter) event(env eventEnvelope, retry int, retryReason string) {
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
		a.log.Info("ignoring a repeated event", "event_id", env.EventID, "retry", retry, "retry_reason", retryReason)
		return
	}
	a.spawn(func(ctx context.Context) {
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
		req := bot.Request{Platform: Platform, Team: env.TeamID, Channel: ev.Channel, User: ev.User, Text: text}
		a.authorize(ctx, &req)
		m := render(a.bot.Handle(ctx, req), view{public: true})
		thread := ev.ThreadTS
		if thread == "" && ev.Type == "app_mention" {
			thread = ev.TS
		}
		if _, err := a.post(ctx, ev.Channel, thread, m); err != nil {
			a.log.ErrorContext(ctx, "answer event", "event", ev.Type, "channel", ev.Channel, "err", err)
		}
	})
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
	if u, err := url.Parse(responseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
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
