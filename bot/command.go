package bot

import (
	"strings"
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
)

// Command is a parsed request text.
type Command struct {
	Verb Verb
	Arg  string   // the query, speaker name or talk id, trimmed
	Args []string // the argument split into words (topics for subscribe)
}

// verbs maps the first word of a request to its verb. Aliases are forgiving
// spellings a user may try; the help text shows only the main names.
var verbs = map[string]Verb{
	"speaker": VerbSpeaker, "speakers": VerbSpeaker, "by": VerbSpeaker, "발표자": VerbSpeaker,
	"show": VerbShow, "id": VerbShow,
	"random": VerbRandom, "랜덤": VerbRandom,
	"week": VerbWeek, "weekly": VerbWeek, "이번주": VerbWeek,
	"conferences": VerbConferences, "conference": VerbConferences, "confs": VerbConferences, "컨퍼런스": VerbConferences,
	"help": VerbHelp, "도움말": VerbHelp, "?": VerbHelp,
	"subscribe": VerbSubscribe, "unsubscribe": VerbUnsubscribe, "subscriptions": VerbSubscriptions,
}

// ParseCommand parses the text after "/talk" (or a DM). A leading "talk" or
// "/talk" is ignored, so "talk sharding" typed into a DM works too. Text that
// does not start with a command word is a search query. Empty text is help.
func ParseCommand(text string) Command {
	fields := strings.Fields(text)
	if len(fields) > 0 && (strings.EqualFold(fields[0], "talk") || strings.EqualFold(fields[0], "/talk")) {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return Command{Verb: VerbHelp}
	}
	if v, ok := verbs[strings.ToLower(fields[0])]; ok {
		// random, week, conferences, help, unsubscribe and subscriptions
		// take no argument; a word after them makes the text a query
		// ("random forest").
		if !(v == VerbRandom || v == VerbWeek || v == VerbConferences || v == VerbHelp || v == VerbUnsubscribe || v == VerbSubscriptions) || len(fields) == 1 {
			rest := fields[1:]
			return Command{Verb: v, Arg: strings.Join(rest, " "), Args: rest}
		}
	}
	return Command{Verb: VerbSearch, Arg: strings.Join(fields, " "), Args: fields}
}
