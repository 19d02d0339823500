package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/adapters/inflight"
	"github.com/talkbot/talkbot/adapters/webapi"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/textlimit"
)

// Callback ids of the recap form. They are public contract (issue 12):
// the manifest declares the shortcut's, and both are matched exactly.
const (
	// callbackAdd is the callback_id of the recap modal, for "talk add"
	// and "talk edit <id>" alike; the id edited travels in the view's
	// private_metadata (see formMeta).
	callbackAdd = "talk_add"
	// callbackSaveMessage is the message shortcut "Save as talk recap".
	callbackSaveMessage = "talk_save_message"
)

// triggerTTL is how long a trigger_id lasts: views.open must be called
// within this time of the command or shortcut that gave it.
const triggerTTL = 3 * time.Second

// Slack's limits for modals, in characters.
const (
	maxModalTitle  = 24
	maxInputLength = 3000 // plain_text_input's max_length
	maxPlaceholder = 150
	keyPrefixSlack = "slack:"
)

// formOpenFailure tells the user, in lang, why a form did not open.
func formOpenFailure(err error, lang i18n.Lang) string {
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); (ok && se.Err == "expired_trigger_id") || errors.Is(err, context.DeadlineExceeded) {
		return i18n.T(lang, "slack_form_late")
	}
	return i18n.T(lang, "slack_form_failed")
}

// formMeta is what a recap modal carries in its private_metadata: where
// the form was opened (the saved recap is shown there) and which recap it
// edits. Slack returns it unchanged with the submission; users cannot see
// or change it.
type formMeta struct {
	Channel string `json:"channel,omitempty"`
	Edit    string `json:"edit,omitempty"`
}

// formField is one input of the recap modal. Its block_id and action_id
// are both id, one of the recaps.Field* names.
type formField struct {
	id          string
	label       string // catalog key (bot/i18n)
	hint        string // catalog key, formatted with args
	args        []any
	placeholder string
	optional    bool
	multiline   bool
	url         bool // a url_text_input, which takes no max_length
	max         int  // max_length, in characters; 0 for none
}

// formFields are the modal's inputs, in order. Their limits come from the
// recaps package's, so that Slack refuses an overlong text as it is typed;
// Bot.Submit checks every limit again.
var formFields = []formField{
	{id: recaps.FieldTitle, label: "form_title",
		hint:        "form_title_hint",
		placeholder: "당근 채팅 시스템은 어떻게 만들까",
		max:         recaps.MaxTitle},
	{id: recaps.FieldTitleEN, label: "form_title_en", optional: true,
		hint:        "form_title_en_hint",
		placeholder: "How we built Daangn's chat system",
		max:         recaps.MaxTitle},
	{id: recaps.FieldConference, label: "form_conference",
		hint:        "form_conference_hint",
		placeholder: "당근 테크 밋업 2024",
		max:         recaps.MaxConference},
	{id: recaps.FieldSpeakers, label: "form_speakers", optional: true, multiline: true,
		hint:        "form_speakers_hint",
		placeholder: "김민수 (minsu) · 채팅팀",
		max:         recaps.MaxSpeakers * (3*recaps.MaxName + 7)}, // a line: name, handle, team, " () · ", "\n"
	{id: recaps.FieldSummary, label: "form_summary", multiline: true,
		hint: "form_summary_hint", args: []any{recaps.MaxPoints, recaps.MaxPoint},
		placeholder: "채팅 서버를 DynamoDB에서 샤딩된 PostgreSQL로 옮겼다",
		max:         min(maxInputLength, recaps.MaxPoints*(recaps.MaxPoint+1))},
	{id: recaps.FieldLessons, label: "form_lessons", optional: true, multiline: true,
		hint: "form_lessons_hint", args: []any{recaps.MaxPoints},
		placeholder: "샤딩 키는 처음부터 정하자",
		max:         min(maxInputLength, recaps.MaxPoints*(recaps.MaxPoint+1))},
	{id: recaps.FieldTags, label: "form_tags", optional: true,
		hint:        "form_tags_hint",
		placeholder: "chat, postgresql",
		max:         recaps.MaxTags * (recaps.MaxTag + len(", "))},
	{id: recaps.FieldLink, label: "form_link", optional: true, url: true,
		hint:        "form_link_hint",
		placeholder: "https://www.youtube.com/watch?v=…"},
}

