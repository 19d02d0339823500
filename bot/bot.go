// Package bot is talkbot's chat-platform-agnostic core: it parses commands,
// searches the recap corpus, picks the talk of the week and answers with a
// neutral Reply that adapters render for Slack, Discord or a terminal. It
// imports no chat SDK.
package bot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// DefaultPageSize is the number of hits a search answer shows per page.
const DefaultPageSize = 5

// Request is one command from a user, in platform-neutral terms.
type Request struct {
	Platform string // "slack", "discord", "console"
	Team     string // workspace or guild id; empty in DMs or the console
	Channel  string // where the command was sent
	User     string // who sent it
	// Command is what the user asked, parsed once with ParseCommand (or
	// decoded from a button with Bot.ParseAction) by the adapter.
	Command Command
	Page    int // 1-based page of results; 0 means 1

	// CanManage says whether the user may change the channel's
	// subscription, as the adapter determined with the platform's own
	// permission model.
	CanManage bool

	// Lang is the language of the answer, as the adapter determined it
	// for the user; empty means the Bot's default (Options.Lang).
	Lang i18n.Lang
	// Written says the request is a message the user wrote (a DM, a
	// mention): under "auto", one written in Hangul is answered in
	// Korean whatever Lang says (see LangOf).
	Written bool
}

// Options configures a Bot. The zero value of each field is a usable default.
type Options struct {
	Now      func() time.Time // default time.Now
	Location *time.Location   // the digest's time zone; default UTC
	Logger   *slog.Logger     // default: discard
	Rand     *rand.Rand       // for "talk random"; default: randomly seeded
	PageSize int              // default DefaultPageSize
	// Store keeps subscriptions and the digest's history. Without one,
	// subscription commands explain that they are unavailable and the talk
	// of the week follows the stateless rotation.
	Store Store
	// NextDigest returns the digest's next run after a time, for
	// "talk subscriptions"; nil hides the line.
	NextDigest func(time.Time) time.Time
	// Observer is told about every request; nil means none.
	Observer Observer
	// Lang is the language of answers whose request has none, and of
	// digests of channels subscribed without one; default English.
	// i18n.Auto (the default of [bot] language) answers such requests in
	// Korean when their text is mostly Hangul, else in English.
	Lang i18n.Lang
}

// Bot answers requests. It is safe for concurrent use.
type Bot struct {
	base       *recaps.Corpus // the shipped talks and those of recaps.dir
	index      *search.Index
	now        func() time.Time
	loc        *time.Location
	log        *slog.Logger
	rnd        func(n int) int
	pageSize   int
	store      Store
	nextDigest func(time.Time) time.Time
	observer   Observer
	long       longArgs                          // arguments of buttons too long for their values
	lang       i18n.Lang                         // the default language
	auto       bool                              // Hangul text without a language is answered in Korean
	help       map[i18n.Lang][]string            // the help text's command lines, per language
	senders    atomic.Pointer[map[string]Sender] // the digest's, for joining at subscribe

	lib atomic.Pointer[library] // the current library; replaced whole (see change)
	mu  sync.Mutex              // serializes changes of the library
}

// New returns a Bot over the corpus. The corpus must not be modified after.
func New(c *recaps.Corpus, o Options) *Bot {
	b := &Bot{
		base:       c,
		index:      search.New(c.Talks, c.Conferences, c.Glossary),
		loc:        cmp.Or(o.Location, time.UTC),
		log:        cmp.Or(o.Logger, slog.New(slog.DiscardHandler)),
		pageSize:   cmp.Or(o.PageSize, DefaultPageSize),
		store:      o.Store,
		nextDigest: o.NextDigest,
		observer:   o.Observer,
		lang:       i18n.EN,
	}
	if l, ok := i18n.Parse(string(o.Lang)); ok {
		b.lang = l
	}
	b.auto = o.Lang == i18n.Auto
	b.now = o.Now
	if b.now == nil {
		b.now = time.Now
	}
	if o.Rand != nil {
		// *rand.Rand is not safe for concurrent use; the Bot is.
		var mu sync.Mutex
		b.rnd = func(n int) int {
			mu.Lock()
			defer mu.Unlock()
			return o.Rand.IntN(n)
		}
	} else {
		b.rnd = rand.IntN
	}
	b.help = map[i18n.Lang][]string{}
	for _, l := range i18n.Langs {
		b.help[l] = helpLines(l)
	}
	talks := make([]*recaps.Talk, len(c.Talks))
	for i := range c.Talks {
		talks[i] = &c.Talks[i]
	}
	b.lib.Store(b.newLibrary(talks, slices.Clone(c.Conferences), nil, nil))
	return b
}

