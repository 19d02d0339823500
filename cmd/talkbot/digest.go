package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/i18n"
	"github.com/talkbot/talkbot/store/bolt"
)

func (e env) digest(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("digest", gconf)
	dry := fs.Bool("dry-run", false, "print which channel would get which talk; post and record nothing")
	now := fs.Bool("now", false, "run this week's delivery once and exit")
	cfg, rest, l, err := e.outSetup(fs, conf, args)
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
			res.Rows = a.planRows(plan)
		} else {
			res.Report, err = a.runDigest(ctx, w, "command")
			res.Err = errString(err)
		}
	}
	if *dry {
		lines := res.Plan // from a serve that sends no rows
		if res.Rows != nil {
			lines = nil
			for _, r := range res.Rows {
				lines = append(lines, r.line(l))
			}
		}
		fmt.Fprintln(e.stdout, i18n.T(l, "cli_digest_plan", len(lines), res.Week))
		for _, line := range lines {
			fmt.Fprintln(e.stdout, line)
		}
		return nil
	}
	r := res.Report
	fmt.Fprintln(e.stdout, i18n.T(l, "cli_digest_report", res.Week, r.Sent, r.Skipped, r.Recovered, r.Paused, r.Failed))
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
	Week string `json:"week"`
	// Rows is the plan of a dry run; Plan the same as English lines, as
	// serve sent it before there were rows.
	Rows   []planRow  `json:"rows,omitempty"`
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

// planRow is one channel of a dry run: which talk it would get, and its
// state, a catalog key (cli_plan_*).
type planRow struct {
	Channel string `json:"channel"`
	Talk    string `json:"talk"` // "id (title)", or "-"
	State   string `json:"state"`
}

// line formats the row as "channel<TAB>talk<TAB>state" in l.
func (r planRow) line(l i18n.Lang) string {
	return r.Channel + "\t" + r.Talk + "\t" + i18n.T(l, r.State)
}

// planRows lists a plan's channels, with what each would get.
func (a *app) planRows(plan []bot.Planned) []planRow {
	var out []planRow
	for _, p := range plan {
		state := "cli_plan_to_send"
		switch {
		case p.Done:
			state = "cli_plan_done"
		case p.Talk == nil:
			state = "cli_plan_no_talk"
		case a.platforms[p.Sub.Platform] == nil:
			state = "cli_plan_no_platform"
		}
		talk := "-"
		if p.Talk != nil {
			talk = p.Talk.ID + " (" + p.Talk.Title + ")"
		}
		out = append(out, planRow{p.Sub.ChannelRef.String(), talk, state})
	}
	return out
}

// planLines formats a plan as English lines, for a CLI that reads no rows.
func planLines(rows []planRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.line(i18n.EN))
	}
	return out
}
