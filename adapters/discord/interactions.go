package discord

import (
	"context"
	"crypto/ed25519"
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

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

const (
	maxBody = 1 << 20 // bytes of an interaction request
	// maxSkew is how far X-Signature-Timestamp may be from the clock; a
	// signed request replayed later than that is refused.
	maxSkew = 5 * time.Minute
)

// response is an interaction response. Data is a message, a choice list or
// a deferral's flags.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

type choices struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

type flagsOnly struct {
	Flags discordgo.MessageFlags `json:"flags"`
}

// Handler returns the HTTP interactions endpoint, POST /discord/interactions
// (the caller mounts it at "/discord/"). Requests must carry a valid Ed25519
// signature of Config.PublicKey over the timestamp and body, within five
// minutes of now. It answers PING with {"type":1}; commands, autocomplete,
// buttons and modal submits with their interaction response (talk add and
// talk edit with a modal, see modal.go), deferring (and editing @original
// later) when an answer takes more than two seconds, and commands, buttons
// and submits with a "restarting" notice once Run has returned. It refuses
// other methods (405), bodies over 1 MiB (413), missing, bad or stale
// signatures (401) and malformed JSON (400), reporting each to bot.Reject.
// Without a public key every request gets 404.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/discord/interactions", a.serveInteractions)
	return mux
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	refuse := func(code int, reason string) {
		a.b.Reject(ctx, platform, reason)
		http.Error(w, http.StatusText(code), code)
	}
	if a.pub == nil {
		refuse(http.StatusNotFound, "interactions endpoint disabled: no public key")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			refuse(http.StatusRequestEntityTooLarge, "body too large")
		} else {
			refuse(http.StatusBadRequest, "read body")
		}
		return
	}
	sigHex, ts := r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp")
	if sigHex == "" || ts == "" {
		refuse(http.StatusUnauthorized, "missing signature")
		return
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(a.pub, append([]byte(ts), body...), sig) {
		refuse(http.StatusUnauthorized, "bad signature")
		return
	}
	if !a.fresh(ts) {
		refuse(http.StatusUnauthorized, "stale timestamp")
		return
	}
	var it discordgo.Interaction
	if err := json.Unmarshal(body, &it); err != nil {
		refuse(http.StatusBadRequest, "malformed json")
		return
	}
	var (
		resp  response
		later *inflight.Deferred
	)
	switch it.Type {
	case discordgo.InteractionPing:
		resp = response{Type: discordgo.InteractionResponsePong}
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete, discordgo.InteractionMessageComponent, discordgo.InteractionModalSubmit:
		a.work.Recover(ctx, func(ctx context.Context) {
			resp, later = a.interact(ctx, &it)
		}, func(context.Context) { resp = failed(&it, a.lang(a.request(&it, bot.Command{}, 1))) })
	default:
		refuse(http.StatusBadRequest, "unsupported interaction type")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		a.log.ErrorContext(ctx, "write discord interaction response", "err", err)
	}
	if later != nil {
		// The deferral must reach Discord before @original is edited:
		// flush it, then let the answer follow.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		later.Release()
	}
}

// fresh reports whether a signature timestamp (Unix seconds) is within
// maxSkew of now.
func (a *Adapter) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := a.now().Sub(time.Unix(sec, 0))
	return d < maxSkew && d > -maxSkew
}

// onInteraction answers an interaction received over the gateway with a
// REST callback; a deferred answer follows by editing @original. ctx is
// Run's: the callback keeps its values, not its end, so that an
// interaction arriving during shutdown is still told so.
func (a *Adapter) onInteraction(ctx context.Context, e *discordgo.InteractionCreate) {
	if e.Interaction == nil || e.Type == discordgo.InteractionPing {
		return
	}
	it := e.Interaction
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refuseTimeout)
	defer cancel()
	answer := func(ctx context.Context, resp response) {
		if err := a.callback(ctx, it, resp); err != nil {
			a.log.ErrorContext(ctx, "answer discord interaction", "err", err)
		}
	}
	a.work.Recover(ctx, func(ctx context.Context) {
		resp, later := a.interact(ctx, it)
		answer(ctx, resp)
		if later != nil {
			later.Release()
		}
	}, func(ctx context.Context) { answer(ctx, failed(it, a.lang(a.request(it, bot.Command{}, 1)))) })
}

