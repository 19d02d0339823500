// Package console renders talkbot replies as terminal text and runs an
// interactive prompt that answers each line as the chat command would, like
// hubot's shell and errbot's text mode.
package console

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
)

// Hint says how a user at a terminal triggers an action, such as
// "talkbot ask --page 2 sharding" or "next". Returning "" hides the action.
type Hint func(a bot.Action) string

// Render writes r as plain text. Actions are shown through hint; a nil hint
// hides them. What a terminal would act on rather than show (control
// characters, invalid UTF-8) is written as U+FFFD.
func Render(w io.Writer, r bot.Reply, hint Hint) error {
	var b strings.Builder
	if r.Title != "" {
		b.WriteString(r.Title + "\n")
		if r.TitleURL != "" {
			b.WriteString(r.TitleURL + "\n")
		}
	}
	if r.Intro != "" {
		b.WriteString(r.Intro + "\n")
	}
	if len(r.Fields) > 0 {
		b.WriteString("\n")
		width := 0
		for _, f := range r.Fields {
			width = max(width, utf8.RuneCountInString(f.Name))
		}
		for _, f := range r.Fields {
			pad := strings.Repeat(" ", width-utf8.RuneCountInString(f.Name))
			lines := strings.Split(f.Value, "\n")
			fmt.Fprintf(&b, "  %s:%s %s\n", f.Name, pad, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", width), l)
			}
		}
	}
	for _, s := range r.Sections {
		b.WriteString("\n" + s.Heading + "\n")
		if s.Text != "" {
			b.WriteString("  " + s.Text + "\n")
		}
		for _, x := range s.Bullets {
			b.WriteString("  • " + x + "\n")
		}
	}
	if len(r.Links) > 0 {
		b.WriteString("\n" + cmp.Or(r.LinksHeading, i18n.T(r.Lang, "links")) + "\n")
		for _, l := range r.Links {
			if l.Title != l.URL {
				fmt.Fprintf(&b, "  • %s: %s\n", l.Title, l.URL)
			} else {
				fmt.Fprintf(&b, "  • %s\n", l.URL)
			}
		}
	}
	if len(r.Items) > 0 {
		b.WriteString("\n")
		if r.ItemsHeading != "" {
			b.WriteString(r.ItemsHeading + "\n")
		}
		for _, it := range r.Items {
			b.WriteString("  " + it.Text + "\n")
			detail := it.Detail
			if it.Action != nil && hint != nil {
				if h := hint(*it.Action); h != "" {
					detail = strings.TrimSpace(detail + "  → " + h)
				}
			}
			if detail != "" {
				b.WriteString("     " + detail + "\n")
			}
		}
	}
	if r.Footer != "" {
		b.WriteString("\n" + r.Footer + "\n")
	}
	if hint != nil {
		for _, a := range r.Actions {
			if h := hint(a); h != "" {
				fmt.Fprintf(&b, "%s: %s\n", a.Label, h)
			}
		}
	}
	_, err := io.WriteString(w, printable(b.String()))
	return err
}

// printable makes s safe to print on a terminal: invalid UTF-8 and control
// characters other than newline and tab (an escape sequence, a carriage
// return that would overwrite the line) become U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t') {
			return utf8.RuneError
		}
		return r
	}, s)
}

// CLIHint returns a hint that shows b's actions as talkbot command lines.
// Sharing has no meaning at a terminal and is hidden.
func CLIHint(b *bot.Bot) func(bot.Action) string {
	return func(a bot.Action) string { return cliHint(b, a) }
}

func cliHint(b *bot.Bot, a bot.Action) string {
	p, ok := b.ParseAction(a.Value)
	if !ok {
		return ""
	}
	switch p.Kind {
	case bot.ActionNext:
		cmd, page := p.Request()
		if page > 1 {
			return fmt.Sprintf("talkbot ask --page %d %s", page, cmd)
		}
		return "talkbot ask " + cmd.String()
	case bot.ActionShow:
		return "talkbot ask show " + p.Arg
	}
	return ""
}

// replHint shows b's actions as what to type at the prompt.
func replHint(b *bot.Bot, a bot.Action) string {
	p, ok := b.ParseAction(a.Value)
	if !ok {
		return ""
	}
	switch p.Kind {
	case bot.ActionNext:
		if cmd, page := p.Request(); page == 1 {
			return cmd.String()
		}
		return "next"
	case bot.ActionShow:
		return "show " + p.Arg
	}
	return ""
}

// Platform is the platform name in requests from the terminal.
const Platform = "console"

// Prompt is printed before each line the REPL reads.
const Prompt = "talk> "

// REPL reads commands from in, one per line, and writes the bot's answers
// to out, until in ends, the user types "quit" or "exit", or ctx ends: a
// cancelled REPL (Ctrl-C from a terminal that is not a TTY, SIGTERM)
// returns at once, even while it waits for a line; the read in progress
// ends with the next line of in. "next" (or "more") runs the last
// answer's "Next results" action.
func REPL(ctx context.Context, b *bot.Bot, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	return repl(ctx, b, &scanLines{sc: sc, out: out}, out)
}

// lineReader reads one line of input after showing prompt. It returns
// io.EOF when the input ends and errInterrupt when the user asks to leave
// (Ctrl-C).
type lineReader interface {
	readLine(prompt string) (string, error)
}

// errInterrupt is returned by a lineReader for Ctrl-C.
var errInterrupt = errors.New("interrupted")

// scanLines reads lines from a plain stream, writing the prompt to out.
type scanLines struct {
	sc  *bufio.Scanner
	out io.Writer
}

func (s *scanLines) readLine(prompt string) (string, error) {
	fmt.Fprint(s.out, prompt)
	if s.sc.Scan() {
		return s.sc.Text(), nil
	}
	fmt.Fprintln(s.out)
	if err := s.sc.Err(); err != nil {
		return "", fmt.Errorf("read console input: %w", err)
	}
	return "", io.EOF
}

// readLine reads a line from lr, or returns ctx's error as soon as ctx
// ends; the read then goes on in the background until lr returns.
func readLine(ctx context.Context, lr lineReader, prompt string) (string, error) {
	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := lr.readLine(prompt)
		got <- result{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-got:
		return r.line, r.err
	}
}

// repl is the loop of REPL and Terminal.
func repl(ctx context.Context, b *bot.Bot, lr lineReader, out io.Writer) error {
	lang := b.Lang("") // the console's language: --lang, else the locale, else [bot] language
	fmt.Fprintln(out, i18n.T(lang, "console_greeting"))
	var next *bot.ParsedAction
	for {
		text, err := readLine(ctx, lr, Prompt)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, errInterrupt), ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		}
		line := strings.TrimSpace(text)
		req := bot.Request{Platform: Platform, Channel: Platform, User: Platform, Command: bot.ParseCommand(line)}
		switch strings.ToLower(line) {
		case "":
			continue
		case "quit", "exit", `\q`, "종료":
			return nil
		case "next", "more", "다음", "더보기":
			if next == nil {
				fmt.Fprintln(out, i18n.T(lang, "console_nothing_next"))
				continue
			}
			req.Command, req.Page = next.Request()
		}
		rep := b.Handle(ctx, req)
		next = nil
		for _, a := range rep.Actions {
			if p, ok := b.ParseAction(a.Value); ok && p.Kind == bot.ActionNext {
				next = &p
			}
		}
		if err := Render(out, rep, func(a bot.Action) string { return replHint(b, a) }); err != nil {
			if errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("write console output: %w", err)
		}
		fmt.Fprintln(out)
	}
}