// modalView builds the recap modal for f in lang, remembering meta.
func modalView(f bot.Form, meta formMeta, lang i18n.Lang) slackapi.ModalViewRequest {
	title := i18n.T(lang, "form_add_title")
	if f.Edit != "" {
		title = i18n.T(lang, "form_edit_title")
	}
	d := f.Draft
	blocks := make([]slackapi.Block, 0, len(formFields))
	for _, ff := range formFields {
		initial := strings.ToValidUTF8(*d.Field(ff.id), "\uFFFD")
		if ff.max > 0 {
			// Slack refuses a view whose initial value exceeds its
			// max_length; Submit names the limit if the cut matters.
			initial = textlimit.Prefix(initial, ff.max)
		}
		placeholder := plain(textlimit.Cut(ff.placeholder, maxPlaceholder))
		var el slackapi.BlockElement
		if ff.url {
			u := slackapi.NewURLTextInputBlockElement(placeholder, ff.id)
			u.InitialValue = initial
			el = u
		} else {
			p := slackapi.NewPlainTextInputBlockElement(placeholder, ff.id)
			p.InitialValue = initial
			p.Multiline = ff.multiline
			p.MaxLength = ff.max
			el = p
		}
		in := slackapi.NewInputBlock(ff.id, plain(i18n.T(lang, ff.label)), plain(i18n.T(lang, ff.hint, ff.args...)), el)
		in.Optional = ff.optional
		blocks = append(blocks, in)
	}
	md, _ := json.Marshal(meta) // two strings: cannot fail
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      callbackAdd,
		Title:           plain(textlimit.Cut(title, maxModalTitle)),
		Submit:          plain(i18n.T(lang, "form_save")),
		Close:           plain(i18n.T(lang, "form_cancel")),
		Blocks:          slackapi.Blocks{BlockSet: blocks},
		PrivateMetadata: string(md),
	}
}

// draftFrom reads a submitted recap modal's values.
func draftFrom(st *slackapi.ViewState) recaps.Draft {
	var d recaps.Draft
	if st == nil {
		return d
	}
	for _, ff := range formFields {
		if v, ok := st.Values[ff.id][ff.id]; ok {
			*d.Field(ff.id) = v.Value
		}
	}
	return d
}

// openForm answers a command with cmd.Form() ("talk add", "talk edit
// <id>"): it opens the recap modal with the command's trigger_id, or
// returns the reply that says why not (no store, someone else's recap).
// It returns nil when the modal opened: the command is then acknowledged
// with an empty body. Like every command it answers inline within the
// budget, and through the response_url when later.
func (a *Adapter) openForm(ctx context.Context, sc slackapi.SlashCommand, req bot.Request) *message {
	m, later, err := inflight.Answer(ctx, a.work, a.budget,
		func(ctx context.Context) *message {
			// The trigger expires 3 s after the command: give up then,
			// users.info included, rather than open nothing later.
			ctx, cancel := context.WithTimeout(ctx, triggerTTL)
			defer cancel()
			a.authorize(ctx, &req)
			f, rep := a.bot.Form(ctx, req)
			if rep != nil {
				m := a.private(*rep)
				return &m
			}
			if err := a.openModal(ctx, sc.TriggerID, modalView(f, formMeta{Channel: sc.ChannelID, Edit: f.Edit}, a.bot.Lang(req.Lang))); err != nil {
				a.log.ErrorContext(ctx, "open the recap form", "verb", string(req.Command.Verb), "err", webapi.Redact(err))
				m := notice(formOpenFailure(err, a.bot.Lang(req.Lang)))
				return &m
			}
			return nil
		},
		func() *message { m := a.slashNotice(sc, "failed"); return &m },
		func(ctx context.Context, m *message) {
			if m == nil {
				return
			}
			if err := a.respond(ctx, sc.ResponseURL, *m); err != nil {
				a.log.ErrorContext(ctx, "answer slash command through response_url", "err", webapi.Redact(err))
			}
		})
	switch {
	case err != nil:
		n := a.slashNotice(sc, "restarting")
		return &n
	case later != nil:
		later.Release()
		return nil
	}
	return m
}

// openModal calls views.open.
func (a *Adapter) openModal(ctx context.Context, trigger string, v slackapi.ModalViewRequest) error {
	if trigger == "" {
		return fmt.Errorf("views.open: the request carries no trigger_id")
	}
	if _, err := a.api.OpenViewContext(ctx, trigger, v); err != nil {
		return mapError("views.open", err)
	}
	return nil
}