// onMessage answers a direct message from a person with a channel message,
// in the bounded pool a.chats. Guild messages are not received (no guild
// message intent) and ignored.
func (a *Adapter) onMessage(ctx context.Context, e *discordgo.MessageCreate) {
	if e.Message == nil || e.GuildID != "" || e.Author == nil || e.Author.Bot || e.Author.System || strings.TrimSpace(e.Content) == "" {
		return
	}
	if a.self.Known() == e.Author.ID {
		return
	}
	answer := func(ctx context.Context, m message) {
		if _, err := a.post(ctx, e.ChannelID, m); err != nil {
			a.log.ErrorContext(ctx, "answer discord DM", "err", err)
		}
	}
	req := bot.Request{Platform: platform, Channel: e.ChannelID, User: e.Author.ID, Command: bot.ParseCommand(e.Content), Written: true}
	// A DM carries no locale: the user's last interaction's, if any.
	req.Lang, _ = a.langs.Get(req.User, a.now())
	lang := a.lang(req)
	err := a.chats.Go(ctx, func(ctx context.Context) {
		rep := a.b.Handle(ctx, req)
		answer(ctx, render(rep.Public(), renderOpts{}))
	}, func(ctx context.Context) { answer(ctx, plain(i18n.T(lang, "failed"))) })
	if errors.Is(err, inflight.ErrBusy) {
		err = a.work.Go(ctx, func(ctx context.Context) { answer(ctx, plain(i18n.T(lang, "busy"))) }, nil)
	}
	if err != nil && !errors.Is(err, inflight.ErrClosed) { // shutting down, a DM needs no answer
		a.log.WarnContext(ctx, "discord DM not answered", "err", err)
	}
}

// interact computes the response to a command, autocomplete, button or
// modal submit interaction. A command that opens a form (talk add, talk
// edit) answers with a modal (see modalOr). When the answer is not ready
// within deferAfter, resp is a deferral and later is not nil: the caller
// sends resp, then calls later.Release, and the answer follows by editing
// @original.
func (a *Adapter) interact(ctx context.Context, it *discordgo.Interaction) (resp response, later *inflight.Deferred) {
	lang := a.lang(a.request(it, bot.Command{}, 1))
	switch it.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		return a.autocomplete(it.ApplicationCommandData()), nil
	case discordgo.InteractionApplicationCommand:
		text, ok := commandText(it.ApplicationCommandData())
		if !ok {
			return notice(i18n.T(lang, "discord_unknown_command")), nil
		}
		req := a.request(it, bot.ParseCommand(text), 1)
		if req.Command.Form() {
			return a.openForm(ctx, it, req)
		}
		return a.answer(ctx, it, req, modePrivate, bot.ParsedAction{})
	case discordgo.InteractionModalSubmit:
		return a.submit(ctx, it)
	case discordgo.InteractionMessageComponent:
		id := it.MessageComponentData().CustomID
		if token, ok := strings.CutPrefix(id, reopenPrefix); ok {
			return a.reopen(ctx, it, token)
		}
		p, ok := a.b.ParseAction(id)
		if !ok {
			return notice(i18n.T(lang, "discord_old_button")), nil
		}
		cmd, page := p.Request()
		m := modePrivate
		switch {
		case p.Kind == bot.ActionShare:
			m = modeShare
		case p.Kind == bot.ActionNext && it.Message != nil && it.Message.Flags&discordgo.MessageFlagsEphemeral != 0:
			m = modeUpdate // page through the ephemeral answer in place
		}
		return a.answer(ctx, it, a.request(it, cmd, page), m, p)
	}
	return notice(i18n.T(lang, "discord_unknown_interaction")), nil
}

// notInTime returns the response to an interaction whose work did not
// answer in time: "restarting" in lang when it could not start (err), or
// the deferral of mode m when it goes on (later). It reports false when
// the answer is ready.
func notInTime(it *discordgo.Interaction, lang i18n.Lang, m mode, later *inflight.Deferred, err error) (response, bool) {
	switch {
	case err != nil:
		return restarting(it, lang), true
	case later != nil && m == modeUpdate:
		return response{Type: discordgo.InteractionResponseDeferredMessageUpdate}, true
	case later != nil:
		return response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: flagsOnly{discordgo.MessageFlagsEphemeral}}, true
	}
	return response{}, false
}

