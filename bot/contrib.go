package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// Contribution is a recap shared from chat, as the Store keeps it.
type Contribution struct {
	Talk recaps.Talk `json:"talk"`
	// Conference is the conference the recap created, when its form named
	// none of the known ones; nil otherwise.
	Conference *recaps.Conference `json:"conference,omitempty"`
	// Key identifies the form submission that saved the recap, so that a
	// retried submission is not saved twice. An edit keeps it.
	Key string `json:"key,omitempty"`
	// Tags are the tags its author typed: Talk.Tags adds those found in
	// the text, which an edit finds again in the edited text.
	Tags []string `json:"tags,omitempty"`
}

// RecapStore keeps the recaps contributed from chat. Every Store
// implements it (see Store).
type RecapStore interface {
	// Recaps returns every contributed recap, in no particular order.
	Recaps(ctx context.Context) ([]Contribution, error)
	// PutRecap creates or replaces the recap with c.Talk.ID.
	PutRecap(ctx context.Context, c Contribution) error
	// DeleteRecap removes the recap with the given talk id, or returns
	// ErrNotFound.
	DeleteRecap(ctx context.Context, id string) error
}

// Form is what a chat form for a recap opens with.
type Form struct {
	Draft recaps.Draft
	// Edit is the id of the recap the form edits; "" for a new one.
	Edit string
}

// Submission is a filled-in recap form.
type Submission struct {
	// Request says who submitted it, where, and whether they may manage
	// the channel (an admin may edit anyone's recap). Its Command is
	// ignored.
	Request
	Author string // the author's display name, shown with the recap
	Draft  recaps.Draft
	Edit   string // the id of the recap edited; "" adds one
	// Key identifies the submission (a Slack view id, a Discord
	// interaction id), so that a retry returns the recap saved the first
	// time instead of saving another.
	Key string
}

// authorID is the author id recorded with a recap: "platform:user".
func authorID(r Request) string { return r.Platform + ":" + r.User }

// Form answers "talk add" and "talk edit <id>" for an adapter that shows
// forms: the form to open, or, when there is none to open (no store, an
// unknown or shipped recap, someone else's recap), the reply that says why.
func (bot *Bot) Form(ctx context.Context, r Request) (Form, *Reply) {
	b := bot.snapshot()
	b.lang = bot.Lang(r.Lang)
	refuse := func(rep *Reply) (Form, *Reply) { rep.Lang = b.lang; return Form{}, rep }
	if rep := b.contribUnavailable(); rep != nil {
		return refuse(rep)
	}
	if r.Command.Verb != VerbEdit {
		return Form{}, nil
	}
	c, rep := b.editable(r, r.Command.Arg, "edit")
	if rep != nil {
		return refuse(rep)
	}
	conf := c.Talk.Conference
	if cf, ok := b.conference(conf); ok {
		conf = cf.Name
	}
	d := recaps.DraftOf(c.Talk, conf)
	d.Tags = strings.Join(c.Tags, ", ")
	return Form{Draft: d, Edit: c.Talk.ID}, nil
}

// contribUnavailable says why recaps cannot be contributed here, or nil.
func (b snapshot) contribUnavailable() *Reply {
	if b.store == nil {
		rep := usage(b.msg("contrib_no_store"))
		return &rep
	}
	return nil
}

// editable returns the contributed recap id if the request's user may
// change it (its author, or someone who may manage the channel), or the
// reply that refuses.
func (b snapshot) editable(r Request, id, what string) (Contribution, *Reply) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		rep := usage(b.msg("contrib_which", b.msg("verb_"+what))) // the command word in the answer's language
		return Contribution{}, &rep
	}
	c, ok := b.contrib[id]
	if !ok {
		if _, shipped := b.byID[id]; shipped {
			rep := Reply{Intro: b.msg("contrib_shipped", id), Outcome: OutcomeForbidden}
			return Contribution{}, &rep
		}
		rep := b.noResults(id, b.msg("no_contrib_id"), -1)
		return Contribution{}, &rep
	}
	if c.Talk.AuthorID != authorID(r) && !r.CanManage {
		rep := Reply{Intro: b.msg("contrib_only_author_"+what, cmpOr(c.Talk.Author, b.msg("contrib_its_author"))), Outcome: OutcomeForbidden}
		return Contribution{}, &rep
	}
	return c, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// addCommand answers "talk add" where no form can be shown (the terminal):
// chat adapters open a form instead (see Command.Form).
func (b snapshot) addCommand(_ context.Context, r Request) Reply {
	if rep := b.contribUnavailable(); rep != nil {
		return *rep
	}
	return usage(b.msg("contrib_add_form"))
}