// saveMessage answers the message shortcut "Save as talk recap": the
// recap modal, its summary prefilled with the message's lines. It runs in
// the background right after the acknowledgement, as the trigger_id
// expires 3 s after the click.
func (a *Adapter) saveMessage(ctx context.Context, cb slackapi.InteractionCallback) {
	channel := cb.Channel.ID
	req := bot.Request{Platform: Platform, Team: cb.Team.ID, Channel: channel, User: cb.User.ID, Command: bot.ParseCommand("add")}
	tell := func(ctx context.Context, m message) {
		if err := a.respond(ctx, cb.ResponseURL, m); err == nil {
			return
		}
		a.tell(ctx, channel, cb.User.ID, m)
	}
	err := a.work.Go(ctx, func(ctx context.Context) {
		// The trigger expires 3 s after the click: give up then.
		octx, cancel := context.WithTimeout(ctx, triggerTTL)
		defer cancel()
		a.authorize(octx, &req)
		f, rep := a.bot.Form(octx, req)
		if rep != nil {
			tell(ctx, a.private(*rep))
			return
		}
		f.Draft.Summary = messageLines(cb.Message.Text)
		if err := a.openModal(octx, cb.TriggerID, modalView(f, formMeta{Channel: channel}, a.bot.Lang(req.Lang))); err != nil {
			a.log.ErrorContext(ctx, "open the recap form", "shortcut", callbackSaveMessage, "err", webapi.Redact(err))
			tell(ctx, notice(formOpenFailure(err, a.bot.Lang(req.Lang))))
		}
	}, func(ctx context.Context) {
		tell(ctx, notice(i18n.T(a.noticeLang(bot.Request{User: req.User}), "failed")))
	})
	if err != nil {
		a.log.WarnContext(ctx, "shortcut not answered", "callback_id", cb.CallbackID, "err", err)
	}
}

// slackMarkup matches Slack's markup in message text: <@U1>, <!here>,
// <#C1|general>, <https://x|label>.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// messageLines turns a Slack message's text into plain lines for a form:
// links become "label (url)" or the url, mentions "@name" (or "@U1",
// "@channel"), channels "#name"; then Slack's escapes are undone, so that
// what the form shows is what the message showed. Empty lines go.
func messageLines(text string) string {
	text = slackMarkup.ReplaceAllStringFunc(text, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if hasLabel {
				return target[:1] + strings.TrimPrefix(strings.TrimPrefix(label, "@"), "#")
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			name, _, _ := strings.Cut(target[1:], "^")
			return "@" + name
		case hasLabel && label != target:
			return label + " (" + target + ")"
		default:
			return target
		}
	})
	text = unescaper.Replace(text)
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// submitResult is what Bot.Submit answered.
type submitResult struct {
	rep  bot.Reply
	errs recaps.FieldErrors
}