// Corpus returns the corpus the Bot was made with: the shipped talks and
// those of recaps.dir, without the recaps contributed from chat (see Talks).
func (b *Bot) Corpus() *recaps.Corpus { return b.base }

// Talks returns every talk the Bot answers from, contributed ones
// included, in corpus order. The caller must not modify them.
func (b *Bot) Talks() []*recaps.Talk { return b.snapshot().talks }

// Search returns the talks matching q, best first.
func (b *Bot) Search(q string) []search.Hit {
	hits, _ := b.index.Search(q, -1)
	return hits
}

// Handle answers one request. It never returns an empty reply: unknown
// commands, unknown talks and queries without hits get an explanation.
// Internal failures are logged and answered with a generic apology.
//
// The reply is read-only: its slices are shared with the Bot's caches and
// the corpus, and stay valid and unchanged for as long as the Bot lives.
// A caller that wants to change a reply changes a Clone of it.
func (b *Bot) Handle(ctx context.Context, r Request) Reply {
	start := time.Now()
	cmd := r.Command
	if cmd.Verb == "" {
		cmd.Verb = VerbSearch
	}
	s := b.snapshot()
	s.lang = b.LangOf(r)
	var rep Reply
	if cmd.Verb == verbForgotten {
		rep = s.recall(ctx, r)
	} else {
		rep = specOf(cmd.Verb).handler(s, ctx, r)
	}
	rep.Lang = s.lang
	b.keepArgs(ctx, rep)
	if cmd.Cut {
		rep.Footer = strings.TrimSpace(s.msg("cut", MaxQuery) + " " + rep.Footer)
	}
	d := time.Since(start)
	b.log.InfoContext(ctx, "request", "platform", r.Platform, "command", string(cmd.Verb), "outcome", string(rep.Outcome), "latency", d)
	if b.observer != nil {
		b.observer.Handled(r.Platform, cmd.Verb, rep.Outcome, d)
	}
	return rep
}

// Reject reports a refused inbound request to the observer and the log.
// Adapters call it for bad signatures and malformed bodies.
func (b *Bot) Reject(ctx context.Context, platform, reason string) {
	b.log.WarnContext(ctx, "request rejected", "platform", platform, "reason", reason)
	if b.observer != nil {
		b.observer.Rejected(platform, reason)
	}
}

// Lang returns l if it is a language of the catalog, else the Bot's
// default language.
func (b *Bot) Lang(l i18n.Lang) i18n.Lang {
	if l == i18n.KO || l == i18n.EN {
		return l
	}
	return b.lang
}

// LangOf returns the language Handle answers r in: Korean for text
// written in Hangul when the Bot's language is "auto" and r has no
// language or is a message the user wrote (Written); else r.Lang when it
// is one; else the Bot's language. Adapters write their own notices about
// r in it.
func (b *Bot) LangOf(r Request) i18n.Lang {
	if b.auto && (r.Lang == "" || r.Written) && i18n.Hangul(r.Command.Arg) {
		return i18n.KO
	}
	return b.Lang(r.Lang)
}

// msg returns the message key in the snapshot's language.
func (b snapshot) msg(key string, args ...any) string { return i18n.T(b.lang, key, args...) }

// Logger returns the bot's logger, for adapters that log in its name.
func (b *Bot) Logger() *slog.Logger { return b.log }

