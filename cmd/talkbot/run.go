package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/talkbot/talkbot/adapters/console"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

// exitCode ends the process with a status and no further message; the
// subcommand has already printed what went wrong.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usageText = `talkbot shares conference talk recaps on Slack, Discord and the terminal.

Usage:
  talkbot ask [--json] [--page N] QUERY…   answer one command and exit
  talkbot console                          interactive prompt
  talkbot serve                            run the bot (HTTP, Slack, Discord, digest)
  talkbot digest [--dry-run | --now]       show or run this week's digest
  talkbot lint [DIR]                       validate a recap corpus (default: recaps.dir, else the embedded one)
  talkbot store check                      verify the store (bbolt or PostgreSQL) and print counts
  talkbot store migrate --from bolt:PATH --to postgres[:DSN]
                                           copy a bbolt store into PostgreSQL (repeatable)
  talkbot version                          print version information

Every subcommand takes --config PATH (default: config.toml if present).
QUERY is what follows /talk in chat: a topic (sharding, 샤딩), "speaker NAME",
"show ID", "random", "week", "conferences" or "help".
`

// env bundles what a subcommand may touch of the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run is talkbot's entry point, separate from main so that tests can drive
// it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv, stdin, stdout, stderr}
	// Global flags may come before the subcommand too.
	global := flag.NewFlagSet("talkbot", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	gconf := global.String("config", "", "")
	showVersion := global.Bool("version", false, "")
	global.BoolVar(showVersion, "v", false, "")
	switch err := global.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usageText)
		return nil
	case err != nil:
		fmt.Fprintf(stderr, "talkbot: %v\n\n%s", err, usageText)
		return exitCode(2)
	case *showVersion:
		return e.version(nil, *gconf)
	}
	args = global.Args()
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitCode(2)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "ask":
		return e.ask(ctx, rest, *gconf)
	case "console":
		return e.console(ctx, rest, *gconf)
	case "serve":
		return e.serve(ctx, rest, *gconf)
	case "digest":
		return e.digest(ctx, rest, *gconf)
	case "lint":
		return e.lint(rest, *gconf)
	case "store":
		return e.storeCmd(ctx, rest, *gconf)
	case "version":
		return e.version(rest, *gconf)
	case "help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprintf(stderr, "talkbot: unknown command %q\n\n%s", sub, usageText)
	return exitCode(2)
}

// flags returns a flag set for a subcommand with the common --config flag.
func (e env) flags(name, gconf string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("talkbot "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	conf := fs.String("config", gconf, "config file (default: config.toml if present)")
	return fs, conf
}

// parse parses a subcommand's flags, turning -h into a clean exit.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return exitCode(0)
	}
	if err != nil {
		return exitCode(2)
	}
	return nil
}

// setup parses a subcommand's flags and loads the configuration.
func (e env) setup(fs *flag.FlagSet, conf *string, args []string) (Config, error) {
	if err := parse(fs, args); err != nil {
		return Config{}, err
	}
	return e.config(*conf)
}

// config loads the configuration named by --config, or config.toml if
// present.
func (e env) config(path string) (Config, error) {
	if path != "" {
		return loadConfig(path, true, e.getenv)
	}
	return loadConfig("config.toml", false, e.getenv)
}

// logger builds the structured logger that cfg asks for, writing to stderr.
func (e env) logger(cfg Config) *slog.Logger {
	level, _ := cfg.LogLevel()
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// corpus loads the embedded corpus and the configured directory, if any.
func corpus(cfg Config) (*recaps.Corpus, error) {
	srcs := []recaps.Source{recaps.Embedded()}
	if cfg.Recaps.Dir != "" {
		if _, err := os.Stat(cfg.Recaps.Dir); err != nil {
			return nil, fmt.Errorf("recaps.dir: %w", err)
		}
		srcs = append(srcs, recaps.Source{Name: cfg.Recaps.Dir, FS: os.DirFS(cfg.Recaps.Dir)})
	}
	c, err := recaps.Load(srcs...)
	if err != nil {
		return nil, fmt.Errorf("load recaps: %w", err)
	}
	return c, nil
}

// newBot builds the core for the one-shot subcommands.
func newBot(cfg Config, log *slog.Logger, opts bot.Options) (*bot.Bot, error) {
	c, err := corpus(cfg)
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	opts.Location = loc
	opts.Logger = log
	return bot.New(c, opts), nil
}

// jsonHit is one element of "ask --json".
type jsonHit struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	TitleEN    string   `json:"title_en,omitempty"`
	Conference string   `json:"conference"`
	Speakers   []string `json:"speakers"`
	Tags       []string `json:"tags"`
	Score      float64  `json:"score"`
}

func (e env) ask(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("ask", gconf)
	asJSON := fs.Bool("json", false, "print the ranked hits as JSON")
	page := fs.Int("page", 1, "page of results")
	cfg, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if *page < 1 {
		return fmt.Errorf("--page must be 1 or more, not %d", *page)
	}
	// Logs are for servers; the answer is the output here.
	b, err := newBot(cfg, slog.New(slog.DiscardHandler), bot.Options{})
	if err != nil {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	if *asJSON {
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
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(hits)
	}
	rep := b.Handle(ctx, bot.Request{Platform: console.Platform, Text: q, Page: *page})
	return console.Render(e.stdout, rep, console.CLIHint)
}

func (e env) console(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("console", gconf)
	cfg, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	b, err := newBot(cfg, slog.New(slog.DiscardHandler), bot.Options{})
	if err != nil {
		return err
	}
	return console.REPL(ctx, b, e.stdin, e.stdout)
}

func (e env) lint(args []string, gconf string) error {
	fs, conf := e.flags("lint", gconf)
	cfg, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("lint takes at most one directory")
	}
	// Without DIR: the configured recaps.dir if there is one, else the
	// embedded corpus.
	dir := cmp.Or(fs.Arg(0), cfg.Recaps.Dir)
	var problems []recaps.Problem
	name := "embedded corpus"
	if dir == "" {
		problems = recaps.Check("recaps", recaps.Embedded())
	} else {
		name = dir
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("lint: %s is not a directory", dir)
		}
		// The embedded corpus is context (its conferences are known), but
		// only the directory's own problems are reported.
		embedded := recaps.Source{Name: "(embedded)", FS: recaps.Embedded().FS}
		problems = recaps.Check(dir, embedded, recaps.Source{Name: dir, FS: os.DirFS(dir)})
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p.String())
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "%s: %d problem(s)\n", name, len(problems))
		return exitCode(1)
	}
	fmt.Fprintf(e.stderr, "%s: ok\n", name)
	return nil
}

func (e env) version(args []string, gconf string) error {
	fs, _ := e.flags("version", gconf)
	if err := parse(fs, args); err != nil {
		return err
	}
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "talkbot %s %s %s/%s, corpus: %d talks from %d conferences\n",
		v, runtime.Version(), runtime.GOOS, runtime.GOARCH, len(c.Talks), len(c.Conferences))
	return nil
}
