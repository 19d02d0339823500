package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAskFlagsAfterTheQuery(t *testing.T) {
	want, _, err := runT(t, nil, "", "ask", "--page", "2", "monitoring")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(want, "“monitoring”, page 2") {
		t.Fatalf("ask --page 2 monitoring is not page 2:\n%s", want)
	}
	for _, args := range [][]string{
		{"ask", "monitoring", "--page", "2"},
		{"ask", "monitoring", "--page=2"},
		{"ask", "--config=", "monitoring", "-page", "2"},
	} {
		got, _, err := runT(t, nil, "", args...)
		if err != nil || got != want {
			t.Errorf("%q: got %v\n%s\nwant the same answer as ask --page 2 monitoring", args, err, got)
		}
	}
	// After "--", everything is the query.
	out, _, err := runT(t, nil, "", "ask", "--", "--zzqxv")
	if err != nil || !strings.Contains(out, "“--zzqxv”") {
		t.Errorf("ask -- --zzqxv: got %v %q, want an answer for the query --zzqxv", err, out)
	}
	if _, stderr, err := runT(t, nil, "", "ask", "sharding", "--pgae", "2"); err != exitCode(2) || !strings.Contains(stderr, "pgae") {
		t.Errorf("misspelt flag after the query: got %v %q, want exit 2 naming it", err, stderr)
	}
}

func TestAskJSONCommands(t *testing.T) {
	tests := []struct {
		query   string
		command string
		check   func(r jsonReply) bool
	}{
		{"conferences", "conferences", func(r jsonReply) bool { return len(r.Items) > 0 && strings.Contains(r.Text, "DEVIEW") }},
		{"random", "random", func(r jsonReply) bool { return r.Title != "" && len(r.Fields) > 0 }},
		{"show deview-2019-sre-fail-fast", "show", func(r jsonReply) bool {
			return strings.Contains(r.Title, "Fail Fast") && len(r.Sections) > 0 && r.Sections[0].Heading != ""
		}},
		{"help", "help", func(r jsonReply) bool { return strings.Contains(r.Text, "speaker") }},
		{"show no-such-talk", "show", func(r jsonReply) bool { return r.Outcome != "ok" && r.Text != "" }},
		{"speaker Johnny", "speaker", func(r jsonReply) bool { return len(r.Items) > 0 || r.Title != "" }},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			out, _, err := runT(t, nil, "", append([]string{"ask", "--json"}, strings.Fields(tt.query)...)...)
			if err != nil {
				t.Fatal(err)
			}
			var r jsonReply
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("ask --json %s is not a reply object: %v\n%s", tt.query, err, out)
			}
			if r.Command != tt.command || r.Outcome == "" || !tt.check(r) {
				t.Errorf("ask --json %s: got %+v", tt.query, r)
			}
			for _, it := range r.Items {
				if it.Action != nil && !strings.HasPrefix(it.Action.Command, "talkbot ask ") {
					t.Errorf("item action %+v is not a talkbot command line", it.Action)
				}
			}
		})
	}
}

func TestServeChecksEveryKeyBeforeIO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "talkbot.db")
	vars := map[string]string{
		"TALKBOT_STORE_PATH":         path,
		"TALKBOT_SLACK_BOT_TOKEN":    "xoxb-1",     // no signing secret nor app token
		"TALKBOT_DISCORD_PUBLIC_KEY": "not-hex",    // and a bad Discord key
		"TALKBOT_DISCORD_APP_ID":     "not-number", // and another
		"TALKBOT_HTTP_ADDR":          "8080",       // and no port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := envOf(vars, io.Discard)
	e.listener = ln
	err = e.run(context.Background(), []string{"serve"})
	if err == nil {
		t.Fatal("serve with bad keys: got nil error")
	}
	if _, aerr := ln.Accept(); !errors.Is(aerr, net.ErrClosed) {
		t.Errorf("serve failed at start and left its listener open (Accept: %v)", aerr)
	}
	for _, key := range []string{"slack.signing_secret", "discord.public_key", "discord.app_id", "http.addr"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("serve's error does not name %s:\n%v", key, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("serve with bad keys left %v in the store's directory", entries)
	}

	missing := filepath.Join(dir, "nope", "talkbot.db")
	_, _, err = runT(t, map[string]string{"TALKBOT_STORE_PATH": missing}, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "store.path") || strings.Count(err.Error(), missing) != 1 || strings.Contains(err.Error(), "open store") {
		t.Errorf("serve with the store in a missing directory: got %v; want store.path named and the path said once", err)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{exitCode(2), 2, ""},
		{errors.New("boom"), 1, "talkbot: boom\n"},
		{fs.ErrNotExist, 1, "talkbot: file does not exist\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if got := exitStatus(tt.err, &b); got != tt.code || b.String() != tt.stderr {
			t.Errorf("exitStatus(%v): got %d %q, want %d %q", tt.err, got, b.String(), tt.code, tt.stderr)
		}
	}
}
