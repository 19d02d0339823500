package bot

import (
	"slices"
	"strconv"

	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
)

// library is everything the Bot derives from its talks and conferences,
// the shipped ones and those contributed from chat. A library is never
// changed: adding, editing or removing a recap builds the next one (see
// Bot.change), which replaces it whole, so a request reads one consistent
// version from start to end.
type library struct {
	talks       []*recaps.Talk // in corpus order (recaps.TalkOrder)
	byID        map[string]*recaps.Talk
	conferences []recaps.Conference // in recaps.SortConferences order
	confByID    map[string]*recaps.Conference
	contrib     map[string]Contribution // contributed recaps, by talk id

	speakers  map[string][]*recaps.Talk // folded name or handle → talks
	people    []person                  // every speaker once, most talks first
	confs     map[string]string         // folded alias → conference id
	confWords int                       // the most words in a conference alias
	years     map[string][]string       // year → conference ids
	vocab     []suggestion              // tags, speakers and titles for suggestions
	tagCount  map[string]int            // tag → number of talks
	cards     map[cardKey]*card         // talk id and language → formatted reply parts
	confCount map[string]int            // conference id → number of talks
}

// snapshot is the Bot with one version of its library: a request reads one
// snapshot from start to end.
type snapshot struct {
	*Bot
	*library
	lang i18n.Lang // the language of the answer
}

// cardKey names a talk's card in one language.
type cardKey struct {
	id   string
	lang i18n.Lang
}

// snapshot returns the Bot with its current library, answering in the
// Bot's default language.
func (b *Bot) snapshot() snapshot { return snapshot{b, b.lib.Load(), b.lang} }

// newLibrary derives a library from talks and conferences, which it sorts.
// Cards of old (which may be nil) are kept for the talks it shares.
func (b *Bot) newLibrary(talks []*recaps.Talk, confs []recaps.Conference, contrib map[string]Contribution, old *library) *library {
	recaps.SortConferences(confs)
	slices.SortFunc(talks, recaps.TalkOrder(confs))
	l := &library{
		talks:       talks,
		byID:        make(map[string]*recaps.Talk, len(talks)),
		conferences: confs,
		confByID:    make(map[string]*recaps.Conference, len(confs)),
		contrib:     contrib,
		speakers:    map[string][]*recaps.Talk{},
		confs:       map[string]string{},
		years:       map[string][]string{},
		tagCount:    map[string]int{},
		confCount:   map[string]int{},
		cards:       make(map[cardKey]*card, len(talks)*len(i18n.Langs)),
	}
	for i := range confs {
		cf := &confs[i]
		l.confByID[cf.ID] = cf
		for _, a := range append([]string{cf.ID, cf.Name, cf.NameKO}, cf.Aliases...) {
			if f := search.Fold(a); f != "" {
				l.confs[f] = cf.ID
				l.confWords = max(l.confWords, len(search.Words(a)))
			}
		}
		y := strconv.Itoa(cf.Year)
		l.years[y] = append(l.years[y], cf.ID)
	}
	for _, t := range talks {
		l.byID[t.ID] = t
		for _, s := range t.Speakers {
			// A handle like "Andrew.kwon" is also found by its parts.
			for _, n := range append([]string{s.Name, s.Handle}, search.Words(s.Handle)...) {
				if f := search.Fold(n); f != "" && !slices.Contains(l.speakers[f], t) {
					l.speakers[f] = append(l.speakers[f], t)
				}
			}
		}
		for _, tag := range t.Tags {
			l.tagCount[tag]++
		}
		l.confCount[t.Conference]++
	}
	l.people = people(talks)
	l.vocab = buildVocab(talks, l.tagCount)
	for _, lang := range i18n.Langs {
		s := snapshot{b, l, lang}
		for _, t := range talks {
			if c, ok := old.cached(t, lang); ok {
				l.cards[cardKey{t.ID, lang}] = c
			} else {
				l.cards[cardKey{t.ID, lang}] = s.newCard(t)
			}
		}
	}
	return l
}

// cached returns the card of t, if l is not nil and t is the talk it
// was made for.
func (l *library) cached(t *recaps.Talk, lang i18n.Lang) (*card, bool) {
	if l == nil || l.byID[t.ID] != t {
		return nil, false
	}
	c, ok := l.cards[cardKey{t.ID, lang}]
	return c, ok
}

// conference returns the conference with the given id.
func (l *library) conference(id string) (*recaps.Conference, bool) {
	c, ok := l.confByID[id]
	return c, ok
}
