package discord

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/textlimit"
)

// The recap form's custom ids (public names: keep them).
//
//   - talk_add: the modal of /talk query:add, which shares a new recap.
//   - talk_add:<id>: the modal of /talk query:edit <id>, which changes the
//     recap <id>; the id travels in the modal, so the form needs no state.
//   - talk_add#<token>: the same for a recap whose id is too long for the
//     100 characters of a custom id; the id is kept in memory under the
//     token (see drafts), like the typed text of a refused form.
//   - talk_add_reopen:<token>: the button under a refused form's problems,
//     which reopens the modal with what was typed (kept under the token).
//
// The text inputs' custom ids are the core's field names: recaps.FieldTitle,
// FieldConference, FieldSpeakers, FieldSummary and FieldLessons.
const (
	formID       = "talk_add"
	formEdit     = formID + ":"
	formEditLong = formID + "#"
	reopenPrefix = "talk_add_reopen:"
)

// Discord's limits for modals.
const (
	maxModalTitle   = 45
	maxInputLabel   = 45
	maxPlaceholder  = 100
	maxInputValue   = 4000 // a text input's max_length, and its value
	maxModalInputs  = 5
	draftTTL        = 30 * time.Minute
	maxKeptDrafts   = 256
	draftTTLMinutes = int(draftTTL / time.Minute)
)

// modalData is the data of an interaction response of type 9 (a modal).
type modalData struct {
	CustomID   string                       `json:"custom_id"`
	Title      string                       `json:"title"`
	Components []discordgo.MessageComponent `json:"components"`
}

// input is one text input of the recap form.
type input struct {
	id          string // recaps.Field…
	label       string // catalog key (bot/i18n) of a text of at most 45 characters
	placeholder string // catalog key of a text of at most 100
	style       discordgo.TextInputStyle
	required    bool
	max         int // characters, from recaps' limits, at most 4000
}

// formInputs are the five text inputs of the recap form, in order: a
// Discord modal holds at most five. The other fields of a recap (title_en,
// tags, link) are not asked for: the core tags a recap with the glossary
// terms and #hashtags of its text, and an edit keeps the three as they
// were (see save). Speakers is a paragraph too, since it takes one
// speaker per line.
var formInputs = []input{
	{recaps.FieldTitle, "dform_title", "dform_title_hint",
		discordgo.TextInputShort, true, recaps.MaxTitle},
	{recaps.FieldConference, "dform_conference", "dform_conference_hint",
		discordgo.TextInputShort, true, recaps.MaxConference},
	{recaps.FieldSpeakers, "dform_speakers", "dform_speakers_hint",
		discordgo.TextInputParagraph, false,
		// MaxSpeakers lines of "name (handle) · team", each part MaxName.
		min(maxInputValue, recaps.MaxSpeakers*(3*recaps.MaxName+utf8.RuneCountInString(" () · "))+recaps.MaxSpeakers-1)},
	{recaps.FieldSummary, "dform_summary", "dform_summary_hint",
		discordgo.TextInputParagraph, true, min(maxInputValue, recaps.MaxPoints*(recaps.MaxPoint+1)-1)},
	{recaps.FieldLessons, "dform_lessons", "dform_lessons_hint",
		discordgo.TextInputParagraph, false, min(maxInputValue, recaps.MaxPoints*(recaps.MaxPoint+1)-1)},
}

// fieldNames are the catalog keys (bot/i18n) of a recap's field names,
// used in the list of a form's problems and in notices about a field.
var fieldNames = map[string]string{
	recaps.FieldTitle:      "form_title",
	recaps.FieldTitleEN:    "form_title_en",
	recaps.FieldConference: "form_conference",
	recaps.FieldSpeakers:   "form_speakers",
	recaps.FieldSummary:    "form_summary",
	recaps.FieldLessons:    "form_lessons",
	recaps.FieldTags:       "form_tags",
	recaps.FieldLink:       "form_link",
}