func (b snapshot) searchCommand(_ context.Context, r Request) Reply {
	return b.searchReply(r.Command.Arg, max(r.Page, 1))
}

func (b snapshot) speakerCommand(_ context.Context, r Request) Reply {
	q := r.Command.Arg
	if q == "" {
		return b.speakersReply(max(r.Page, 1))
	}
	if rep, ok := b.speakerReply(q); ok {
		return rep
	}
	return b.noResults(q, b.msg("no_speaker_match"), suggestSpeaker)
}

func (b snapshot) showCommand(_ context.Context, r Request) Reply {
	if r.Command.Arg == "" {
		return usage(b.msg("which_talk"))
	}
	t, ok := b.byID[strings.ToLower(r.Command.Arg)]
	if !ok {
		return b.noResults(r.Command.Arg, b.msg("no_talk_id"), -1)
	}
	return b.talkReply(t, "")
}

func (b snapshot) randomCommand(context.Context, Request) Reply {
	if len(b.talks) == 0 {
		return usage(b.msg("no_talks"))
	}
	return b.talkReply(b.talks[b.rnd(len(b.talks))], b.msg("random_talk"))
}

func usage(msg string) Reply {
	return Reply{Intro: msg, Outcome: OutcomeUsage}
}

// failure logs an internal error and answers with a message that reveals
// nothing of it.
func (b snapshot) failure(ctx context.Context, op string, err error) Reply {
	b.log.ErrorContext(ctx, op, "err", err)
	return Reply{Intro: b.msg("sorry"), Outcome: OutcomeError}
}

func (b snapshot) searchReply(q string, page int) Reply {
	if rep, ok := b.speakerReply(q); ok && page == 1 {
		return rep
	}
	if rep, ok := b.conferenceReply(q); ok {
		return rep
	}
	// Rank only the hits up to this page. A page beyond the index is
	// beyond its hits: checking first keeps a huge page from a crafted
	// button value from overflowing, and such a page only counts them.
	k := 0
	if page <= b.index.Len() {
		k = page * b.pageSize
	}
	hits, total := b.index.Search(q, k)
	if total == 0 {
		return b.noResults(q, b.msg("no_talks_match"), -1)
	}
	quoted := "“" + clean(q, 80) + "”"
	if pages := (total + b.pageSize - 1) / b.pageSize; page > pages {
		return usage(b.msg("no_more_results", quoted))
	}
	first := (page - 1) * b.pageSize
	end := min(first+b.pageSize, len(hits))
	var rep Reply
	if page == 1 {
		rep = b.talkReply(hits[0].Talk, b.msg("best_of", total, quoted))
		first = 1
	} else {
		rep = Reply{Title: b.msg("results_page", quoted, page), Outcome: OutcomeOK}
	}
	for i := first; i < end; i++ {
		rep.Items = append(rep.Items, b.hitItem(i+1, hits[i].Talk))
	}
	if page == 1 && len(rep.Items) > 0 {
		rep.ItemsHeading = b.msg("more_results")
	}
	rep.Actions = nil
	if end < total {
		rep.Actions = append(rep.Actions, Action{Kind: ActionNext, Label: b.msg("next_results"), Value: b.encodeAction(ActionNext, page+1, q)})
	}
	rep.Actions = append(rep.Actions, Action{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, page, q)})
	if total > b.pageSize {
		rep.Footer = strings.TrimSpace(b.msg("results_range", (page-1)*b.pageSize+1, end, total) + " " + rep.Footer)
	}
	return rep
}

func (b snapshot) hitItem(n int, t *recaps.Talk) Item {
	c := b.card(t)
	show := c.show // the item's own copy: callers may not share the card's
	return Item{Text: strconv.Itoa(n) + ". " + t.Title, Detail: c.detail, Action: &show}
}

func (b snapshot) confName(id string) string {
	if c, ok := b.conference(id); ok {
		return c.Name
	}
	return id
}