// mode is how an answer to an interaction is shown.
type mode int

const (
	modePrivate mode = iota // a new ephemeral message
	modeUpdate              // replaces the (ephemeral) message the button is on
	modeShare               // public, "Shared by" the user, if p.Public(reply); else private
)

// answer runs the request in a.work and returns its response, or a
// deferral when it takes longer than deferAfter (see interact). p is the
// button pressed, if any: a share goes public only when p.Public accepts
// its answer, so that a failed share (an error, no results, a refusal) is
// told to the user alone. Once Run has returned, the answer is a
// "restarting" notice.
//
// A share's deferral is ephemeral, since whether the answer may go public
// is not known yet; a public answer then arrives as a follow-up (see
// share).
func (a *Adapter) answer(ctx context.Context, it *discordgo.Interaction, req bot.Request, m mode, p bot.ParsedAction) (response, *inflight.Deferred) {
	lang := a.lang(req)
	public := func(rep bot.Reply) bool { return m == modeShare && p.Public(rep) }
	// A nil reply stands for one whose work panicked.
	rep, later, err := inflight.Answer(ctx, a.work, a.deferAfter,
		func(ctx context.Context) *bot.Reply {
			rep := a.b.Handle(ctx, req)
			return &rep
		},
		func() *bot.Reply { return nil },
		func(ctx context.Context, rep *bot.Reply) {
			var err error
			switch {
			case rep == nil:
				err = a.editOriginal(ctx, it, plain(i18n.T(lang, "failed")))
			case public(*rep):
				err = a.share(ctx, it, shared(*rep, req.User, lang), lang)
			default:
				err = a.editOriginal(ctx, it, render(*rep, renderOpts{}))
			}
			if err != nil {
				a.log.ErrorContext(ctx, "edit deferred discord response", "err", err)
			}
		})
	if resp, ok := notInTime(it, lang, m, later, err); ok {
		return resp, later
	}
	switch {
	case rep == nil:
		return failed(it, lang), nil
	case public(*rep):
		return response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: shared(*rep, req.User, lang)}, nil
	case m == modeUpdate:
		return response{Type: discordgo.InteractionResponseUpdateMessage, Data: render(*rep, renderOpts{})}, nil
	}
	out := render(*rep, renderOpts{})
	out.Flags = discordgo.MessageFlagsEphemeral
	return response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: out}, nil
}

// shared renders a reply shared by user for the channel: public, without
// share buttons, and naming the user (shown, not pinged).
func shared(rep bot.Reply, user string, lang i18n.Lang) message {
	o := renderOpts{content: i18n.T(lang, "shared")}
	if user != "" {
		o.content = i18n.T(lang, "shared_by_user", "<@"+user+">")
	}
	return render(rep.Public(), o)
}

// share completes a deferred share whose answer may go public: it turns
// the ephemeral deferral into a short note, then posts m as a public
// follow-up. The note comes first because the first follow-up after a
// deferral would take the deferral's place, and be ephemeral with it. If
// the follow-up fails, the note says so.
func (a *Adapter) share(ctx context.Context, it *discordgo.Interaction, m message, lang i18n.Lang) error {
	if err := a.editOriginal(ctx, it, plain(i18n.T(lang, "shared_done"))); err != nil {
		return fmt.Errorf("edit deferred share: %w", err)
	}
	if err := a.followUp(ctx, it, m); err != nil {
		if err2 := a.editOriginal(ctx, it, plain(i18n.T(lang, "share_failed"))); err2 != nil {
			a.log.ErrorContext(ctx, "edit deferred share after a failed follow-up", "err", err2)
		}
		return fmt.Errorf("post shared answer: %w", err)
	}
	return nil
}