// fieldOrder is the order problems are listed in: the form's, then the
// fields the Discord form does not show.
var fieldOrder = []string{recaps.FieldTitle, recaps.FieldConference, recaps.FieldSpeakers, recaps.FieldSummary,
	recaps.FieldLessons, recaps.FieldTags, recaps.FieldTitleEN, recaps.FieldLink}

// formModal returns the modal that opens the recap form prefilled with d,
// editing the recap edit ("" for a new one), for user; or, when d does not
// fit a Discord text input (a recap written elsewhere may be longer), the
// message that says so.
func (a *Adapter) formModal(ctx context.Context, user, edit string, d recaps.Draft, lang i18n.Lang) response {
	m := modalData{CustomID: formID, Title: i18n.T(lang, "form_add_title")}
	if edit != "" {
		m.Title = i18n.T(lang, "dform_edit_title")
		m.CustomID = formEdit + edit
		if len(m.CustomID) > maxCustomID {
			m.CustomID = formEditLong + a.drafts.put(ctx, pending{user: user, edit: edit})
		}
	}
	for _, in := range formInputs {
		v := strings.ToValidUTF8(*d.Field(in.id), "\uFFFD")
		// max_length is the recap's limit; a prefilled value that counts
		// more in UTF-16 units (emoji) but is within the limit in
		// characters raises it, so that Discord accepts the modal. The
		// core checks the limit in characters either way.
		n := max(in.max, textlimit.Width(v))
		if n > maxInputValue {
			return notice(i18n.T(lang, "discord_too_long", i18n.T(lang, fieldNames[in.id]), maxInputValue))
		}
		m.Components = append(m.Components, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{CustomID: in.id, Label: i18n.T(lang, in.label, recaps.MaxPoints), Placeholder: i18n.T(lang, in.placeholder, recaps.MaxPoints), Style: in.style,
				Required: in.required, MaxLength: n, Value: v},
		}})
	}
	return response{Type: discordgo.InteractionResponseModal, Data: m}
}

// draftFrom reads the typed text of a submitted recap form: the values of
// its text inputs by custom id. Inputs the form does not have are ignored.
func draftFrom(cs []discordgo.MessageComponent) recaps.Draft {
	var d recaps.Draft
	var walk func([]discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			switch c := c.(type) {
			case *discordgo.ActionsRow:
				walk(c.Components)
			case discordgo.ActionsRow:
				walk(c.Components)
			case *discordgo.TextInput:
				setField(&d, c.CustomID, c.Value)
			case discordgo.TextInput:
				setField(&d, c.CustomID, c.Value)
			}
		}
	}
	walk(cs)
	return d
}

func setField(d *recaps.Draft, id, v string) {
	for _, in := range formInputs {
		if in.id == id {
			*d.Field(id) = v
		}
	}
}

// openForm answers /talk query:add and /talk query:edit <id> with the
// recap form, or with the reply that says why there is none (no store, an
// unknown or shipped recap, someone else's).
func (a *Adapter) openForm(ctx context.Context, it *discordgo.Interaction, req bot.Request) (response, *inflight.Deferred) {
	lang := a.lang(req)
	return a.modalOr(ctx, it, lang, func(ctx context.Context) response {
		f, rep := a.b.Form(ctx, req)
		if rep != nil {
			return ephemeral(render(*rep, renderOpts{}))
		}
		return a.formModal(ctx, req.User, f.Edit, f.Draft, lang)
	})
}

// reopen answers the button under a refused form: the form again, with
// what was typed, while talkbot still keeps it.
func (a *Adapter) reopen(ctx context.Context, it *discordgo.Interaction, token string) (response, *inflight.Deferred) {
	r := a.request(it, bot.Command{}, 1)
	user, lang := r.User, a.lang(r)
	return a.modalOr(ctx, it, lang, func(ctx context.Context) response {
		p, ok := a.drafts.get(ctx, token, user)
		if !ok {
			return notice(i18n.T(lang, "discord_form_gone", draftTTLMinutes))
		}
		return a.formModal(ctx, user, p.edit, p.draft, lang)
	})
}