// editCommand answers "talk edit <id>" where no form can be shown.
func (b snapshot) editCommand(_ context.Context, r Request) Reply {
	if rep := b.contribUnavailable(); rep != nil {
		return *rep
	}
	if _, rep := b.editable(r, r.Command.Arg, "edit"); rep != nil {
		return *rep
	}
	return usage(b.msg("contrib_edit_form", r.Command.Arg))
}

// removeCommand answers "talk remove <id>".
func (b snapshot) removeCommand(ctx context.Context, r Request) Reply {
	if rep := b.contribUnavailable(); rep != nil {
		return *rep
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fresh := b.Bot.snapshot()
	fresh.lang = b.lang
	c, rep := fresh.editable(r, r.Command.Arg, "remove")
	if rep != nil {
		return *rep
	}
	if err := b.store.DeleteRecap(ctx, c.Talk.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return b.failure(ctx, "delete recap", err)
	}
	b.change(func(talks map[string]*recaps.Talk, confs map[string]recaps.Conference, contrib map[string]Contribution) {
		delete(talks, c.Talk.ID)
		delete(contrib, c.Talk.ID)
	})
	return Reply{Title: b.msg("removed"), Intro: b.msg("removed_intro", c.Talk.Title, c.Talk.ID), Outcome: OutcomeOK}
}

// Submit validates a recap form with the rules of talkbot lint, saves the
// recap in the store, makes it searchable at once, and answers with it.
// A form with problems is not saved: the problems come back by field
// (recaps.FieldTitle …), in the request's language, and the reply is empty. A resubmitted form (same
// Key) answers with the recap saved the first time.
func (bot *Bot) Submit(ctx context.Context, s Submission) (Reply, recaps.FieldErrors) {
	rep, errs := bot.submit(ctx, s)
	rep.Lang = bot.Lang(s.Request.Lang)
	bot.keepArgs(ctx, rep)
	return rep, errs
}

func (bot *Bot) submit(ctx context.Context, s Submission) (Reply, recaps.FieldErrors) {
	bot.mu.Lock() // one submission at a time: ids and keys stay unique
	defer bot.mu.Unlock()
	b := bot.snapshot()
	b.lang = bot.Lang(s.Request.Lang)
	if rep := b.contribUnavailable(); rep != nil {
		return *rep, nil
	}
	if s.Key != "" {
		for _, c := range b.contrib {
			if c.Key == s.Key {
				return b.savedReply(b.byID[c.Talk.ID], "saved_intro"), nil
			}
		}
	}
	var old Contribution
	if s.Edit != "" {
		c, rep := b.editable(s.Request, s.Edit, "edit")
		if rep != nil {
			return *rep, nil
		}
		old = c
	}
	t, problems := s.Draft.Parse(bot.base.Glossary)
	if problems != nil {
		return Reply{}, problems.Text(func(key string, args ...any) string { return b.msg("form_err_"+key, args...) })
	}
	conf, created := b.resolveConference(t.Conference)
	if old.Conference != nil && old.Conference.ID == conf {
		created = old.Conference // an edit keeps the conference it created
	}
	t.Conference = conf
	now := bot.now().UTC().Format(time.RFC3339)
	if s.Edit != "" {
		t.ID, t.Author, t.AuthorID, t.Created = old.Talk.ID, old.Talk.Author, old.Talk.AuthorID, old.Talk.Created
		t.Order = old.Talk.Order
	} else {
		t.ID = recaps.TalkID(t, conf, func(id string) bool { _, ok := b.byID[id]; return ok })
		t.Author, t.AuthorID, t.Created = cmpOr(s.Author, s.User), authorID(s.Request), now
	}
	t.Updated = now
	c := Contribution{Talk: t, Conference: created, Key: s.Key, Tags: s.Draft.GivenTags()}
	if s.Edit != "" {
		c.Key = old.Key // a late retry of the first submission still finds it
	}
	if err := b.store.PutRecap(ctx, c); err != nil {
		return b.failure(ctx, "save recap", err), nil
	}
	bot.apply([]Contribution{c}, nil)
	what := "saved_intro"
	if s.Edit != "" {
		what = "updated_intro"
	}
	after := bot.snapshot()
	after.lang = b.lang
	return after.savedReply(after.byID[t.ID], what), nil
}

// savedReply shows a saved recap to its author, with the usual buttons.
func (b snapshot) savedReply(t *recaps.Talk, what string) Reply {
	rep := b.talkReply(t, b.msg(what, t.ID))
	return rep
}

// resolveConference returns the id of the known conference that name
// means — by any of its names or aliases, with or without its year — or,
// when it means none, the id of a new conference made from name.
func (b snapshot) resolveConference(name string) (string, *recaps.Conference) {
	if id, ok := b.confs[search.Fold(name)]; ok {
		return id, nil
	}
	plausible := func(w string) bool { y, err := strconv.Atoi(w); return err == nil && y > 1900 && y < 2200 }
	ids, y, ok := b.conferenceWords(search.Words(name), plausible)
	if !ok {
		ids = nil // a word that is no name: a new conference
	}
	year, _ := strconv.Atoi(y)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 1 {
		if c, ok := b.conference(ids[0]); ok && (year == 0 || c.Year == year) {
			return c.ID, nil
		}
	}
	c := recaps.NewConference(name, func(id string) bool { _, ok := b.confByID[id]; return ok })
	if c.Year == 0 {
		c.Year = b.now().Year()
	}
	return c.ID, &c
}

// LoadRecaps reads the contributed recaps from the store and makes them
// searchable, replacing those the Bot had: serve calls it at start, and
// again to take in changes other replicas made.
func (bot *Bot) LoadRecaps(ctx context.Context) error {
	if bot.store == nil {
		return nil
	}
	// Read under mu: a Submit between the read and the change would
	// otherwise be undone by it.
	bot.mu.Lock()
	defer bot.mu.Unlock()
	cs, err := bot.store.Recaps(ctx)
	if err != nil {
		return fmt.Errorf("load contributed recaps: %w", err)
	}
	bot.useRecaps(cs)
	return nil
}

// UseRecaps makes cs the contributed recaps the Bot answers with,
// replacing those it had, as LoadRecaps does with its store's: for a Bot
// without a store (talkbot ask and console) given them by whoever read
// the store.
func (bot *Bot) UseRecaps(cs []Contribution) {
	bot.mu.Lock()
	defer bot.mu.Unlock()
	bot.useRecaps(cs)
}

// useRecaps replaces the contributed recaps with cs. The caller holds mu.
func (bot *Bot) useRecaps(cs []Contribution) {
	old := bot.snapshot()
	var gone []string
	keep := make(map[string]bool, len(cs))
	for _, c := range cs {
		keep[c.Talk.ID] = true
	}
	for id := range old.contrib {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	bot.apply(cs, gone)
}

// apply adds or replaces the contributed recaps cs and removes the ones
// with the ids in gone, in the library and the index. The caller holds mu.
func (bot *Bot) apply(cs []Contribution, gone []string) {
	bot.change(func(talks map[string]*recaps.Talk, confs map[string]recaps.Conference, contrib map[string]Contribution) {
		for _, id := range gone {
			delete(talks, id)
			delete(contrib, id)
		}
		for _, c := range cs {
			if prev, ok := contrib[c.Talk.ID]; ok && reflect.DeepEqual(prev, c) {
				continue // unchanged (a reload): keep the indexed talk and its card
			}
			t := c.Talk // each contributed talk its own allocation
			talks[t.ID] = &t
			contrib[t.ID] = c
			if c.Conference != nil {
				if _, ok := confs[c.Conference.ID]; !ok {
					confs[c.Conference.ID] = *c.Conference
				}
			}
		}
	})
}

// change builds the next library from the current one as edit changes its
// talks, conferences and contributions, updates the index incrementally,
// and puts the new library in place.
func (bot *Bot) change(edit func(talks map[string]*recaps.Talk, confs map[string]recaps.Conference, contrib map[string]Contribution)) {
	old := bot.lib.Load()
	talks := make(map[string]*recaps.Talk, len(old.talks)+1)
	for _, t := range old.talks {
		talks[t.ID] = t
	}
	confs := make(map[string]recaps.Conference, len(old.conferences))
	for _, c := range old.conferences {
		confs[c.ID] = c
	}
	contrib := maps.Clone(old.contrib)
	if contrib == nil {
		contrib = map[string]Contribution{}
	}
	edit(talks, confs, contrib)
	for id, c := range confs {
		if _, ok := old.confByID[id]; !ok {
			if err := bot.index.AddConference(c); err != nil {
				bot.log.Error("index conference", "id", id, "err", err)
			}
		}
	}
	for id, t := range talks {
		var err error
		switch prev, ok := old.byID[id]; {
		case !ok:
			err = bot.index.Add(t)
		case prev != t:
			err = bot.index.Update(t)
		}
		if err != nil {
			bot.log.Error("index contributed recap", "id", id, "err", err)
		}
	}
	for id := range old.byID {
		if _, ok := talks[id]; !ok {
			if err := bot.index.Remove(id); err != nil {
				bot.log.Error("unindex recap", "id", id, "err", err)
			}
		}
	}
	list := slices.Collect(maps.Values(talks))
	confList := slices.Collect(maps.Values(confs))
	bot.lib.Store(bot.newLibrary(list, confList, contrib, old))
}
