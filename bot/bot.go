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

	"github.com/talkbot/talkbot/recaps"
)

// DefaultPageSize is the number of hits a search answer shows per page.
const DefaultPageSize = 5

// Request is one command from a user, in platform-neutral terms.
type Request struct {
	Platform string // "slack", "discord", "console"
	Team     string // workspace or guild id; empty in DMs or the console
	Channel  string // where the command was sent
	User     string // who sent it
	Text     string // the text after "/talk"
	Page     int    // 1-based page of results; 0 means 1

	// CanManage says whether the user may change the channel's
	// subscription, as the adapter determined with the platform's own
	// permission model.
	CanManage bool
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
}

// Bot answers requests. It is safe for concurrent use.
type Bot struct {
	corpus     *recaps.Corpus
	index      *Index
	now        func() time.Time
	loc        *time.Location
	log        *slog.Logger
	rnd        func(n int) int
	pageSize   int
	store      Store
	nextDigest func(time.Time) time.Time
	observer   Observer
	senders    atomic.Pointer[map[string]Sender] // the digest's, for joining at subscribe

	speakers  map[string][]*recaps.Talk // folded name or handle → talks
	confs     map[string]string         // folded alias → conference id
	years     map[string][]string       // year → conference ids
	vocab     []suggestion              // tags, speakers and titles for suggestions
	tagCount  map[string]int            // tag → number of talks
	cards     map[string]*card          // talk id → formatted reply parts
	confCount map[string]int            // conference id → number of talks
}

// New returns a Bot over the corpus. The corpus must not be modified after.
func New(c *recaps.Corpus, o Options) *Bot {
	b := &Bot{
		corpus:     c,
		index:      NewIndex(c.Talks, c.Conferences, c.Glossary),
		loc:        cmp.Or(o.Location, time.UTC),
		log:        cmp.Or(o.Logger, slog.New(slog.DiscardHandler)),
		pageSize:   cmp.Or(o.PageSize, DefaultPageSize),
		store:      o.Store,
		nextDigest: o.NextDigest,
		observer:   o.Observer,
		speakers:   map[string][]*recaps.Talk{},
		confs:      map[string]string{},
		years:      map[string][]string{},
		tagCount:   map[string]int{},
		confCount:  map[string]int{},
	}
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
	for _, cf := range c.Conferences {
		for _, a := range append([]string{cf.ID, cf.Name, cf.NameKO}, cf.Aliases...) {
			if f := fold(a); f != "" {
				b.confs[f] = cf.ID
			}
		}
		y := strconv.Itoa(cf.Year)
		b.years[y] = append(b.years[y], cf.ID)
	}
	for i := range c.Talks {
		t := &c.Talks[i]
		for _, s := range t.Speakers {
			// A handle like "Andrew.kwon" is also found by its parts.
			for _, n := range append([]string{s.Name, s.Handle}, words(s.Handle)...) {
				if f := fold(n); f != "" && !slices.Contains(b.speakers[f], t) {
					b.speakers[f] = append(b.speakers[f], t)
				}
			}
		}
		for _, tag := range t.Tags {
			b.tagCount[tag]++
		}
		b.confCount[t.Conference]++
	}
	b.vocab = buildVocab(c, b.tagCount)
	b.cards = make(map[string]*card, len(c.Talks))
	for i := range c.Talks {
		b.cards[c.Talks[i].ID] = b.newCard(&c.Talks[i])
	}
	return b
}

// Corpus returns the corpus the bot answers from.
func (b *Bot) Corpus() *recaps.Corpus { return b.corpus }

// Search returns the talks matching q, best first.
func (b *Bot) Search(q string) []Hit { return b.index.Search(q) }

