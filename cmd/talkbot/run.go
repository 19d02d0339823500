package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/talkbot/talkbot/adapters/console"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/recaps"
)

// exitCode ends the process with a status and no further message; the
// subcommand has already printed what went wrong.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usageText = `talkbot shares conference talk recaps on Slack, Discord and the terminal.

Usage:
  talkbot ask [--json] [--page N] QUERY…   answer one command and exit
  talkbot console                          interactive prompt (line editing on a terminal; Ctrl-C leaves)
  talkbot serve                            run the bot (HTTP, Slack, Discord, digest)
  talkbot digest [--dry-run | --now]       show (writing nothing) or run this week's digest
  talkbot lint [DIR]                       validate a recap corpus (default: recaps.dir, else the embedded one)
  talkbot store check                      verify the store (bbolt or PostgreSQL) and print counts (read-only)
  talkbot store migrate --from bolt:PATH --to postgres[:DSN]
                                           copy a bbolt store into PostgreSQL (repeatable)
  talkbot recaps list                      list the recaps shared from chat: id, title, author, date
  talkbot recaps export DIR                write them (and conferences created from chat) as recap files
  talkbot version                          print version information

Every subcommand takes --config PATH (default: config.toml if present);
ask, console, digest, recaps, lint and version take --lang ko|en (default:
LC_ALL, LC_MESSAGES or LANG, else [bot] language).
Flags may follow the other arguments; after "--" everything is an argument.
QUERY is what follows /talk in chat: a topic (sharding, 샤딩), "speaker NAME",
"show ID", "random", "week", "conferences" or "help".
`

// env is what talkbot touches of the outside world. Tests build their own
// and call its run method.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// listener, when set, is serve's HTTP listener in place of one opened
	// on http.addr; serve closes it.
	listener net.Listener
	// now is the clock of the core and the digest; nil means time.Now.
	now func() time.Time
}

// run is talkbot's entry point for main: the process's standard input,
// listener and clock.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return env{getenv: getenv, stdin: os.Stdin, stdout: stdout, stderr: stderr}.run(ctx, args)
}

// exitStatus returns the process's exit status for run's error, writing the
// error to stderr unless the subcommand has already said what went wrong.
func exitStatus(err error, stderr io.Writer) int {
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	fmt.Fprintln(stderr, "talkbot:", err)
	return 1
}

// run parses the global flags and runs the subcommand.
func (e env) run(ctx context.Context, args []string) error {
	stdout, stderr := e.stdout, e.stderr
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
	case "recaps":
		return e.recapsCmd(ctx, rest, *gconf)
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

// parse parses a subcommand's flags wherever they stand among its
// arguments ("ask sharding --page 2" as "ask --page 2 sharding") and
// returns the other arguments in order; everything after "--" is an
// argument. -h becomes a clean exit.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitCode(0)
		}
		if err != nil {
			return nil, exitCode(2)
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// setup parses a subcommand's flags and loads the configuration; it returns
// the arguments that are not flags.
func (e env) setup(fs *flag.FlagSet, conf *string, args []string) (Config, []string, error) {
	rest, err := parse(fs, args)
	if err != nil {
		return Config{}, nil, err
	}
	cfg, err := e.config(*conf)
	return cfg, rest, err
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

// newBot builds the core over corpus c with e's clock.
func (e env) newBot(cfg Config, c *recaps.Corpus, log *slog.Logger, opts bot.Options) (*bot.Bot, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	opts.Location = loc
	opts.Logger = log
	if opts.Lang == "" {
		opts.Lang = cfg.Bot.Lang()
	}
	opts.Now = e.now
	return bot.New(c, opts), nil
}

// cliLang sets the language of ask and console in cfg: --lang, else the
// locale of the environment (LC_ALL, LC_MESSAGES, LANG, the first set to
// a Korean or English locale), else [bot] language as configured.
func (e env) cliLang(cfg *Config, flagLang string) error {
	if flagLang != "" {
		l, ok := i18n.Parse(flagLang)
		if !ok {
			return fmt.Errorf("--lang must be ko or en, not %q", flagLang)
		}
		cfg.Bot.Language = string(l)
		return nil
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, ok := i18n.Parse(e.getenv(k)); ok {
			cfg.Bot.Language = string(l)
			return nil
		}
	}
	return nil
}

// outSetup is setup for a command whose output is for people: it adds
// --lang to fs, and returns the language to print in (see outLang).
func (e env) outSetup(fs *flag.FlagSet, conf *string, args []string) (Config, []string, i18n.Lang, error) {
	lang := fs.String("lang", "", "print in ko or en (default: from LC_ALL, LC_MESSAGES or LANG, else [bot] language)")
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return cfg, nil, "", err
	}
	l, err := e.outLang(cfg, *lang)
	return cfg, rest, l, err
}

// outLang returns the language a command prints in: --lang, else the
// environment's locale, else [bot] language ("auto" is English here: the
// output answers no text to tip it).
func (e env) outLang(cfg Config, flagLang string) (i18n.Lang, error) {
	if err := e.cliLang(&cfg, flagLang); err != nil {
		return "", err
	}
	if cfg.Bot.Lang() == i18n.KO {
		return i18n.KO, nil
	}
	return i18n.EN, nil
}

// oneShotBot builds the core for ask and console: no logs (the answer is
// the output) and no store of its own. It answers with the recaps shared
// from chat too, read from the configured store (see sharedRecaps); when
// they cannot be read, it answers with the corpus alone and says so on
// stderr.
func (e env) oneShotBot(ctx context.Context, cfg Config) (*bot.Bot, error) {
	c, err := corpus(cfg)
	if err != nil {
		return nil, err
	}
	b, err := e.newBot(cfg, c, slog.New(slog.DiscardHandler), bot.Options{})
	if err != nil {
		return nil, err
	}
	cs, err := sharedRecaps(ctx, cfg)
	if err != nil {
		if e.stderr != nil {
			fmt.Fprintf(e.stderr, "talkbot: answering without the recaps shared from chat: %v\n", err)
		}
		return b, nil
	}
	b.UseRecaps(cs)
	return b, nil
}

// How long ask and console wait for the store before answering without
// the recaps shared from chat: a bbolt file's lock (a running serve holds
// it, and is then asked over its control socket instead), and the whole
// read, PostgreSQL's connection included.
const (
	sharedLockWait = 100 * time.Millisecond
	sharedReadWait = 3 * time.Second
)

// sharedRecaps returns the recaps shared from chat in the configured
// store, as "recaps list" reads them (contributions): none when the bbolt
// file does not exist yet.
func sharedRecaps(ctx context.Context, cfg Config) ([]bot.Contribution, error) {
	cfg.Store.LockTimeout = Duration{sharedLockWait}
	ctx, cancel := context.WithTimeout(ctx, sharedReadWait)
	defer cancel()
	cs, err := contributions(ctx, cfg)
	if errors.Is(err, errNoStore) {
		return nil, nil
	}
	return cs, err
}

func (e env) ask(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("ask", gconf)
	asJSON := fs.Bool("json", false, "print the answer as JSON: the ranked hits of a search, the reply of other commands")
	page := fs.Int("page", 1, "page of results")
	lang := fs.String("lang", "", "answer in ko or en (default: from LC_ALL, LC_MESSAGES or LANG, else [bot] language)")
	cfg, words, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if err := e.cliLang(&cfg, *lang); err != nil {
		return err
	}
	if *page < 1 {
		return fmt.Errorf("--page must be 1 or more, not %d", *page)
	}
	b, err := e.oneShotBot(ctx, cfg)
	if err != nil {
		return err
	}
	q := strings.Join(words, " ")
	if *asJSON {
		return writeJSON(e.stdout, askJSON(ctx, b, q, *page))
	}
	rep := b.Handle(ctx, bot.Request{Platform: console.Platform, Command: bot.ParseCommand(q), Page: *page})
	return console.Render(e.stdout, rep, console.CLIHint(b))
}

func (e env) console(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("console", gconf)
	lang := fs.String("lang", "", "answer in ko or en (default: from LC_ALL, LC_MESSAGES or LANG, else [bot] language)")
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if err := e.cliLang(&cfg, *lang); err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("console takes no arguments, not %q", strings.Join(rest, " "))
	}
	b, err := e.oneShotBot(ctx, cfg)
	if err != nil {
		return err
	}
	if e.stdin == os.Stdin && console.IsTerminal(os.Stdin) {
		return console.Terminal(ctx, b, e.stdout)
	}
	return console.REPL(ctx, b, e.stdin, e.stdout)
}

func (e env) lint(args []string, gconf string) error {
	fs, conf := e.flags("lint", gconf)
	cfg, dirs, l, err := e.outSetup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(dirs) > 1 {
		return fmt.Errorf("lint takes at most one directory")
	}
	// Without DIR: the configured recaps.dir if there is one, else the
	// embedded corpus.
	dir := cfg.Recaps.Dir
	if len(dirs) == 1 {
		dir = dirs[0]
	}
	var problems []recaps.Problem
	name := i18n.T(l, "cli_embedded_corpus")
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
		fmt.Fprintln(e.stderr, i18n.T(l, "cli_lint_problems", len(problems), name))
		return exitCode(1)
	}
	fmt.Fprintln(e.stderr, i18n.T(l, "cli_lint_ok", name))
	return nil
}

func (e env) version(args []string, gconf string) error {
	fs, conf := e.flags("version", gconf)
	_, rest, l, err := e.outSetup(fs, conf, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("version takes no arguments, not %q", strings.Join(rest, " "))
	}
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T(l, "cli_version", v, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		i18n.T(l, "n_talks", len(c.Talks)), i18n.T(l, "n_conferences", len(c.Conferences))))
	return nil
}
