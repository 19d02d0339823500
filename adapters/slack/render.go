package slack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/textlimit"
)

// Slack's Block Kit limits, in characters. Slack counts characters as
// JavaScript does (UTF-16 code units), so textlimit.Width does too:
// for text outside the Basic Multilingual Plane that is stricter than
// counting runes.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxFieldText    = 2000
	maxFields       = 10
	maxContextText  = 2000
	maxHeaderText   = 150
	maxButtonText   = 75
	maxActions      = 25
	maxFallbackText = 3000
	maxLinkTitle    = 200
	maxURL          = 1000
)

// Action ids of the buttons the adapter renders; the interactions handler
// reads the button's value, not its id, so these only need to be unique
// within a block.
const (
	actionIDPrefix = "talk_"
)

// view says how a reply is shown.
type view struct {
	// public renders rep.Public(): no "Share to channel" buttons, as the
	// message is already visible to the channel.
	public bool
	// sharedBy, when set, adds a context line attributing the message to
	// the user with this id.
	sharedBy string
}

// message is a Slack message as sent in a slash-command response, through a
// response_url, and (as form fields) through chat.postMessage. Blocks are
// read-only once rendered: a renderCache shares them between answers.
type message struct {
	ResponseType    string           `json:"response_type,omitempty"`
	ReplaceOriginal bool             `json:"replace_original,omitempty"`
	DeleteOriginal  bool             `json:"delete_original,omitempty"`
	Text            string           `json:"text,omitempty"`
	Blocks          []slackapi.Block `json:"blocks,omitempty"`

	// encoded is the JSON a renderCache made of this message, or nil.
	encoded *encodedMessage
}

// encodedMessage is a message and its JSON.
type encodedMessage struct {
	of   message // with encoded nil
	json []byte
}

// encodeJSON returns the JSON of v, without escaping "<", ">" and "&" for
// HTML (Slack's own escapes, "&lt;", must reach Slack as written) and
// ending in a newline. A *message that came from a renderCache and was not
// changed since is not encoded again.
func encodeJSON(v any) ([]byte, error) {
	if m, ok := v.(*message); ok && m.encoded != nil {
		plain := *m
		plain.encoded = nil
		// Cheap: DeepEqual stops at the blocks, which are the same slice.
		if reflect.DeepEqual(plain, m.encoded.of) {
			return m.encoded.json, nil
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// render turns a reply into a message: Block Kit blocks within Slack's limits
// and an escaped plain fallback text.
func render(rep bot.Reply, v view) message {
	return message{Text: fallback(rep), Blocks: blocks(rep, v)}
}

// maxCached bounds a renderCache. An entry is a few KB of JSON and the
// blocks it was encoded from, tens of KB for a long recap, so a full cache
// holds a few MB; when it is full it starts over.
const maxCached = 256

// renderCache remembers rendered messages, and their JSON, by the reply,
// view and response type they were made for, so that an answer asked for
// again is neither rendered nor encoded again: rendering and encoding cost
// several times what the core spends finding the answer. A hit is checked
// against the whole reply, so a reply that changed (another page, another
// random talk, a subscription) is rendered afresh. The zero value is an
// empty cache; it is safe for concurrent use.
type renderCache struct {
	mu      sync.Mutex
	entries map[cacheKey]*cached
}

// cacheKey is what a reply is looked up by; the entry found is then
// compared with the whole reply.
type cacheKey struct {
	v                          view
	responseType               string
	title, intro, footer, item string
}

type cached struct {
	rep bot.Reply
	m   message
}

// render is render(rep, v) with the response type set, from the cache when
// it holds the same reply. The message's blocks are shared: read-only.
func (c *renderCache) render(rep bot.Reply, v view, responseType string) message {
	k := cacheKey{v: v, responseType: responseType, title: rep.Title, intro: rep.Intro, footer: rep.Footer}
	if len(rep.Items) > 0 {
		k.item = rep.Items[0].Text
	}
	c.mu.Lock()
	e := c.entries[k]
	c.mu.Unlock()
	if e != nil && reflect.DeepEqual(e.rep, rep) {
		return e.m
	}
	m := render(rep, v)
	m.ResponseType = responseType
	b, err := encodeJSON(m)
	if err != nil {
		return m
	}
	m.encoded = &encodedMessage{of: m, json: b}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = make(map[cacheKey]*cached)
	}
	c.entries[k] = &cached{rep, m}
	c.mu.Unlock()
	return m
}

// escaper escapes the three characters that Slack's mrkdwn parses, so that
// text a user typed ("<!channel>", "<@U123>") is shown, not interpreted.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc escapes s for any Slack text field. Invalid UTF-8 becomes U+FFFD.
func esc(s string) string { return escaper.Replace(textlimit.ValidUTF8(s)) }

// cut shortens escaped text s to at most n characters, cutting on a rune
// boundary, never inside an HTML entity, and ending with "…" when cut.
func cut(s string, n int) string { return textlimit.CutTidy(s, n, dropEntity) }

// dropEntity drops a trailing HTML entity that a cut left incomplete: in
// escaped text every "&" starts one.
func dropEntity(s string) string {
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		return s[:i]
	}
	return s
}

// line escapes plain text and cuts it to n characters.
func line(s string, n int) string { return cut(esc(strings.TrimSpace(s)), n) }

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, true)
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}

