package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store/bolt"
)

func (e env) digest(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("digest", gconf)
	dry := fs.Bool("dry-run", false, "print which channel would get which talk; post and record nothing")
	now := fs.Bool("now", false, "run this week's delivery once and exit")
	cfg, rest, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if *dry == *now || len(rest) > 0 {
		return fmt.Errorf("digest: give exactly one of --dry-run or --now, and nothing else")
	}
	var res digestResult
	// A dry run only reads: it opens the store read-only, so it creates no
	// file and writes nothing, not even the week's pick.
	a, err := e.openApp(cfg, e.logger(cfg), *dry)
	switch {
	case errors.Is(err, bolt.ErrLocked):
		// A running serve holds the store: ask it over its control socket.
		sock := controlPath(cfg.Store.Path)
		res, err = askServe(ctx, sock, *dry)
		if err != nil {
			return fmt.Errorf("the store is held by another talkbot process, and no serve answered on its control socket %s: %w", sock, err)
		}
	case err != nil:
		return err
	default:
		defer a.close()
		w := bot.WeekOf(a.bot.Now(), a.bot.Location())
		res.Week = w.String()
		if *dry {
			plan, err := a.digest.Preview(ctx, w)
			if err != nil {
				return err
			}
			res.Plan = a.planLines(plan)
		} else {
			res.Report, err = a.runDigest(ctx, w, "command")
			res.Err = errString(err)
		}
	}
	if *dry {
		fmt.Fprintf(e.stdout, "digest for the week of %s (%d channels)\n", res.Week, len(res.Plan))
		for _, l := range res.Plan {
			fmt.Fprintln(e.stdout, l)
		}
		return nil
	}
	r := res.Report
	fmt.Fprintf(e.stdout, "digest for the week of %s: sent %d, already delivered %d, recovered %d, paused %d, failed %d\n",
		res.Week, r.Sent, r.Skipped, r.Recovered, r.Paused, r.Failed)
	if res.Err != "" {
		return errors.New(res.Err)
	}
	if r.Failed > 0 {
		return exitCode(1)
	}
	return nil
}

// digestResult is what "talkbot digest" prints, computed here or by a
// running serve (GET /digest/plan, POST /digest/run on its control socket).
type digestResult struct {
	Week   string     `json:"week"`
	Plan   []string   `json:"plan,omitempty"`
	Report bot.Report `json:"report"`
	Err    string     `json:"error,omitempty"`
}

func writeReport(w http.ResponseWriter, r digestResult) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(r)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// planLines formats a plan as "channel<TAB>talk<TAB>state" lines.
func (a *app) planLines(plan []bot.Planned) []string {
	var out []string
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
		out = append(out, p.Sub.ChannelRef.String()+"\t"+talk+"\t"+state)
	}
	return out
}