// modalOr runs f, which returns a modal or a message, in a.work. A modal
// must be the first response to its interaction: should f take longer
// than deferAfter (it reads memory only), the interaction is deferred
// and the user is asked to try again, or shown f's message. The
// adapter's own notices are in lang.
func (a *Adapter) modalOr(ctx context.Context, it *discordgo.Interaction, lang i18n.Lang, f func(context.Context) response) (response, *inflight.Deferred) {
	resp, later, err := inflight.Answer(ctx, a.work, a.deferAfter,
		func(ctx context.Context) *response { r := f(ctx); return &r },
		func() *response { return nil },
		func(ctx context.Context, r *response) {
			m := plain(i18n.T(lang, "failed"))
			if r != nil {
				if msg, ok := r.Data.(message); ok {
					m = msg
				} else {
					m = plain(i18n.T(lang, "discord_form_slow"))
				}
			}
			if err := a.editOriginal(ctx, it, m); err != nil {
				a.log.ErrorContext(ctx, "edit deferred discord response", "err", err)
			}
		})
	switch {
	case err != nil:
		return restarting(it, lang), nil
	case later != nil:
		return response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: flagsOnly{discordgo.MessageFlagsEphemeral}}, later
	case resp == nil:
		return failed(it, lang), nil
	}
	return *resp, nil
}

// submit answers a submitted recap form (interaction type 5): the saved
// recap with the usual buttons, or the form's problems with a button that
// reopens it with what was typed. The answer is ephemeral; a form reopened
// from the problems' message answers in that message's place.
//
// The submission's key is the interaction id. Discord gives every submit a
// new interaction, so a form fixed and sent again is a new submission,
// while the same interaction delivered twice (a replayed HTTP request, a
// gateway event seen again) carries the same id and is saved once.
func (a *Adapter) submit(ctx context.Context, it *discordgo.Interaction) (response, *inflight.Deferred) {
	data, _ := it.Data.(discordgo.ModalSubmitInteractionData) // ModalSubmitData panics on a gateway event without data
	req := a.request(it, bot.Command{}, 1)
	lang := a.lang(req)
	if req.User == "" { // Discord always says who submitted; a recap needs its author
		return notice(i18n.T(lang, "discord_form_no_user")), nil
	}
	edit, ok := a.formTarget(ctx, data.CustomID, req.User)
	if !ok {
		if strings.HasPrefix(data.CustomID, formEditLong) {
			return notice(i18n.T(lang, "discord_edit_expired", draftTTLMinutes)), nil
		}
		return notice(i18n.T(lang, "discord_form_unknown")), nil
	}
	typed := draftFrom(data.Components)
	m := modePrivate
	if it.Message != nil && it.Message.Flags&discordgo.MessageFlagsEphemeral != 0 {
		m = modeUpdate // reopened from the problems' message: answer in its place
	}
	return a.respond(ctx, it, lang, m, func(ctx context.Context) message {
		return a.save(ctx, it, req, edit, typed)
	})
}

// formTarget returns the recap a form's custom id edits ("" for a new
// one), and false for a custom id that is not the recap form's or whose
// kept id has expired.
func (a *Adapter) formTarget(ctx context.Context, customID, user string) (string, bool) {
	switch {
	case customID == formID:
		return "", true
	case strings.HasPrefix(customID, formEdit):
		id := strings.TrimPrefix(customID, formEdit)
		return id, id != ""
	case strings.HasPrefix(customID, formEditLong):
		p, ok := a.drafts.get(ctx, strings.TrimPrefix(customID, formEditLong), user)
		return p.edit, ok && p.edit != ""
	}
	return "", false
}

