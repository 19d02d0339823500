package main

import (
	"context"
	"fmt"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store"
)

func (e env) digest(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("digest", gconf)
	dry := fs.Bool("dry-run", false, "print which channel would get which talk, and post nothing")
	now := fs.Bool("now", false, "run this week's delivery once and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dry == *now {
		return fmt.Errorf("digest: give exactly one of --dry-run or --now")
	}
	cfg, err := e.config(*conf)
	if err != nil {
		return err
	}
	a, err := e.open(cfg, e.logger(cfg))
	if err != nil {
		return err
	}
	defer a.close()
	w := bot.WeekOf(a.bot.Now(), a.bot.Location())
	if *dry {
		plan, err := a.digest.Plan(ctx, w)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "digest for the week of %s (%d channels)\n", w, len(plan))
		for _, p := range plan {
			state := "to send"
			switch {
			case p.Done:
				state = "already delivered"
			case p.Talk == nil:
				state = "no talk matches the topics"
			case a.platforms[p.Sub.Platform] == nil:
				state = "platform not configured"
			}
			talk := "-"
			if p.Talk != nil {
				talk = p.Talk.ID + " (" + p.Talk.Title + ")"
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", p.Sub.ChannelRef, talk, state)
		}
		return nil
	}
	r, err := a.digest.Run(ctx, w)
	fmt.Fprintf(e.stdout, "digest for the week of %s: sent %d, already delivered %d, recovered %d, paused %d, failed %d\n",
		w, r.Sent, r.Skipped, r.Recovered, r.Paused, r.Failed)
	if err != nil {
		return err
	}
	if r.Failed > 0 {
		return exitCode(1)
	}
	return nil
}

func (e env) storeCmd(ctx context.Context, args []string, gconf string) error {
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("usage: talkbot store check [--config PATH]")
	}
	fs, conf := e.flags("store check", gconf)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := e.config(*conf)
	if err != nil {
		return err
	}
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: cfg.Store.LockTimeout.Duration})
	if err != nil {
		return fmt.Errorf("open store (store.path): %w", err)
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "store: %s\n", db.Path())
	return db.Check(e.stdout)
}