// card holds a talk's reply parts, formatted once per talk (see
// newLibrary), and reused by every answer (their slices are clipped, so a
// reply that appends to one copies it first).
type card struct {
	rep    Reply  // the expanded talk, without Intro and Actions
	detail string // the one-line description in lists
	show   Action // "Show full recap"
	share  Action // "Share to channel" of the expanded talk
}

func (b snapshot) card(t *recaps.Talk) *card {
	if c, ok := b.cached(t, b.lang); ok {
		return c
	}
	return b.newCard(t) // a talk from outside this library; not cached
}

func (b snapshot) newCard(t *recaps.Talk) *card {
	rep := Reply{Title: t.Title, Outcome: OutcomeOK}
	if b.lang == i18n.EN && t.TitleEN != "" && t.TitleEN != t.Title {
		rep.Title += " · " + t.TitleEN
	}
	conf := b.confName(t.Conference)
	if c, ok := b.conference(t.Conference); ok && c.Date != "" {
		conf += " (" + c.Date + ")"
	}
	rep.Fields = append(rep.Fields, Field{b.msg("conference"), conf})
	if t.Track != "" {
		rep.Fields = append(rep.Fields, Field{b.msg("track"), t.Track})
	}
	if len(t.Speakers) > 0 {
		var ss []string
		for _, s := range t.Speakers {
			x := s.Label()
			if s.Team != "" {
				x += " · " + s.Team
			}
			ss = append(ss, x)
		}
		rep.Fields = append(rep.Fields, Field{b.msg("speakers_field"), strings.Join(ss, "\n")})
	}
	rep.Sections = append(rep.Sections, Section{Heading: b.msg("summary"), Bullets: t.Summary})
	if len(t.Lessons) > 0 {
		rep.Sections = append(rep.Sections, Section{Heading: b.msg("lessons"), Bullets: t.Lessons})
	}
	// Only the talk's own video or slides go behind the title; references
	// (a project, a book, another talk) are listed and say so.
	for _, l := range t.Links {
		title := cmp.Or(l.Title, l.URL)
		if l.Material() && l.Title == recaps.MaterialTitle(l.Kind) {
			title = b.msg("link_" + string(l.Kind)) // the title a chat form gave it
		}
		if !l.Material() {
			title = b.msg("reference", title)
		}
		rep.Links = append(rep.Links, Link{Title: title, URL: l.URL})
		rep.LinksHeading = b.msg("links")
	}
	if l, ok := t.TitleLink(); ok {
		rep.TitleURL = l.URL
	}
	if t.AuthorID != "" {
		by := cmp.Or(t.Author, t.AuthorID)
		if d, _, ok := strings.Cut(t.Created, "T"); ok {
			by += " · " + d
		}
		rep.Fields = append(rep.Fields, Field{b.msg("shared_by"), by})
	}
	rep.Footer = b.msg("footer_id_tags", t.ID, strings.Join(t.Tags, ", "))
	rep.Fields, rep.Sections, rep.Links = slices.Clip(rep.Fields), slices.Clip(rep.Sections), slices.Clip(rep.Links)
	detail := b.confName(t.Conference)
	if names := t.SpeakerNames(); len(names) > 0 {
		detail += " · " + strings.Join(names, ", ")
	}
	return &card{
		rep:    rep,
		detail: detail,
		show:   Action{Kind: ActionShow, Label: b.msg("show_full"), Value: b.encodeAction(ActionShow, 0, t.ID)},
		share:  Action{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, 1, "show "+t.ID)},
	}
}

// talkReply expands a talk: its title, conference, speakers, summary,
// lessons and links.
func (b snapshot) talkReply(t *recaps.Talk, intro string) Reply {
	c := b.card(t)
	rep := c.rep
	rep.Intro = intro
	if b.lang != i18n.EN && t.TitleEN != "" && t.TitleEN != t.Title {
		rep.Intro = strings.TrimSpace(intro + "\n" + t.TitleEN)
	}
	rep.Actions = []Action{c.share}
	return rep
}