// submitView answers a view_submission. For the recap modal it calls
// Bot.Submit within the inline budget: problems come back as
// response_action "errors", shown under their fields; a saved recap
// closes the modal (nil: an empty 200) and is sent to its author
// afterwards. A Submit slower than the budget closes the modal too, and
// its outcome (the recap, or the problems with the text typed) follows as
// a message. Slack retries of one submission (same view id) save once,
// and the author gets the saved recap once.
func (a *Adapter) submitView(ctx context.Context, cb slackapi.InteractionCallback) *slackapi.ViewSubmissionResponse {
	if cb.View.CallbackID != callbackAdd {
		a.log.WarnContext(ctx, "ignoring the submission of a view talkbot did not open", "callback_id", cb.View.CallbackID)
		return nil
	}
	var meta formMeta
	if cb.View.PrivateMetadata != "" {
		if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil {
			a.bot.Reject(ctx, Platform, "malformed private_metadata")
			return nil
		}
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.View.TeamID
	}
	verb := bot.VerbAdd
	if meta.Edit != "" {
		verb = bot.VerbEdit
	}
	sub := bot.Submission{
		Request: bot.Request{Platform: Platform, Team: team, Channel: meta.Channel, User: cb.User.ID, Command: bot.Command{Verb: verb, Arg: meta.Edit}},
		Author:  cb.User.Name,
		Draft:   draftFrom(cb.View.State),
		Edit:    meta.Edit,
		Key:     keyPrefixSlack + cb.View.ID,
	}
	if cb.View.ID == "" {
		sub.Key = "" // no id to recognise a retry by
	}
	deliver := func(ctx context.Context, r submitResult) {
		m := a.private(r.rep)
		if r.errs != nil {
			m = notice(lateProblems(r.errs, sub.Draft, a.bot.Lang(sub.Lang)))
		}
		a.tell(ctx, meta.Channel, sub.User, m)
	}
	r, later, err := inflight.Answer(ctx, a.work, a.budget,
		func(ctx context.Context) submitResult {
			if sub.Edit != "" {
				sub.CanManage = a.canManage(ctx, sub.User)
			}
			sub.Lang = a.userLang(ctx, sub.User) // cached when the form opened
			rep, errs := a.bot.Submit(ctx, sub)
			return submitResult{rep, errs}
		},
		func() submitResult {
			lang := a.noticeLang(bot.Request{User: sub.User, Command: bot.Command{Arg: sub.Draft.Title}})
			return submitResult{rep: bot.Reply{Intro: i18n.T(lang, "failed"), Outcome: bot.OutcomeError, Lang: lang}}
		},
		deliver)
	switch {
	case err != nil:
		return a.formRestarting(sub.User, sub.Draft)
	case later != nil:
		later.Release()
		return nil
	case r.errs != nil:
		return slackapi.NewErrorsViewSubmissionResponse(r.errs)
	}
	if sub.Key != "" && !a.saved.add(sub.Key, a.now()) {
		return nil // a retry: the author has the recap already
	}
	if err := a.work.Go(ctx, func(ctx context.Context) { deliver(ctx, r) }, nil); err != nil {
		a.log.WarnContext(ctx, "saved recap not shown to its author", "err", err)
	}
	return nil
}

// formRestarting answers the submission of form d by user once the
// adapter is stopping: the modal stays open, with the "restarting" notice
// under the title, in the language noticeLang finds for the user and the
// title typed.
func (a *Adapter) formRestarting(user string, d recaps.Draft) *slackapi.ViewSubmissionResponse {
	return slackapi.NewErrorsViewSubmissionResponse(map[string]string{recaps.FieldTitle: i18n.T(a.noticeLang(bot.Request{User: user, Command: bot.Command{Arg: d.Title}}), "restarting")})
}

// lateProblems says what was wrong with a form whose check came too late
// to show in the modal, and gives back what was typed, so nothing is lost.
func lateProblems(errs recaps.FieldErrors, d recaps.Draft, lang i18n.Lang) string {
	var b strings.Builder
	b.WriteString(i18n.T(lang, "slack_late_not_saved") + "\n")
	for _, ff := range formFields {
		if msg, ok := errs[ff.id]; ok {
			fmt.Fprintf(&b, "• %s: %s\n", i18n.T(lang, ff.label), msg)
		}
	}
	b.WriteString("\n" + i18n.T(lang, "slack_late_typed") + "\n")
	for _, ff := range formFields {
		if v := strings.TrimSpace(*d.Field(ff.id)); v != "" {
			fmt.Fprintf(&b, "%s:\n%s\n", i18n.T(lang, ff.label), v)
		}
	}
	return cut(esc(b.String()), maxFallbackText)
}

// tell sends m privately to user: as an ephemeral message in channel
// (chat.postEphemeral), or, when there is no channel or that fails (a
// channel the bot is not in), as a DM from the app (chat.postMessage to
// the user id).
func (a *Adapter) tell(ctx context.Context, channel, user string, m message) {
	if channel != "" {
		err := a.ephemeral(ctx, channel, user, m)
		if err == nil {
			return
		}
		a.log.InfoContext(ctx, "ephemeral message failed; sending a DM", "channel", channel, "err", err)
	}
	if _, err := a.post(ctx, user, "", m); err != nil {
		a.log.ErrorContext(ctx, "send a private message", "user", user, "err", err)
	}
}

// ephemeral posts m to user in channel with chat.postEphemeral.
func (a *Adapter) ephemeral(ctx context.Context, channel, user string, m message) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slackapi.MsgOptionBlocks(m.Blocks...))
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		return mapError("chat.postEphemeral", err)
	}
	return nil
}
