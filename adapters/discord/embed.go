package discord

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/textlimit"
)

// Discord's size limits. Lengths are counted in UTF-16 code units
// (textlimit.Width), which is never less than Discord's own count, so a cut
// text always fits.
const (
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000 // all embeds of one message together
	maxContent     = 2000
	maxButtonLabel = 80
	maxCustomID    = 100
	maxButtons     = 5 // per action row
	maxRows        = 5
	maxChoice      = 100 // autocomplete choice name (characters) and value (bytes, to be safe)
	maxChoices     = 25
)

// embedColor is the accent bar of every talkbot embed.
const embedColor = 0x2F80ED

// message is a message as Discord's create, edit and interaction-response
// endpoints take it. AllowedMentions is always set with an empty parse list,
// so nothing in the message pings anyone.
type message struct {
	Content         string                            `json:"content"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
}

// noMentions returns allowed_mentions that allow none: {"parse": []}.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// renderOpts says how a reply is shown.
type renderOpts struct {
	content string // plain text above the embed, e.g. "Shared by <@id>"
	marker  string // appended to the footer, for Find
}

// render turns a reply into a message within Discord's limits. A message
// for the channel renders r.Public(), without "Share" buttons.
func render(r bot.Reply, o renderOpts) message {
	return message{
		Content:         cut(o.content, maxContent),
		Embeds:          []*discordgo.MessageEmbed{embed(r, o.marker)},
		Components:      buttons(r),
		AllowedMentions: noMentions(),
	}
}

type field struct {
	name, value string
	inline      bool
}

// embed renders a reply as one embed: the title, the intro and sections in
// the description, fields, items and links as fields, and the footer. Every
// string is plain text and is escaped; when the whole would pass 6,000
// characters, fields are dropped from the end and the description is cut.
func embed(r bot.Reply, marker string) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: embedColor}
	e.Title = cut(escape(r.Title), maxTitle)
	if e.Title != "" {
		e.URL = safeURL(r.TitleURL)
	}

	var parts []string
	if r.Intro != "" {
		parts = append(parts, escape(r.Intro))
	}
	for _, s := range r.Sections {
		var lines []string
		if s.Heading != "" {
			lines = append(lines, "**"+escape(s.Heading)+"**")
		}
		if s.Text != "" {
			lines = append(lines, escape(s.Text))
		}
		for _, x := range s.Bullets {
			lines = append(lines, "• "+escape(x))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	desc := strings.Join(parts, "\n\n")

	var fs []field
	for _, f := range r.Fields {
		v := escape(f.Value)
		fs = append(fs, field{escape(f.Name), v, textlimit.Width(v) <= 40 && !strings.Contains(v, "\n")})
	}
	if r.ItemsHeading != "" && len(r.Items) > 0 {
		// One field under the heading, a line per item; each item's own
		// button follows in the components.
		var ls []string
		for _, it := range r.Items {
			l := "**" + escape(it.Text) + "**"
			if it.Detail != "" {
				l += "\n" + escape(it.Detail)
			}
			ls = append(ls, l)
		}
		fs = append(fs, field{escape(r.ItemsHeading), strings.Join(ls, "\n"), false})
	} else {
		for _, it := range r.Items {
			fs = append(fs, field{escape(it.Text), escape(it.Detail), false})
		}
	}
	if len(r.Links) > 0 {
		var ls []string
		for _, l := range r.Links {
			if u := safeURL(l.URL); u != "" {
				ls = append(ls, "["+escape(l.Title)+"]("+u+")")
			}
		}
		if len(ls) > 0 {
			// The core sets LinksHeading with every link it adds; a reply
			// built without it gets the catalog's word in its language.
			fs = append(fs, field{cmp.Or(r.LinksHeading, i18n.T(r.Lang, "links")), strings.Join(ls, "\n"), false})
		}
	}
	for i, f := range fs {
		fs[i].name, fs[i].value = nonEmpty(cut(f.name, maxFieldName)), nonEmpty(cutLines(f.value, maxFieldValue))
	}

	// Footers show no Markdown, so the footer is not escaped, but it
	// mentions no one either. The marker is kept whole.
	footer := mentions.Replace(textlimit.ValidUTF8(r.Footer))
	if marker != "" {
		if footer != "" {
			footer = cut(footer, maxFooter-textlimit.Width(marker)-3) + " · "
		}
		footer += marker
	}
	if footer = cut(footer, maxFooter); footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: footer}
	}

	// Fields fill what the title and footer leave of 6,000 characters,
	// keeping room for some of the description; those that do not fit
	// are counted in a last "…" field, "+N": words there would need the
	// reply's language, which a digest post (Send) is not told.
	fixed := textlimit.Width(e.Title) + textlimit.Width(footer)
	room := maxEmbedTotal - min(textlimit.Width(desc), maxDescription/4)
	size := func(f field) int { return textlimit.Width(f.name) + textlimit.Width(f.value) }
	total := fixed
	for _, f := range fs {
		total += size(f)
	}
	if len(fs) > maxFields || total > room {
		const moreSize = 20 // "…" and "+N"
		kept := 0
		for kept < min(len(fs), maxFields-1) && fixed+size(fs[kept]) <= room-moreSize {
			fixed += size(fs[kept])
			kept++
		}
		more := field{"…", fmt.Sprintf("+%d", len(fs)-kept), false}
		fs = append(fs[:kept], more)
		fixed += size(more)
	} else {
		fixed = total
	}
	for _, f := range fs {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: f.name, Value: f.value, Inline: f.inline})
	}
	e.Description = cutLines(desc, min(maxDescription, maxEmbedTotal-fixed))
	return e
}

// buttons renders the reply's actions as a first row and the items' actions
// in the rows after it: at most five rows of five buttons. Duplicate
// custom ids, which Discord refuses, are dropped.
func buttons(r bot.Reply) []discordgo.MessageComponent {
	seen := map[string]bool{}
	button := func(a bot.Action, label string) (discordgo.Button, bool) {
		if a.Value == "" || len(a.Value) > maxCustomID || seen[a.Value] {
			return discordgo.Button{}, false
		}
		seen[a.Value] = true
		if strings.TrimSpace(label) == "" {
			label = string(a.Kind) // Discord refuses a button without a label
		}
		style := discordgo.SecondaryButton
		if a.Kind == bot.ActionShare {
			style = discordgo.PrimaryButton
		}
		label = mentions.Replace(textlimit.ValidUTF8(label))
		return discordgo.Button{Label: cut(label, maxButtonLabel), Style: style, CustomID: a.Value}, true
	}
	var top, items []discordgo.Button
	for _, a := range r.Actions {
		if b, ok := button(a, a.Label); ok {
			top = append(top, b)
		}
	}
	for _, it := range r.Items {
		if it.Action == nil {
			continue
		}
		label := it.Action.Label
		if it.Text != "" {
			label = it.Text
		}
		if b, ok := button(*it.Action, label); ok {
			items = append(items, b)
		}
	}
	rows := []discordgo.MessageComponent{}
	for _, g := range [][]discordgo.Button{top, items} {
		for len(g) > 0 && len(rows) < maxRows {
			n := min(len(g), maxButtons)
			row := discordgo.ActionsRow{}
			for _, b := range g[:n] {
				row.Components = append(row.Components, b)
			}
			rows = append(rows, row)
			g = g[n:]
		}
	}
	return rows
}

// markdown is every character Discord's Markdown gives a meaning to
// anywhere in message and embed text. Escaping them keeps plain text plain:
// a query such as "[click](https://evil)" quoted in a reply cannot become a
// link, and "<@id>", "<@&role>" or "<#channel>" cannot become a mention
// (allowed_mentions would keep it silent, but it would still render as
// one). "@everyone" and "@here" get a zero-width space after the "@".
// Bare URLs stay links.
var markdown = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `~`, `\~`, `|`, `\|`, `[`, `\[`, `]`, `\]`, `<`, `\<`,
	"@everyone", "@\u200beveryone", "@here", "@\u200bhere",
)

// mentions breaks "@everyone" and "@here" with a zero-width space, for text
// that shows no Markdown (footers, button labels): they are the mentions
// that need no "<".
var mentions = strings.NewReplacer("@everyone", "@\u200beveryone", "@here", "@\u200bhere")

// escape escapes Markdown in plain text: the characters above, and a ">",
// "#" or "-#" that would start a quote, heading or subtext line.
func escape(s string) string {
	s = markdown.Replace(textlimit.ValidUTF8(s))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if strings.HasPrefix(t, ">") || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "-#") {
			lines[i] = l[:len(l)-len(t)] + `\` + t
		}
	}
	return strings.Join(lines, "\n")
}

// safeURL returns u if it is an absolute http(s) URL, with the characters
// that would end a Markdown link target encoded; otherwise "".
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(p.String())
}

// nonEmpty returns s, or a zero-width space where Discord requires text.
func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "\u200b"
	}
	return s
}

// cut returns s when it fits in n characters, else its longest prefix that
// fits with a trailing "…", cut on a rune boundary. A dangling escape
// backslash is dropped with the rest.
func cut(s string, n int) string { return textlimit.CutTidy(s, n, trimEscape) }

// cutLines is cut that prefers to end at a line break in the second half of
// the kept text, so that a bullet or a link is not broken midway.
func cutLines(s string, n int) string { return textlimit.CutLines(s, n, trimEscape) }

// trimEscape drops a trailing backslash that would escape what follows.
func trimEscape(s string) string {
	n := len(s) - len(strings.TrimRight(s, `\`))
	if n%2 == 1 {
		return s[:len(s)-1]
	}
	return s
}