// request builds the core request for an interaction. Members with Manage
// Channels or Administrator may manage the channel's subscription; in DMs
// nobody may.
func (a *Adapter) request(it *discordgo.Interaction, cmd bot.Command, page int) bot.Request {
	req := bot.Request{Platform: platform, Team: it.GuildID, Channel: it.ChannelID, Command: cmd, Page: page}
	// The user's client language: ko is Korean, any other English. An
	// interaction without one (none should lack it) gets the Bot's default.
	if it.Locale != "" {
		req.Lang = i18n.FromLocale(string(it.Locale))
	}
	switch {
	case it.Member != nil:
		if it.Member.User != nil {
			req.User = it.Member.User.ID
		}
		req.CanManage = it.Member.Permissions&(discordgo.PermissionManageChannels|discordgo.PermissionAdministrator) != 0
	case it.User != nil:
		req.User = it.User.ID
	}
	if req.Lang != "" && req.User != "" {
		// Remembered for the user's DMs, which carry no locale.
		now := a.now()
		a.langs.Put(req.User, req.Lang, now.Add(langTTL), now)
	}
	return req
}

// langTTL is how long a user's locale, learned from an interaction, is
// remembered for their DMs.
const langTTL = 24 * time.Hour

// lang returns the language of the answer to req, and of the adapter's own
// notices to its user: the user's Discord locale (see request), else what
// bot.Bot.LangOf chooses.
func (a *Adapter) lang(req bot.Request) i18n.Lang { return a.b.LangOf(req) }

// autocomplete suggests up to 25 completions of the focused option.
func (a *Adapter) autocomplete(d discordgo.ApplicationCommandInteractionData) response {
	partial := ""
	for _, o := range d.Options {
		if o.Focused {
			partial = stringValue(o)
		}
	}
	out := choices{Choices: []*discordgo.ApplicationCommandOptionChoice{}}
	seen := map[string]bool{}
	for _, c := range a.b.Complete(partial, maxChoices) {
		// The value is what the command runs, so it is never cut: a
		// completion longer than 100 bytes is left out. One that fits
		// in 100 bytes fits the name's 100 characters too.
		c = strings.TrimSpace(c)
		if c == "" || len(c) > maxChoice || seen[c] {
			continue
		}
		seen[c] = true
		out.Choices = append(out.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
	}
	return response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: out}
}

// refuseTimeout bounds the callback that answers a gateway interaction.
const refuseTimeout = 5 * time.Second

// restarting is the answer to an interaction that arrives once Run is
// returning: a notice in lang, or no choices for autocomplete.
func restarting(it *discordgo.Interaction, lang i18n.Lang) response {
	return short(it, i18n.T(lang, "restarting"))
}

// failed is the answer to an interaction whose work panicked: a notice in
// lang, or no choices for autocomplete.
func failed(it *discordgo.Interaction, lang i18n.Lang) response {
	return short(it, i18n.T(lang, "failed"))
}

// short is an ephemeral notice, or no choices for autocomplete.
func short(it *discordgo.Interaction, text string) response {
	if it.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: choices{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}
	}
	return notice(text)
}

// notice is a short ephemeral answer from the adapter itself.
func notice(text string) response {
	m := plain(text)
	m.Flags = discordgo.MessageFlagsEphemeral
	return response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}
}

// plain is a message of text alone, which replaces any embeds and buttons
// when it is an edit.
func plain(text string) message {
	return message{
		Content:         text,
		Embeds:          []*discordgo.MessageEmbed{},
		Components:      []discordgo.MessageComponent{},
		AllowedMentions: noMentions(),
	}
}

// callback sends an interaction response over REST (gateway interactions).
func (a *Adapter) callback(ctx context.Context, it *discordgo.Interaction, resp response) error {
	_, err := a.rest(ctx, http.MethodPost, "interactions/"+url.PathEscape(it.ID)+"/"+url.PathEscape(it.Token)+"/callback", resp)
	return err
}

// webhook returns the path of the interaction's webhook, under which its
// original response and follow-ups live.
func webhook(it *discordgo.Interaction) string {
	return "webhooks/" + url.PathEscape(it.AppID) + "/" + url.PathEscape(it.Token)
}

// followUp posts m as a new message answering the interaction: public
// unless m's flags say ephemeral.
func (a *Adapter) followUp(ctx context.Context, it *discordgo.Interaction, m message) error {
	_, err := a.rest(ctx, http.MethodPost, webhook(it), m)
	return err
}

// editOriginal replaces the interaction's original (deferred) response.
func (a *Adapter) editOriginal(ctx context.Context, it *discordgo.Interaction, m message) error {
	m.Flags = 0 // an edit cannot change flags
	_, err := a.rest(ctx, http.MethodPatch, webhook(it)+"/messages/@original", m)
	return err
}