// speakerReply answers a query that names a speaker exactly, by name or
// handle, in any case, with or without an honorific ("임문규님").
func (b snapshot) speakerReply(q string) (Reply, bool) {
	f := search.Fold(q)
	talks, ok := b.speakers[f]
	if !ok {
		isSpeaker := func(s string) bool { _, ok := b.speakers[s]; return ok }
		f = search.StripKorean(f, isSpeaker, isSpeaker)
		talks, ok = b.speakers[f]
	}
	if !ok {
		return Reply{}, false
	}
	var who recaps.Speaker
	for _, s := range talks[0].Speakers {
		if search.Fold(s.Name) == f || search.Fold(s.Handle) == f || slices.Contains(search.Words(s.Handle), f) {
			who = s
		}
	}
	name := who.Label()
	if len(talks) == 1 {
		rep := b.talkReply(talks[0], b.msg("talk_by", name))
		rep.Actions = []Action{{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, 1, "speaker "+q)}}
		return rep, true
	}
	rep := Reply{Title: b.msg("talks_by", name), Intro: b.msg("n_talks", len(talks)), Outcome: OutcomeOK}
	for i, t := range talks {
		rep.Items = append(rep.Items, b.hitItem(i+1, t))
	}
	rep.Actions = []Action{{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, 1, "speaker "+q)}}
	return rep, true
}

// person is a speaker and the number of their talks.
type person struct {
	recaps.Speaker
	talks int
}

// people lists the corpus's speakers once each (by folded name), most
// talks first, then by name.
func people(talks []*recaps.Talk) []person {
	at := map[string]int{}
	var ps []person
	for _, t := range talks {
		for _, s := range t.Speakers {
			f := search.Fold(s.Name)
			if i, ok := at[f]; ok {
				ps[i].talks++
				if ps[i].Handle == "" {
					ps[i].Handle = s.Handle
				}
				continue
			}
			at[f] = len(ps)
			ps = append(ps, person{s, 1})
		}
	}
	slices.SortStableFunc(ps, func(a, b person) int {
		return cmp.Or(cmp.Compare(b.talks, a.talks), cmp.Compare(a.Name, b.Name))
	})
	return ps
}

// speakerNames returns the labels of the n speakers with the most talks.
func (b snapshot) speakerNames(n int) []string {
	names := make([]string, 0, min(n, len(b.people)))
	for _, p := range b.people[:min(n, len(b.people))] {
		names = append(names, p.Label())
	}
	return names
}

// speakersReply lists every speaker, page by page, each with a button
// that lists their talks.
func (b snapshot) speakersReply(page int) Reply {
	per := 2 * b.pageSize
	if len(b.people) == 0 {
		return usage(b.msg("no_speakers"))
	}
	if pages := (len(b.people) + per - 1) / per; page > pages {
		return usage(b.msg("no_more_speakers"))
	}
	first := (page - 1) * per
	end := min(first+per, len(b.people))
	rep := Reply{Title: b.msg("speakers_title"), Intro: b.msg("n_speakers", len(b.people)), Outcome: OutcomeOK}
	if page > 1 {
		rep.Title = b.msg("speakers_page", page)
	}
	for i, p := range b.people[first:end] {
		detail := b.msg("n_talks", p.talks)
		if p.Team != "" {
			detail += " · " + p.Team
		}
		rep.Items = append(rep.Items, Item{
			Text:   fmt.Sprintf("%d. %s", first+i+1, p.Label()),
			Detail: detail,
			Action: &Action{Kind: ActionNext, Label: b.msg("list_talks"), Value: b.encodeAction(ActionNext, 1, "speaker "+p.Name)},
		})
	}
	if end < len(b.people) {
		rep.Actions = append(rep.Actions, Action{Kind: ActionNext, Label: b.msg("next_speakers"), Value: b.encodeAction(ActionNext, page+1, "speakers")})
		rep.Footer = b.msg("speakers_range", first+1, end, len(b.people))
	}
	return rep
}