// Handle answers one request. It never returns an empty reply: unknown
// commands, unknown talks and queries without hits get an explanation.
// Internal failures are logged and answered with a generic apology.
func (b *Bot) Handle(ctx context.Context, r Request) Reply {
	start := time.Now()
	cmd := ParseCommand(r.Text)
	rep := b.handle(ctx, r, cmd)
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

// Logger returns the bot's logger, for adapters that log in its name.
func (b *Bot) Logger() *slog.Logger { return b.log }

func (b *Bot) handle(ctx context.Context, r Request, cmd Command) Reply {
	page := max(r.Page, 1)
	switch cmd.Verb {
	case VerbHelp:
		return helpReply()
	case VerbSpeaker:
		if cmd.Arg == "" {
			return usage("Which speaker? Try `talk speaker Johnny` or `talk speaker 임문규`.")
		}
		if rep, ok := b.speakerReply(cmd.Arg); ok {
			return rep
		}
		return b.noResults(cmd.Arg, "No speaker matches")
	case VerbShow:
		if cmd.Arg == "" {
			return usage("Which talk? Give its id, as shown under each talk: talk show <id>.")
		}
		t, ok := b.corpus.Talk(strings.ToLower(cmd.Arg))
		if !ok {
			return b.noResults(cmd.Arg, "No talk has the id")
		}
		return b.talkReply(&t, "")
	case VerbRandom:
		if len(b.corpus.Talks) == 0 {
			return usage("The corpus has no talks.")
		}
		t := b.corpus.Talks[b.rnd(len(b.corpus.Talks))]
		return b.talkReply(&t, "A random talk")
	case VerbWeek:
		return b.weekReply(ctx, r)
	case VerbConferences:
		return b.conferencesReply()
	case VerbSubscribe, VerbUnsubscribe, VerbSubscriptions:
		return b.subscription(ctx, r, cmd)
	}
	return b.searchReply(cmd.Arg, page)
}

func usage(msg string) Reply {
	return Reply{Intro: msg, Outcome: OutcomeUsage}
}

// failure logs an internal error and answers with a message that reveals
// nothing of it.
func (b *Bot) failure(ctx context.Context, op string, err error) Reply {
	b.log.ErrorContext(ctx, op, "err", err)
	return Reply{Intro: "Sorry, something went wrong on our side. It has been logged; please try again shortly.", Outcome: OutcomeError}
}

func (b *Bot) searchReply(q string, page int) Reply {
	if rep, ok := b.speakerReply(q); ok && page == 1 {
		return rep
	}
	if rep, ok := b.conferenceReply(q); ok {
		return rep
	}
	hits := b.index.Search(q)
	if len(hits) == 0 {
		return b.noResults(q, "No talks match")
	}
	quoted := "“" + clean(q, 80) + "”"
	if pages := (len(hits) + b.pageSize - 1) / b.pageSize; page > pages {
		// Compared before multiplying: a huge page from a crafted button
		// value must not overflow.
		return usage(fmt.Sprintf("There are no more results for %s.", quoted))
	}
	first := (page - 1) * b.pageSize
	end := min(first+b.pageSize, len(hits))
	var rep Reply
	if page == 1 {
		intro := fmt.Sprintf("Best of %d talks for %s", len(hits), quoted)
		if len(hits) == 1 {
			intro = "The one talk for " + quoted
		}
		rep = b.talkReply(hits[0].Talk, intro)
		first = 1
	} else {
		rep = Reply{Title: fmt.Sprintf("Results for %s, page %d", quoted, page), Outcome: OutcomeOK}
	}
	for i := first; i < end; i++ {
		rep.Items = append(rep.Items, b.hitItem(i+1, hits[i].Talk))
	}
	if page == 1 && len(rep.Items) > 0 {
		rep.ItemsHeading = "More results"
	}
	rep.Actions = nil
	if end < len(hits) {
		rep.Actions = append(rep.Actions, Action{Kind: ActionNext, Label: "Next results", Value: encodeAction(ActionNext, page+1, q)})
	}
	rep.Actions = append(rep.Actions, Action{Kind: ActionShare, Label: "Share to channel", Value: encodeAction(ActionShare, page, q)})
	if len(hits) > b.pageSize {
		rep.Footer = strings.TrimSpace(fmt.Sprintf("Results %d–%d of %d. %s", (page-1)*b.pageSize+1, end, len(hits), rep.Footer))
	}
	return rep
}

func (b *Bot) hitItem(n int, t *recaps.Talk) Item {
	c := b.card(t)
	show := c.show // the item's own copy: callers may not share the card's
	return Item{Text: strconv.Itoa(n) + ". " + t.Title, Detail: c.detail, Action: &show}
}

func (b *Bot) confName(id string) string {
	if c, ok := b.corpus.Conference(id); ok {
		return c.Name
	}
	return id
}

// card holds a talk's reply parts, formatted once in New: the corpus does
// not change, and answers reuse them (their slices are clipped, so a reply
// that appends to one copies it first).
type card struct {
	rep    Reply  // the expanded talk, without Intro and Actions
	detail string // the one-line description in lists
	show   Action // "Show full recap"
	share  Action // "Share to channel" of the expanded talk
}

func (b *Bot) card(t *recaps.Talk) *card {
	if c, ok := b.cards[t.ID]; ok {
		return c
	}
	return b.newCard(t) // a talk from outside the corpus; not cached
}

func (b *Bot) newCard(t *recaps.Talk) *card {
	rep := Reply{Title: t.Title, Outcome: OutcomeOK}
	conf := b.confName(t.Conference)
	if c, ok := b.corpus.Conference(t.Conference); ok && c.Date != "" {
		conf += " (" + c.Date + ")"
	}
	rep.Fields = append(rep.Fields, Field{"Conference", conf})
	if t.Track != "" {
		rep.Fields = append(rep.Fields, Field{"Track", t.Track})
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
		rep.Fields = append(rep.Fields, Field{"Speakers", strings.Join(ss, "\n")})
	}
	rep.Sections = append(rep.Sections, Section{Heading: "Summary", Bullets: t.Summary})
	if len(t.Lessons) > 0 {
		rep.Sections = append(rep.Sections, Section{Heading: "Lessons learned", Bullets: t.Lessons})
	}
	for _, l := range t.Links {
		rep.Links = append(rep.Links, Link{Title: cmp.Or(l.Title, l.URL), URL: l.URL})
	}
	if len(t.Links) > 0 {
		rep.TitleURL = t.Links[0].URL
	}
	rep.Footer = "id: " + t.ID + " · tags: " + strings.Join(t.Tags, ", ")
	rep.Fields, rep.Sections, rep.Links = slices.Clip(rep.Fields), slices.Clip(rep.Sections), slices.Clip(rep.Links)
	detail := b.confName(t.Conference)
	if names := t.SpeakerNames(); len(names) > 0 {
		detail += " · " + strings.Join(names, ", ")
	}
	return &card{
		rep:    rep,
		detail: detail,
		show:   Action{Kind: ActionShow, Label: "Show full recap", Value: encodeAction(ActionShow, 0, t.ID)},
		share:  Action{Kind: ActionShare, Label: "Share to channel", Value: encodeAction(ActionShare, 1, "show "+t.ID)},
	}
}

// talkReply expands a talk: its title, conference, speakers, summary,
// lessons and links.
func (b *Bot) talkReply(t *recaps.Talk, intro string) Reply {
	c := b.card(t)
	rep := c.rep
	rep.Intro = intro
	if t.TitleEN != "" && t.TitleEN != t.Title {
		rep.Intro = strings.TrimSpace(intro + "\n" + t.TitleEN)
	}
	rep.Actions = []Action{c.share}
	return rep
}

// speakerReply answers a query that names a speaker exactly, by name or
// handle, in any case, with or without an honorific ("임문규님").
func (b *Bot) speakerReply(q string) (Reply, bool) {
	f := fold(q)
	talks, ok := b.speakers[f]
	if !ok {
		isSpeaker := func(s string) bool { _, ok := b.speakers[s]; return ok }
		f = stripKorean(f, isSpeaker, isSpeaker)
		talks, ok = b.speakers[f]
	}
	if !ok {
		return Reply{}, false
	}
	var who recaps.Speaker
	for _, s := range talks[0].Speakers {
		if fold(s.Name) == f || fold(s.Handle) == f || slices.Contains(words(s.Handle), f) {
			who = s
		}
	}
	name := who.Label()
	if len(talks) == 1 {
		rep := b.talkReply(talks[0], "The talk by "+name)
		return rep, true
	}
	rep := Reply{Title: "Talks by " + name, Intro: fmt.Sprintf("%d talks", len(talks)), Outcome: OutcomeOK}
	for i, t := range talks {
		rep.Items = append(rep.Items, b.hitItem(i+1, t))
	}
	rep.Actions = []Action{{Kind: ActionShare, Label: "Share to channel", Value: encodeAction(ActionShare, 1, "speaker "+q)}}
	return rep, true
}

// conferenceReply answers a query made only of conference names and years
// ("deview", "우아콘 2023", "2019") with the talks of those conferences.
func (b *Bot) conferenceReply(q string) (Reply, bool) {
	ws := words(q)
	if len(ws) == 0 {
		return Reply{}, false
	}
	var ids []string
	year := ""
	for i := 0; i < len(ws); {
		matched := false
		for k := len(ws) - i; k >= 1; k-- {
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
		if _, ok := b.years[ws[i]]; ok && year == "" {
			year = ws[i]
			i++
			continue
		}
		return Reply{}, false
	}
	if len(ids) == 0 {
		ids = b.years[year]
	}
	var rep Reply
	rep.Outcome = OutcomeOK
	for _, id := range ids {
		c, _ := b.corpus.Conference(id)
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
				rep.Fields = append(rep.Fields, Field{"Date", strings.Trim(c.Date+" – "+c.EndDate, " –")})
			}
			if c.Venue != "" {
				rep.Fields = append(rep.Fields, Field{"Venue", c.Venue})
			}
			if c.Link != "" {
				rep.TitleURL = c.Link
				rep.Links = append(rep.Links, Link{Title: c.Name, URL: c.Link})
			}
		}
		for i := range b.corpus.Talks {
			if t := &b.corpus.Talks[i]; t.Conference == id {
				rep.Items = append(rep.Items, b.hitItem(len(rep.Items)+1, t))
				rep.ItemsHeading = "Talks"
			}
		}
	}
	if len(rep.Items) == 0 {
		return Reply{}, false
	}
	if len(ids) > 1 {
		rep.Title, rep.Intro, rep.Fields, rep.Links, rep.TitleURL = "Talks from "+clean(q, 60), "", nil, nil, ""
	}
	rep.Actions = []Action{{Kind: ActionShare, Label: "Share to channel", Value: encodeAction(ActionShare, 1, q)}}
	return rep, true
}

