package bot

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot/i18n"
)

// Verb names a core command.
type Verb string

// The commands every platform understands, as "talk <verb> …".
const (
	VerbSearch        Verb = "search" // talk <query>
	VerbSpeaker       Verb = "speaker"
	VerbShow          Verb = "show"
	VerbRandom        Verb = "random"
	VerbWeek          Verb = "week"
	VerbConferences   Verb = "conferences"
	VerbHelp          Verb = "help"
	VerbSubscribe     Verb = "subscribe"
	VerbUnsubscribe   Verb = "unsubscribe"
	VerbSubscriptions Verb = "subscriptions"
	VerbAdd           Verb = "add"
	VerbEdit          Verb = "edit"
	VerbRemove        Verb = "remove"

	// verbForgotten answers a button whose argument the Bot no longer
	// remembers; no text parses to it.
	verbForgotten Verb = "forgotten"
)

// MaxQuery is the longest request text the core reads, in characters.
// Longer text is cut there, and the answer says that the rest was ignored.
const MaxQuery = 500

// Command is a parsed request text.
type Command struct {
	Verb Verb
	Arg  string   // the query, speaker name or talk id, trimmed
	Args []string // the argument split into words (topics for subscribe)
	// Cut says that the text was longer than MaxQuery characters and
	// only its first MaxQuery were read.
	Cut bool
}

// Slow reports whether the command may wait on the store, so that an
// adapter with a deadline acknowledges first and answers later.
func (c Command) Slow() bool { return specOf(c.Verb).store }

// Form reports whether a chat adapter answers the command with a form
// (see Bot.Form and Bot.Submit) rather than with Handle's reply.
func (c Command) Form() bool { return specOf(c.Verb).form }

// NeedsManage reports whether the core checks Request.CanManage for the
// command, so that an adapter asks the platform only when it matters.
func (c Command) NeedsManage() bool { return specOf(c.Verb).manage }

// argument says whether a verb takes words after it.
type argument int

const (
	argNone     argument = iota // "random": a word after it makes the text a query ("random forest")
	argOptional                 // "subscribe [topic …]"
)

// verbSpec is one row of the command table: everything the parser, the
// help text, the adapters and the dispatcher know about a verb.
type verbSpec struct {
	verb    Verb
	names   []string // the first is the name shown in help; the rest are aliases
	arg     argument
	store   bool   // reads or writes the store
	manage  bool   // checks Request.CanManage
	form    bool   // chat adapters open a form (Bot.Form)
	help    string // the help line's catalog key (bot/i18n)
	handler func(b snapshot, ctx context.Context, r Request) Reply
}

// commands is the command table, in the order help lists them. The search
// (any text that does not start with a command word) comes first.
var commands = []verbSpec{
	{verb: VerbSearch, arg: argOptional,
		help:    "help_search",
		handler: snapshot.searchCommand},
	{verb: VerbSpeaker, names: []string{"speaker", "speakers", "by", "발표자"}, arg: argOptional,
		help:    "help_speaker",
		handler: snapshot.speakerCommand},
	{verb: VerbShow, names: []string{"show", "id"}, arg: argOptional,
		help:    "help_show",
		handler: snapshot.showCommand},
	{verb: VerbRandom, names: []string{"random", "랜덤"},
		help:    "help_random",
		handler: snapshot.randomCommand},
	{verb: VerbWeek, names: []string{"week", "weekly", "이번주"}, store: true,
		help:    "help_week",
		handler: snapshot.weekReply},
	{verb: VerbConferences, names: []string{"conferences", "conference", "confs", "컨퍼런스"},
		help:    "help_conferences",
		handler: func(b snapshot, _ context.Context, _ Request) Reply { return b.conferencesReply() }},
	{verb: VerbSubscribe, names: []string{"subscribe", "구독"}, arg: argOptional, store: true, manage: true,
		help:    "help_subscribe",
		handler: snapshot.subscription},
	{verb: VerbUnsubscribe, names: []string{"unsubscribe", "구독취소"}, store: true, manage: true,
		help:    "help_unsubscribe",
		handler: snapshot.subscription},
	{verb: VerbSubscriptions, names: []string{"subscriptions", "구독목록"}, store: true,
		help:    "help_subscriptions",
		handler: snapshot.subscription},
	{verb: VerbAdd, names: []string{"add", "추가"}, store: true, form: true,
		help:    "help_add",
		handler: snapshot.addCommand},
	{verb: VerbEdit, names: []string{"edit", "수정"}, arg: argOptional, store: true, manage: true, form: true,
		help:    "help_edit",
		handler: snapshot.editCommand},
	{verb: VerbRemove, names: []string{"remove", "delete", "삭제"}, arg: argOptional, store: true, manage: true,
		help:    "help_remove",
		handler: snapshot.removeCommand},
	{verb: VerbHelp, names: []string{"help", "도움말", "?"},
		help:    "help_help",
		handler: func(b snapshot, _ context.Context, _ Request) Reply { return b.helpReply() }},
	{verb: verbForgotten, // see Bot.Handle: it first looks for the argument in the store
		handler: func(b snapshot, _ context.Context, _ Request) Reply {
			return usage(b.msg("forgotten"))
		}},
}

// byName maps every name and alias, lower-cased, to its row of commands.
var byName = func() map[string]*verbSpec {
	m := map[string]*verbSpec{}
	for i := range commands {
		for _, n := range commands[i].names {
			m[n] = &commands[i]
		}
	}
	return m
}()

// specOf returns the table row of v; an unknown verb is a search.
func specOf(v Verb) *verbSpec {
	for i := range commands {
		if commands[i].verb == v {
			return &commands[i]
		}
	}
	return &commands[0]
}

// ParseCommand parses the text after "/talk" (or a DM). A leading "talk" or
// "/talk" is ignored, so "talk sharding" typed into a DM works too. Text that
// does not start with a command word is a search query. Empty text is help.
// Invalid UTF-8 is replaced, and text beyond MaxQuery characters is cut
// (Command.Cut says so).
func ParseCommand(text string) Command {
	text = strings.ToValidUTF8(text, "\uFFFD")
	cut := false
	if utf8.RuneCountInString(text) > MaxQuery {
		text, cut = string([]rune(text)[:MaxQuery]), true
	}
	fields := strings.Fields(text)
	if len(fields) > 0 && (strings.EqualFold(fields[0], "talk") || strings.EqualFold(fields[0], "/talk")) {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Command{Verb: VerbHelp, Cut: cut}
	}
	if s, ok := byName[strings.ToLower(fields[0])]; ok && (s.arg != argNone || len(fields) == 1) {
		rest := fields[1:]
		return Command{Verb: s.verb, Arg: strings.Join(rest, " "), Args: rest, Cut: cut}
	}
	return Command{Verb: VerbSearch, Arg: strings.Join(fields, " "), Args: fields, Cut: cut}
}

// String returns the command as text that ParseCommand reads back as the
// same command.
func (c Command) String() string {
	s := specOf(c.Verb)
	if len(s.names) == 0 {
		return c.Arg
	}
	return strings.TrimSpace(s.names[0] + " " + c.Arg)
}

// helpLines returns the help text's bullets in l, one per command.
func helpLines(l i18n.Lang) []string {
	lines := make([]string, 0, len(commands))
	for _, c := range commands {
		if c.help != "" {
			lines = append(lines, i18n.T(l, c.help))
		}
	}
	return lines
}