// fallback is the message's top-level text: what notifications and clients
// without Block Kit show. It is escaped like every other text.
func fallback(rep bot.Reply) string {
	t := line(rep.Text(), maxFallbackText)
	if t == "" {
		t = "talkbot"
	}
	return t
}

// link formats a link as mrkdwn. Only http and https URLs become links;
// anything else is shown as text.
func link(title, u string) string {
	title = line(title, maxLinkTitle)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > maxURL {
		if title == "" {
			return line(u, maxLinkTitle)
		}
		return title
	}
	// "|" and ">" end the URL part of a link; escaping covers ">", and a
	// literal "|" in a URL is as good percent-encoded.
	href := strings.ReplaceAll(esc(p.String()), "|", "%7C")
	if title == "" {
		return "<" + href + ">"
	}
	return "<" + href + "|" + title + ">"
}

// textLine is one line of a section: pre and post wrap the text ("*" for
// bold headings, "• " for bullets). Keeping them apart lets pack write a
// line without building it first.
type textLine struct{ pre, text, post string }

// plainLines makes textLines of lines.
func plainLines(lines []string) []textLine {
	out := make([]textLine, len(lines))
	for i, l := range lines {
		out[i].text = l
	}
	return out
}

// pack joins lines with newlines into texts of at most n characters each. A
// line longer than n is cut; lines are never split between texts otherwise.
func pack(lines []textLine, n int) []string {
	var out []string
	var cur strings.Builder
	size := 0
	for _, l := range lines {
		size += len(l.pre) + len(l.text) + len(l.post) + 1
	}
	cur.Grow(min(size, 4*n)) // one allocation for the common single text
	w := 0                   // width of cur
	for _, l := range lines {
		// Byte lengths bound widths from above; count exactly only when
		// the bound says the line might not fit.
		lw := len(l.pre) + len(l.text) + len(l.post)
		if lw > n || w+1+lw > n {
			lw = textlimit.Width(l.pre) + textlimit.Width(l.text) + textlimit.Width(l.post)
		}
		if lw > n {
			l = textLine{text: cut(l.pre+l.text+l.post, n)}
			lw = textlimit.Width(l.text)
		}
		if cur.Len() > 0 && w+1+lw > n {
			out = append(out, cur.String())
			cur.Reset()
			w = 0
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			w++
		}
		cur.WriteString(l.pre)
		cur.WriteString(l.text)
		cur.WriteString(l.post)
		w += lw
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// blocks renders a reply as Block Kit within Slack's limits: at most 50
// blocks, with every text cut to its element's limit. When the body does not
// fit, it is cut and a context line says so; the footer, the attribution and
// the buttons are always kept.
func blocks(rep bot.Reply, v view) []slackapi.Block {
	if v.public {
		rep = rep.Public()
	}
	body := make([]slackapi.Block, 0, 8+len(rep.Sections)+len(rep.Items))
	if rep.Title != "" {
		if rep.TitleURL != "" {
			body = append(body, slackapi.NewSectionBlock(mrkdwn("*"+link(rep.Title, rep.TitleURL)+"*"), nil, nil))
		} else {
			body = append(body, slackapi.NewHeaderBlock(plain(line(rep.Title, maxHeaderText))))
		}
	}
	for _, t := range pack(plainLines(strings.Split(esc(strings.TrimSpace(rep.Intro)), "\n")), maxSectionText) {
		if strings.TrimSpace(t) != "" {
			body = append(body, slackapi.NewSectionBlock(mrkdwn(t), nil, nil))
		}
	}
	var fields []*slackapi.TextBlockObject
	for _, f := range rep.Fields {
		name := line(f.Name, maxFieldText/4)
		val := cut(esc(strings.TrimSpace(f.Value)), maxFieldText-textlimit.Width(name)-3)
		if name == "" && val == "" {
			continue
		}
		fields = append(fields, mrkdwn(strings.TrimSpace("*"+name+"*\n"+val)))
		if len(fields) == maxFields {
			body = append(body, slackapi.NewSectionBlock(nil, fields, nil))
			fields = nil
		}
	}
	if len(fields) > 0 {
		body = append(body, slackapi.NewSectionBlock(nil, fields, nil))
	}
	for _, s := range rep.Sections {
		lines := make([]textLine, 0, len(s.Bullets)+2)
		if h := line(s.Heading, maxSectionText/4); h != "" {
			lines = append(lines, textLine{"*", h, "*"})
		}
		if t := esc(strings.TrimSpace(s.Text)); t != "" {
			lines = append(lines, plainLines(strings.Split(t, "\n"))...)
		}
		for _, b := range s.Bullets {
			if b != "" {
				lines = append(lines, textLine{"• ", esc(b), ""})
			}
		}
		for _, t := range pack(lines, maxSectionText) {
			body = append(body, slackapi.NewSectionBlock(mrkdwn(t), nil, nil))
		}
	}
	if h := line(rep.ItemsHeading, maxSectionText-2); h != "" && len(rep.Items) > 0 { // 2 for the "*"s
		body = append(body, slackapi.NewSectionBlock(mrkdwn("*"+h+"*"), nil, nil))
	}
	for i, it := range rep.Items {
		var lines []string
		if t := line(it.Text, maxSectionText/2); t != "" {
			lines = append(lines, "*"+t+"*")
		}
		if d := line(it.Detail, maxSectionText-maxSectionText/2-3); d != "" {
			lines = append(lines, d)
		}
		if len(lines) == 0 {
			continue
		}
		var acc *slackapi.Accessory
		if it.Action != nil {
			acc = slackapi.NewAccessory(button(actionIDPrefix+"item_"+strconv.Itoa(i), *it.Action))
		}
		body = append(body, slackapi.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, acc))
	}
	if len(rep.Links) > 0 {
		lines := []textLine{{"*", cmp.Or(rep.LinksHeading, i18n.T(rep.Lang, "links")), "*"}}
		for _, l := range rep.Links {
			lines = append(lines, textLine{"• ", link(l.Title, l.URL), ""})
		}
		for _, t := range pack(lines, maxSectionText) {
			body = append(body, slackapi.NewSectionBlock(mrkdwn(t), nil, nil))
		}
	}

	var tail []slackapi.Block
	if f := line(rep.Footer, maxContextText); f != "" {
		tail = append(tail, slackapi.NewContextBlock("", mrkdwn(f)))
	}
	if v.sharedBy != "" {
		// The mention is built here from a user id Slack gave us, never
		// from reply text.
		tail = append(tail, slackapi.NewContextBlock("", mrkdwn(i18n.T(rep.Lang, "shared_by_user", "<@"+v.sharedBy+">"))))
	}
	var buttons []slackapi.BlockElement
	for i, a := range rep.Actions {
		if len(buttons) == maxActions {
			break
		}
		buttons = append(buttons, button(actionIDPrefix+string(a.Kind)+"_"+strconv.Itoa(i), a))
	}
	if len(buttons) > 0 {
		tail = append(tail, slackapi.NewActionBlock("", buttons...))
	}

	if len(body)+len(tail) > maxBlocks {
		body = append(body[:maxBlocks-len(tail)-1],
			slackapi.NewContextBlock("", mrkdwn(i18n.T(rep.Lang, "slack_cut"))))
	}
	return append(body, tail...)
}

// button renders an action. Its value is the core's opaque Action.Value,
// decoded with bot.ParseAction when pressed.
func button(id string, a bot.Action) *slackapi.ButtonBlockElement {
	label := a.Label
	if label == "" {
		label = string(a.Kind)
	}
	b := slackapi.NewButtonBlockElement(id, a.Value, plain(line(label, maxButtonText)))
	if a.Kind == bot.ActionShare {
		b.Style = slackapi.StylePrimary
	}
	return b
}