func (b *Bot) conferencesReply() Reply {
	rep := Reply{Title: "Conferences", Intro: fmt.Sprintf("%d talks from %d conferences.", len(b.corpus.Talks), len(b.corpus.Conferences)), Outcome: OutcomeOK}
	for _, c := range b.corpus.Conferences {
		detail := cmp.Or(c.Date, strconv.Itoa(c.Year))
		if c.Venue != "" {
			detail += " · " + c.Venue
		}
		detail += fmt.Sprintf(" · %d talks", b.confCount[c.ID])
		name := c.Name
		if c.NameKO != "" {
			name += " (" + c.NameKO + ")"
		}
		rep.Items = append(rep.Items, Item{
			Text:   name,
			Detail: detail,
			Action: &Action{Kind: ActionNext, Label: "List talks", Value: encodeAction(ActionNext, 1, c.ID)},
		})
	}
	return rep
}

func helpReply() Reply {
	return Reply{
		Title: "talkbot: conference talk recaps",
		Intro: "Ask about talks from DEVIEW, WOOWACON and Daangn tech meetups, in Korean or English.",
		Sections: []Section{{
			Heading: "Commands",
			Bullets: []string{
				"talk <query>: talks on a topic, e.g. talk sharding, talk 샤딩, talk kafka",
				"talk speaker <name>: a speaker's talks, e.g. talk speaker Johnny, talk speaker 임문규",
				"talk show <id>: one talk's full recap",
				"talk random: a random talk",
				"talk week: this week's talk of the week",
				"talk conferences: the conferences in the corpus",
				"talk subscribe [topic …]: post the talk of the week in this channel (admins)",
				"talk unsubscribe, talk subscriptions: stop or list this channel's digest",
				"talk help: this message",
			},
		}},
		Footer:  "A conference name or year works as a query too: talk deview, talk 우아콘, talk 2024.",
		Outcome: OutcomeOK,
	}
}
