package bottest

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot"
)

// FuzzReply builds a reply for the renderers' fuzz targets that puts the
// fuzzer's text everywhere a reply has text: text in titles, intros,
// headings, bullets, items, field names and footers, more as the longer
// texts and values, url as the links' and title's URL. n (taken modulo 300)
// says how many fields, bullets, items, links and actions there are, so
// that the fuzzer reaches each platform's count limits too. Action values
// are what the core would make: valid UTF-8 of at most bot.MaxActionValue
// bytes.
func FuzzReply(text, more, url string, n int) bot.Reply {
	n = ((n % 300) + 300) % 300
	value := func(code string, i int) string {
		v := code + strconv.Itoa(i) + ":" + strings.ToValidUTF8(text, "\uFFFD")
		if len(v) > bot.MaxActionValue {
			v = v[:bot.MaxActionValue]
		}
		for !utf8.ValidString(v) {
			v = v[:len(v)-1]
		}
		return v
	}
	r := bot.Reply{
		Title:        text,
		TitleURL:     url,
		Intro:        more + "\n" + text,
		ItemsHeading: text,
		Footer:       text + " " + more,
		Outcome:      bot.OutcomeOK,
	}
	sec := bot.Section{Heading: text, Text: more}
	for i := range n {
		r.Fields = append(r.Fields, bot.Field{Name: text, Value: more})
		sec.Bullets = append(sec.Bullets, strings.Repeat(text, 1+i%3))
		r.Items = append(r.Items, bot.Item{Text: text, Detail: more,
			Action: &bot.Action{Kind: bot.ActionShow, Label: text, Value: value("s", i)}})
		r.Links = append(r.Links, bot.Link{Title: text, URL: url})
		if i < 7 {
			kind := []bot.ActionKind{bot.ActionNext, bot.ActionShare, bot.ActionShow}[i%3]
			r.Actions = append(r.Actions, bot.Action{Kind: kind, Label: more, Value: value("nxs"[i%3:i%3+1], i)})
		}
	}
	r.Sections = []bot.Section{sec, {Heading: more, Bullets: []string{text, more}}}
	return r
}

// Mentions returns texts that, left as they are in a message, would notify
// people on Slack or Discord, for seeding the renderers' fuzz targets.
func Mentions() []string {
	return []string{"<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123>", "<!subteam^S1>", "@everyone", "@here", "<@&123>", "<@!123>", "<@123>"}
}
