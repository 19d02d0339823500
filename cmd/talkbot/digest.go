package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/store"
)

func (e env) digest(ctx context.Context, args []string, gconf string) error {
	fs, conf := e.flags("digest", gconf)
	dry := fs.Bool("dry-run", false, "print which channel would get which talk, and post nothing")
	now := fs.Bool("now", false, "run this week's delivery once and exit")
	cfg, err := e.setup(fs, conf, args)
	if err != nil {
		return err
	}
	if *dry == *now {
		return fmt.Errorf("digest: give exactly one of --dry-run or --now")
	}
	var res digestResult
	a, err := e.open(cfg, e.logger(cfg))
	switch {
	case errors.Is(err, store.ErrLocked):
		// A running serve holds the store: ask it to do the work.
		res, err = askServe(ctx, cfg.HTTP.Addr, *dry)
		if err != nil {
			return fmt.Errorf("the store is held by a running talkbot, which did not answer on http.addr %s: %w", cfg.HTTP.Addr, err)
		}
	case err != nil:
		return err
	default:
		defer a.close()
		w := bot.WeekOf(a.bot.Now(), a.bot.Location())
		res.Week = w.String()
		if *dry {
			plan, err := a.digest.Plan(ctx, w)
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
// running serve (GET /digest/plan, POST /digest/run).
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

// askServe asks the serve listening on addr for this week's plan or run.
func askServe(ctx context.Context, addr string, dry bool) (digestResult, error) {
	var res digestResult
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return res, err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // serve listens on every interface, loopback included
	}
	method, path := http.MethodPost, "/digest/run"
	if dry {
		method, path = http.MethodGet, "/digest/plan"
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return res, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return res, fmt.Errorf("%s %s: %s", method, path, strings.TrimSpace(string(b)))
	}
	return res, json.NewDecoder(resp.Body).Decode(&res)
}