// save submits the typed form to the core and renders the answer. An edit
// keeps the fields the Discord form does not show (title_en, tags, link)
// as they are. A refused form, or one the store failed to save, is kept
// for the reopen button.
func (a *Adapter) save(ctx context.Context, it *discordgo.Interaction, req bot.Request, edit string, typed recaps.Draft) message {
	d := typed
	if edit != "" {
		r := req
		r.Command = bot.ParseCommand("edit " + edit)
		if f, rep := a.b.Form(ctx, r); rep == nil {
			d.TitleEN, d.Tags, d.Link = f.Draft.TitleEN, f.Draft.Tags, f.Draft.Link
		}
	}
	rep, errs := a.b.Submit(ctx, bot.Submission{Request: req, Author: displayName(it), Draft: d, Edit: edit, Key: platform + ":" + it.ID})
	lang := a.lang(req)
	switch {
	case errs != nil:
		return a.problems(ctx, req.User, edit, typed, errs, lang)
	case rep.Outcome == bot.OutcomeError:
		m := render(rep, renderOpts{})
		m.Content = cut(i18n.T(lang, "discord_not_saved", draftTTLMinutes), maxContent)
		m.Components = reopenRow(a.drafts.put(ctx, pending{user: req.User, edit: edit, draft: typed}), lang)
		return m
	}
	return render(rep, renderOpts{})
}

// problems lists what to fix in a refused form, field by field, with a
// button that reopens it as typed. The adapter's words are in lang; the
// problems themselves are the core's.
func (a *Adapter) problems(ctx context.Context, user, edit string, typed recaps.Draft, errs recaps.FieldErrors, lang i18n.Lang) message {
	var bullets []string
	for _, f := range fieldOrder {
		msg, ok := errs[f]
		if !ok {
			continue
		}
		if f == recaps.FieldTags {
			msg += " " + i18n.T(lang, "discord_tags_hint")
		}
		bullets = append(bullets, i18n.T(lang, fieldNames[f])+": "+msg)
	}
	for f, msg := range errs { // a field this adapter does not know
		if fieldNames[f] == "" {
			bullets = append(bullets, f+": "+msg)
		}
	}
	rep := bot.Reply{
		Title:    i18n.T(lang, "discord_problems_title"),
		Intro:    i18n.T(lang, "discord_problems_intro"),
		Sections: []bot.Section{{Bullets: bullets}},
		Footer:   i18n.T(lang, "discord_problems_footer", i18n.T(lang, "discord_fix_button"), draftTTLMinutes),
		Outcome:  bot.OutcomeUsage,
	}
	m := render(rep, renderOpts{})
	m.Components = reopenRow(a.drafts.put(ctx, pending{user: user, edit: edit, draft: typed}), lang)
	return m
}

// reopenRow is the row of the button, labelled in lang, that reopens the
// form kept under token.
func reopenRow(token string, lang i18n.Lang) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: i18n.T(lang, "discord_fix_button"), Style: discordgo.PrimaryButton, CustomID: reopenPrefix + token},
	}}}
}

// respond runs work in a.work and returns its message as the response of
// mode m (a new ephemeral message, or an update of the message the
// interaction came from), or a deferral when it takes longer than
// deferAfter, the message then following by editing @original. Once Run
// has returned, the answer is a "restarting" notice. The adapter's own
// notices are in lang.
func (a *Adapter) respond(ctx context.Context, it *discordgo.Interaction, lang i18n.Lang, m mode, work func(context.Context) message) (response, *inflight.Deferred) {
	msg, later, err := inflight.Answer(ctx, a.work, a.deferAfter,
		func(ctx context.Context) *message { v := work(ctx); return &v },
		func() *message { return nil },
		func(ctx context.Context, msg *message) {
			if msg == nil {
				v := plain(i18n.T(lang, "failed"))
				msg = &v
			}
			if err := a.editOriginal(ctx, it, *msg); err != nil {
				a.log.ErrorContext(ctx, "edit deferred discord response", "err", err)
			}
		})
	if resp, ok := notInTime(it, lang, m, later, err); ok {
		return resp, later
	}
	switch {
	case msg == nil:
		return failed(it, lang), nil
	case m == modeUpdate:
		return response{Type: discordgo.InteractionResponseUpdateMessage, Data: *msg}, nil
	}
	return ephemeral(*msg), nil
}

// ephemeral is a response with a new message only the user sees.
func ephemeral(m message) response {
	m.Flags = discordgo.MessageFlagsEphemeral
	return response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}
}