// conferenceWords reads words made only of conference names and aliases
// and at most one year (a word isYear accepts): it returns the ids of the
// conferences named, in order, and the year, or false when a word is
// neither. An alias has at most confWords words, so the reading is linear
// in the number of words.
func (b snapshot) conferenceWords(ws []string, isYear func(string) bool) (ids []string, year string, ok bool) {
	for i := 0; i < len(ws); {
		matched := false
		for k := min(len(ws)-i, b.confWords); k >= 1; k-- {
			if id, ok := b.confs[strings.Join(ws[i:i+k], "")]; ok {
				ids = append(ids, id)
				i += k
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if year == "" && isYear(ws[i]) {
			year = ws[i]
			i++
			continue
		}
		return nil, "", false
	}
	return ids, year, true
}

// conferenceReply answers a query made only of conference names and years
// ("deview", "우아콘 2023", "2019") with the talks of those conferences.
func (b snapshot) conferenceReply(q string) (Reply, bool) {
	ws := search.Words(q)
	if len(ws) == 0 {
		return Reply{}, false
	}
	isYear := func(w string) bool { _, ok := b.years[w]; return ok }
	ids, year, ok := b.conferenceWords(ws, isYear)
	if !ok {
		return Reply{}, false
	}
	if len(ids) == 0 {
		ids = b.years[year]
	}
	var rep Reply
	rep.Outcome = OutcomeOK
	for _, id := range ids {
		c, _ := b.conference(id)
		if year != "" && strconv.Itoa(c.Year) != year {
			continue
		}
		if rep.Title == "" {
			rep.Title = c.Name
			if c.NameKO != "" {
				rep.Title += " · " + c.NameKO
			}
			rep.Intro = c.About
			if c.Date != "" {
				rep.Fields = append(rep.Fields, Field{b.msg("date"), strings.Trim(c.Date+" – "+c.EndDate, " –")})
			}
			if c.Venue != "" {
				rep.Fields = append(rep.Fields, Field{b.msg("venue"), c.Venue})
			}
			if c.Link != "" {
				rep.TitleURL = c.Link
				rep.Links = append(rep.Links, Link{Title: c.Name, URL: c.Link})
				rep.LinksHeading = b.msg("links")
			}
		}
		for _, t := range b.talks {
			if t.Conference == id {
				rep.Items = append(rep.Items, b.hitItem(len(rep.Items)+1, t))
				rep.ItemsHeading = b.msg("talks_heading")
			}
		}
	}
	if len(rep.Items) == 0 {
		return Reply{}, false
	}
	if len(ids) > 1 {
		rep.Title, rep.Intro, rep.Fields, rep.Links, rep.LinksHeading, rep.TitleURL = b.msg("talks_from", clean(q, 60)), "", nil, nil, "", ""
	}
	rep.Actions = []Action{{Kind: ActionShare, Label: b.msg("share"), Value: b.encodeAction(ActionShare, 1, q)}}
	return rep, true
}

func (b snapshot) conferencesReply() Reply {
	rep := Reply{Title: b.msg("conferences_title"), Intro: b.msg("conferences_intro", b.msg("n_talks", len(b.talks)), b.msg("n_conferences", len(b.conferences))), Outcome: OutcomeOK}
	for _, c := range b.conferences {
		detail := cmp.Or(c.Date, strconv.Itoa(c.Year))
		if c.Venue != "" {
			detail += " · " + c.Venue
		}
		detail += " · " + b.msg("n_talks", b.confCount[c.ID])
		name := c.Name
		if c.NameKO != "" {
			name += " (" + c.NameKO + ")"
		}
		rep.Items = append(rep.Items, Item{
			Text:   name,
			Detail: detail,
			Action: &Action{Kind: ActionNext, Label: b.msg("list_talks"), Value: b.encodeAction(ActionNext, 1, c.ID)},
		})
	}
	return rep
}

func (b snapshot) helpReply() Reply {
	return Reply{
		Title: b.msg("help_title"),
		Intro: b.msg("help_intro"),
		Sections: []Section{{
			Heading: b.msg("help_commands"),
			Bullets: b.help[b.lang],
		}},
		Footer:  b.msg("help_footer"),
		Outcome: OutcomeOK,
	}
}
