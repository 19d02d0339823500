package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/talkbot/talkbot/adapters/console"
	"github.com/talkbot/talkbot/bot"
)

// jsonHit is one element of "ask --json" for a search: the ranked hits.
type jsonHit struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	TitleEN    string   `json:"title_en,omitempty"`
	Conference string   `json:"conference"`
	Speakers   []string `json:"speakers"`
	Tags       []string `json:"tags"`
	Score      float64  `json:"score"`
}

// jsonReply is "ask --json" for every command but a search: the reply as
// the terminal shows it, field by field. Buttons become the talkbot
// command line that does the same ("command"); sharing, which has no
// meaning outside a chat, is left out.
type jsonReply struct {
	Command      string        `json:"command"` // the verb: show, speaker, random, week, conferences, help…
	Outcome      bot.Outcome   `json:"outcome"` // ok, no_results, usage, forbidden, error
	Title        string        `json:"title,omitempty"`
	TitleURL     string        `json:"title_url,omitempty"`
	Intro        string        `json:"intro,omitempty"`
	Fields       []jsonField   `json:"fields,omitempty"`
	Sections     []jsonSection `json:"sections,omitempty"`
	Links        []jsonLink    `json:"links,omitempty"`
	ItemsHeading string        `json:"items_heading,omitempty"`
	Items        []jsonItem    `json:"items,omitempty"`
	Footer       string        `json:"footer,omitempty"`
	Actions      []jsonAction  `json:"actions,omitempty"`
	Text         string        `json:"text"` // the whole reply as "talkbot ask" prints it
}

type jsonField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type jsonSection struct {
	Heading string   `json:"heading"`
	Text    string   `json:"text,omitempty"`
	Bullets []string `json:"bullets,omitempty"`
}

type jsonLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

type jsonItem struct {
	Text   string      `json:"text"`
	Detail string      `json:"detail,omitempty"`
	Action *jsonAction `json:"action,omitempty"`
}

type jsonAction struct {
	Kind    bot.ActionKind `json:"kind"`
	Label   string         `json:"label"`
	Command string         `json:"command"` // e.g. "talkbot ask show deview-2019-sre-fail-fast"
}

// askJSON answers q as "ask --json" prints it: the ranked hits of a search
// (an array, empty when nothing matches), the reply of any other command.
func askJSON(ctx context.Context, b *bot.Bot, q string, page int) any {
	cmd := bot.ParseCommand(q)
	if cmd.Verb == bot.VerbSearch {
		hits := []jsonHit{}
		for _, h := range b.Search(q) {
			speakers := []string{}
			for _, s := range h.Talk.Speakers {
				speakers = append(speakers, s.Name)
			}
			hits = append(hits, jsonHit{
				ID: h.Talk.ID, Title: h.Talk.Title, TitleEN: h.Talk.TitleEN, Conference: h.Talk.Conference,
				Speakers: speakers, Tags: h.Talk.Tags, Score: h.Score,
			})
		}
		return hits
	}
	rep := b.Handle(ctx, bot.Request{Platform: console.Platform, Command: cmd, Page: page}).Public()
	return replyJSON(b, string(cmd.Verb), rep)
}

// replyJSON converts a reply for "ask --json".
func replyJSON(b *bot.Bot, verb string, r bot.Reply) jsonReply {
	hint := console.CLIHint(b)
	action := func(a bot.Action) *jsonAction {
		cmd := hint(a)
		if cmd == "" {
			return nil
		}
		return &jsonAction{Kind: a.Kind, Label: a.Label, Command: cmd}
	}
	out := jsonReply{
		Command: verb, Outcome: r.Outcome, Title: r.Title, TitleURL: r.TitleURL, Intro: r.Intro,
		ItemsHeading: r.ItemsHeading, Footer: r.Footer,
	}
	var text strings.Builder
	console.Render(&text, r, hint) // a Builder does not fail
	out.Text = text.String()
	for _, f := range r.Fields {
		out.Fields = append(out.Fields, jsonField{f.Name, f.Value})
	}
	for _, s := range r.Sections {
		out.Sections = append(out.Sections, jsonSection{s.Heading, s.Text, s.Bullets})
	}
	for _, l := range r.Links {
		out.Links = append(out.Links, jsonLink{l.Title, l.URL})
	}
	for _, it := range r.Items {
		ji := jsonItem{Text: it.Text, Detail: it.Detail}
		if it.Action != nil {
			ji.Action = action(*it.Action)
		}
		out.Items = append(out.Items, ji)
	}
	for _, a := range r.Actions {
		if ja := action(a); ja != nil {
			out.Actions = append(out.Actions, *ja)
		}
	}
	return out
}

// writeJSON writes v indented, with non-ASCII text and <, > and & as they
// are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
