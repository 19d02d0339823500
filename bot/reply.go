package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/talkbot/talkbot/bot/i18n"
)

// Reply is the neutral answer model that adapters render as Block Kit,
// embeds or terminal text. Every string is plain text: it carries no markup,
// and adapters must escape it for their platform, so that user text quoted in
// a reply can never become a mention or a link.
type Reply struct {
	Title    string // headline; may be empty
	TitleURL string // link for the title; may be empty
	Intro    string // one paragraph under the title
	Fields   []Field
	Sections []Section
	Items    []Item // a list of rows, such as further search hits
	// ItemsHeading labels Items ("More results") when the reply has other
	// content above them; empty when the list is the whole reply.
	ItemsHeading string
	Links        []Link
	// LinksHeading labels Links in the answer's language; adapters show
	// the catalog's "links" in Lang when it is empty.
	LinksHeading string
	Actions      []Action
	Footer       string
	// Lang is the language the reply is written in. The Bot sets it on
	// every reply it returns; adapters write their own few words (the
	// "Links" heading, a note that the message was cut) in it.
	Lang i18n.Lang

	// Outcome classifies the reply for logs and metrics.
	Outcome Outcome
}

// Field is a short labelled value ("Conference: DEVIEW 2019").
type Field struct {
	Name  string
	Value string
}

// Section is a headed block of text or of bullet points.
type Section struct {
	Heading string
	Text    string
	// Bullets are single lines: trimmed, without newlines or runs of
	// spaces (the corpus parser normalises them), so adapters need not.
	Bullets []string
}

// Item is one row of a list, optionally with its own action ("Show").
type Item struct {
	Text   string
	Detail string
	Action *Action
}

// Link is a titled URL.
type Link struct {
	Title string
	URL   string
}

// ActionKind says what an action does when the user triggers it.
type ActionKind string

// The actions a reply may offer.
const (
	ActionNext  ActionKind = "next"  // the next page of results
	ActionShow  ActionKind = "show"  // a talk's full recap
	ActionShare ActionKind = "share" // post this answer publicly in the channel
)

// Action is a button. Value is opaque to adapters: they store it in the
// button (it is at most MaxActionValue bytes, within Discord's custom_id
// limit) and hand it back through ParseAction when the button is pressed.
type Action struct {
	Kind  ActionKind
	Label string
	Value string
}

// MaxActionValue is the longest Action.Value the core produces, in bytes.
const MaxActionValue = 90

// Outcome classifies how a request went.
type Outcome string

// Outcomes, as logged and counted by adapters.
const (
	OutcomeOK        Outcome = "ok"
	OutcomeNoResults Outcome = "no_results"
	OutcomeUsage     Outcome = "usage"     // unknown command or bad arguments; the reply explains
	OutcomeForbidden Outcome = "forbidden" // the user may not do this
	OutcomeError     Outcome = "error"     // an internal failure; details are in the log
)

// Clone returns a deep copy of r that the caller may change. Replies from
// Bot.Handle are read-only (they share slices with the Bot's caches); an
// adapter that edits one edits a Clone.
func (r Reply) Clone() Reply {
	r.Fields = slices.Clone(r.Fields)
	r.Sections = slices.Clone(r.Sections)
	for i := range r.Sections {
		r.Sections[i].Bullets = slices.Clone(r.Sections[i].Bullets)
	}
	r.Items = slices.Clone(r.Items)
	for i := range r.Items {
		if a := r.Items[i].Action; a != nil {
			c := *a
			r.Items[i].Action = &c
		}
	}
	r.Links = slices.Clone(r.Links)
	r.Actions = slices.Clone(r.Actions)
	return r
}

// Public returns a copy of r for a public message: without "Share to
// channel" actions, which only make sense on a private answer. r is not
// modified.
func (r Reply) Public() Reply {
	r.Actions = slices.DeleteFunc(slices.Clone(r.Actions), func(a Action) bool { return a.Kind == ActionShare })
	items := make([]Item, len(r.Items))
	for i, it := range r.Items {
		if it.Action != nil && it.Action.Kind == ActionShare {
			it.Action = nil
		}
		items[i] = it
	}
	if r.Items != nil {
		r.Items = items
	}
	return r
}

// Text renders the reply as plain text without any markup: the fallback
// text that chat platforms show in notifications.
func (r Reply) Text() string {
	var b strings.Builder
	line := func(s string) {
		if s != "" {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	line(r.Title)
	line(r.Intro)
	return strings.TrimSpace(b.String())
}

// encodeAction builds an Action.Value: kind code, page and argument. An
// argument too long for MaxActionValue is not cut (a button must reproduce
// exactly the answer it belongs to): the value carries a key instead, and
// the Bot remembers the argument under it (see longArgs).
func (b *Bot) encodeAction(kind ActionKind, page int, arg string) string {
	var code string
	switch kind {
	case ActionNext:
		code = "n"
	case ActionShow:
		code = "s"
	case ActionShare:
		code = "x"
	}
	head := code + strconv.Itoa(page)
	if len(head)+1+len(arg) <= MaxActionValue {
		return head + ":" + arg
	}
	return head + "#" + b.long.put(arg)
}

// longArgs remembers the arguments of buttons whose values would exceed
// MaxActionValue, under a key derived from the argument. It keeps the
// newest maxLongArgs in memory; the Bot also keeps each one it answers
// with in its store (see keepArgs), for other replicas and after a
// restart. A button whose argument is in neither is answered with a
// request to ask again, never with another answer.
type longArgs struct {
	mu    sync.Mutex
	m     map[string]string
	order []string        // keys, oldest first
	kept  map[string]bool // keys kept in the store
}

const maxLongArgs = 4096

func (l *longArgs) put(arg string) string {
	sum := sha256.Sum256([]byte(arg))
	key := base64.RawURLEncoding.EncodeToString(sum[:12])
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]string{}
	}
	if _, ok := l.m[key]; !ok {
		if len(l.order) == maxLongArgs {
			delete(l.m, l.order[0])
			l.order = l.order[1:]
		}
		l.m[key] = arg
		l.order = append(l.order, key)
	}
	return key
}