// displayName is the name a recap's author is shown with: the member's
// server nickname, else their display name, else their user name.
func displayName(it *discordgo.Interaction) string {
	switch {
	case it.Member != nil && it.Member.Nick != "":
		return it.Member.Nick
	case it.Member != nil && it.Member.User != nil:
		return it.Member.User.DisplayName()
	case it.User != nil:
		return it.User.DisplayName()
	}
	return ""
}

// drafts keeps, for a short while, what the adapter cannot put into a
// custom id of at most 100 characters: the typed text of refused forms,
// for their reopen button, and the ids of recaps too long for a form's
// custom id. Each entry is kept under a random token for draftTTL: in
// memory (at most maxKeptDrafts entries, the oldest going first, so that
// memory stays bounded whatever is submitted) and in the Bot's store,
// where every replica finds it, after a restart too. Without a store, a
// restart or another replica does not have it, and the user is told to
// start again. It is safe for concurrent use.
type drafts struct {
	now  func() time.Time
	keep keeper       // the Bot's store; nil keeps in memory only
	log  *slog.Logger // a failed Keep: the draft is then this replica's only

	mu    sync.Mutex
	m     map[string]pending
	order []string // tokens, oldest first; they expire in this order
}

// keeper keeps values for every replica: bot.Bot's Keep and Kept.
type keeper interface {
	Keep(ctx context.Context, key string, value []byte, now, until time.Time) error
	Kept(ctx context.Context, key string, now time.Time) ([]byte, error)
}

// pending is a kept form: the user it belongs to, the recap it edits ("" for
// a new one) and what was typed.
type pending struct {
	user    string
	edit    string
	draft   recaps.Draft
	expires time.Time
}

// keptForm is a pending form as the store keeps it.
type keptForm struct {
	User  string       `json:"user"`
	Edit  string       `json:"edit,omitempty"`
	Draft recaps.Draft `json:"draft"`
}

func newDrafts(now func() time.Time, keep keeper, log *slog.Logger) *drafts {
	return &drafts{now: now, keep: keep, log: cmp.Or(log, slog.New(slog.DiscardHandler)), m: map[string]pending{}}
}

// draftKey is the store's key of a kept form.
func draftKey(token string) string { return platform + ":form:" + token }

// put keeps p and returns its token, 26 characters of base32.
func (d *drafts) put(ctx context.Context, p pending) string {
	token := rand.Text()
	now := d.now()
	p.expires = now.Add(draftTTL)
	d.mu.Lock()
	for len(d.order) > 0 && (len(d.order) >= maxKeptDrafts || !now.Before(d.m[d.order[0]].expires)) {
		delete(d.m, d.order[0])
		d.order = d.order[1:]
	}
	d.m[token] = p
	d.order = append(d.order, token)
	d.mu.Unlock()
	if d.keep != nil {
		v, err := json.Marshal(keptForm{p.user, p.edit, p.draft})
		if err == nil {
			err = d.keep.Keep(ctx, draftKey(token), v, now, p.expires)
		}
		if err != nil && !errors.Is(err, bot.ErrNoStore) {
			d.log.WarnContext(ctx, "keep a refused form for other replicas; this one has it", "err", err)
		}
	}
	return token
}

// get returns the form kept under token for user, if it has not expired:
// from memory, else from the store. Another user's token is not found: a
// button is shown to its user alone, but its custom id is no proof of
// that.
func (d *drafts) get(ctx context.Context, token, user string) (pending, bool) {
	now := d.now()
	d.mu.Lock()
	p, ok := d.m[token]
	d.mu.Unlock()
	ok = ok && now.Before(p.expires)
	if !ok && d.keep != nil { // the store checks its own expiry
		v, err := d.keep.Kept(ctx, draftKey(token), now)
		var k keptForm
		if err == nil && json.Unmarshal(v, &k) == nil {
			p, ok = pending{user: k.User, edit: k.Edit, draft: k.Draft}, true
		} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
			d.log.WarnContext(ctx, "read a kept form", "err", err)
		}
	}
	if !ok || p.user != user {
		return pending{}, false
	}
	return p, true
}