// unkept returns the arguments of keys that are not kept in the store
// yet, by key.
func (l *longArgs) unkept(keys []string) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out map[string]string
	for _, k := range keys {
		if arg, ok := l.m[k]; ok && !l.kept[k] {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = arg
		}
	}
	return out
}

// markKept records that key is kept in the store.
func (l *longArgs) markKept(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kept == nil || len(l.kept) >= maxLongArgs {
		l.kept = map[string]bool{} // forgetting only costs a Keep again
	}
	l.kept[key] = true
}

func (l *longArgs) get(key string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	arg, ok := l.m[key]
	return arg, ok
}

// ParsedAction is a decoded Action.Value.
type ParsedAction struct {
	Kind ActionKind
	Page int
	Arg  string // the query, or the talk id
	// Forgotten says that the value named an argument this Bot does not
	// remember (see longArgs); Command then looks for it in the store,
	// and answers with a request to run the command again when it is
	// not there either.
	Forgotten bool
	key       string // the key of a forgotten argument
}

// ParseAction decodes an Action.Value. It returns false for values the core
// did not produce.
func (b *Bot) ParseAction(v string) (ParsedAction, bool) {
	i := strings.IndexAny(v, ":#")
	if i < 2 {
		return ParsedAction{}, false
	}
	head, arg := v[:i], v[i+1:]
	page, err := strconv.Atoi(head[1:])
	if err != nil || page < 0 {
		return ParsedAction{}, false
	}
	var kind ActionKind
	switch head[0] {
	case 'n':
		kind = ActionNext
	case 's':
		kind = ActionShow
	case 'x':
		kind = ActionShare
	default:
		return ParsedAction{}, false
	}
	p := ParsedAction{Kind: kind, Page: page, Arg: arg}
	if v[i] == '#' {
		var ok bool
		p.Arg, ok = b.long.get(arg)
		p.Forgotten, p.key = !ok, arg
	}
	return p, true
}

// actionKeys returns the keys of the long arguments of rep's buttons.
func actionKeys(rep Reply) []string {
	var keys []string
	add := func(a Action) {
		if i := strings.IndexAny(a.Value, ":#"); i >= 2 && a.Value[i] == '#' {
			keys = append(keys, a.Value[i+1:])
		}
	}
	for _, a := range rep.Actions {
		add(a)
	}
	for _, it := range rep.Items {
		if it.Action != nil {
			add(*it.Action)
		}
	}
	return keys
}

// How long the store keeps the argument of a button (see keepArgs): as
// long as people scroll back to press one.
const longArgTTL = 30 * 24 * time.Hour

// keepArgs keeps in the store the long arguments of rep's buttons that
// it does not hold yet, so that the buttons work on every replica and
// after a restart. A failure is logged: the buttons still work here.
func (b *Bot) keepArgs(ctx context.Context, rep Reply) {
	if b.store == nil {
		return
	}
	keys := actionKeys(rep)
	if len(keys) == 0 {
		return
	}
	for k, arg := range b.long.unkept(keys) {
		now := b.now()
		if err := b.store.Keep(ctx, "arg:"+k, []byte(arg), now, now.Add(longArgTTL)); err != nil {
			b.log.WarnContext(ctx, "keep a button's argument; the button works on this replica only", "err", err)
			continue
		}
		b.long.markKept(k)
	}
}

// recall answers a button whose argument the Bot did not remember: it
// looks for it in the store and runs what the button ran, or, when the
// store does not have it either, asks to run the command again.
func (b snapshot) recall(ctx context.Context, r Request) Reply {
	forgotten := specOf(verbForgotten).handler(b, ctx, r)
	if b.store == nil || len(r.Command.Args) != 2 {
		return forgotten
	}
	key := r.Command.Args[1]
	v, err := b.store.Kept(ctx, "arg:"+key, b.now())
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			b.log.WarnContext(ctx, "recall a button's argument", "err", err)
		}
		return forgotten
	}
	arg := string(v)
	if b.long.put(arg) != key {
		return forgotten // not the argument of this key
	}
	b.long.markKept(key)
	p := ParsedAction{Kind: ActionKind(r.Command.Args[0]), Page: r.Page, Arg: arg}
	r.Command, r.Page = p.Request()
	if r.Command.Verb == verbForgotten || specOf(r.Command.Verb).manage {
		return forgotten // what a button never runs
	}
	return specOf(r.Command.Verb).handler(b, ctx, r)
}

// Public reports whether the answer r to this action is to be posted
// publicly: only a share that worked is; a failed share (an error, no
// results, a refusal) is told to the user privately instead.
func (p ParsedAction) Public(r Reply) bool {
	return p.Kind == ActionShare && r.Outcome == OutcomeOK
}

// Request returns the command that the action runs, for Request.Command,
// and the page of results it asks for. A share action runs the answer it
// was attached to; the adapter posts the result publicly instead of
// privately.
func (p ParsedAction) Request() (cmd Command, page int) {
	switch {
	case p.Forgotten:
		return Command{Verb: verbForgotten, Args: []string{string(p.Kind), p.key}}, max(p.Page, 1)
	case p.Kind == ActionShow:
		return Command{Verb: VerbShow, Arg: p.Arg, Args: strings.Fields(p.Arg)}, 1
	}
	return ParseCommand(p.Arg), max(p.Page, 1)
}
