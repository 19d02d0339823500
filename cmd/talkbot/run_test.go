package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runT runs talkbot with args and an environment, from a fresh directory
// so no config.toml is picked up by accident.
func runT(t *testing.T, vars map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	e := env{getenv: getenv, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	err = e.run(context.Background(), args)
	return out.String(), errOut.String(), err
}

func TestMain(m *testing.M) {
	// Tests must not read a developer's config.toml.
	dir, err := os.MkdirTemp("", "talkbot-cmd")
	if err != nil {
		panic(err)
	}
	wd, _ := os.Getwd()
	testdata = filepath.Join(wd, "testdata")
	if err := os.Chdir(dir); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testdata is the absolute path of this package's testdata directory.
var testdata string

func TestAsk(t *testing.T) {
	out, _, err := runT(t, nil, "", "ask", "sharding")
	if err != nil {
		t.Fatalf("ask sharding: %v", err)
	}
	for _, want := range []string{"Best of 3 talks for “sharding”", "Summary", "Lessons learned", "당근 채팅 시스템은 어떻게 만들까", "배민 주문시스템"} {
		if !strings.Contains(out, want) {
			t.Errorf("ask sharding output lacks %q:\n%s", want, out)
		}
	}
}

func TestAskJSON(t *testing.T) {
	for _, q := range []string{"sharding", "샤딩"} {
		out, _, err := runT(t, nil, "", "ask", "--json", q)
		if err != nil {
			t.Fatal(err)
		}
		var hits []struct {
			ID         string   `json:"id"`
			Title      string   `json:"title"`
			Conference string   `json:"conference"`
			Speakers   []string `json:"speakers"`
			Score      float64  `json:"score"`
		}
		if err := json.Unmarshal([]byte(out), &hits); err != nil {
			t.Fatalf("ask --json %s: %v\n%s", q, err, out)
		}
		if len(hits) < 3 {
			t.Fatalf("ask --json %s: got %d hits, want at least 3", q, len(hits))
		}
		top := map[string]bool{}
		for i, h := range hits {
			if i < 3 {
				top[h.ID] = true
			}
			if h.ID == "" || h.Title == "" || h.Conference == "" || h.Speakers == nil {
				t.Errorf("hit %d lacks a field: %+v", i, h)
			}
			if i > 0 && h.Score > hits[i-1].Score {
				t.Errorf("hits not best first: %v after %v", h.Score, hits[i-1].Score)
			}
		}
		for _, id := range []string{"daangn-2024-chat-sharding", "daangn-2024-search-sharding", "woowacon-2023-baemin-order-system"} {
			if !top[id] {
				t.Errorf("ask --json %s: %s not in the top 3 %v", q, id, top)
			}
		}
	}
	out, _, err := runT(t, nil, "", "ask", "--json", "zzqxv")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("ask --json with no hits: got %q, %v; want []", out, err)
	}
}

func TestLint(t *testing.T) {
	_, stderr, err := runT(t, nil, "", "lint", filepath.Join(testdata, "goodcorpus"))
	if err != nil {
		t.Errorf("lint goodcorpus: %v (%s)", err, stderr)
	}
	// Without DIR, lint checks the configured recaps.dir.
	if _, stderr, err := runT(t, map[string]string{"TALKBOT_RECAPS_DIR": filepath.Join(testdata, "badcorpus")}, "", "lint"); err != exitCode(1) || !strings.Contains(stderr, "badcorpus") {
		t.Errorf("lint with recaps.dir set: got %v, %q; want exit 1 for the bad directory", err, stderr)
	}
	out, _, err := runT(t, nil, "", "lint", filepath.Join(testdata, "badcorpus"))
	var code exitCode
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("lint badcorpus: got %v, want exit status 1", err)
	}
	bad := filepath.Join(testdata, "badcorpus", "talks")
	for _, want := range []string{
		bad + "/bad.md:2: id \"Bad Id\" is not a slug",
		bad + "/bad.md:5: tags must not be empty",
		bad + "/bad.md:8: summary is empty",
		bad + "/bad.md:10: unknown section",
		bad + "/bad.md:11: bullet outside",
		bad + "/dup2.md:2: duplicate id \"deview-2019-extra\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "types.md:6: front matter:") {
		t.Errorf("lint output lacks the type error of order in types.md:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) < 3 {
			t.Errorf("lint line %q is not file:line: message", line)
		}
	}
}

func TestRecapsDir(t *testing.T) {
	env := map[string]string{"TALKBOT_RECAPS_DIR": filepath.Join(testdata, "goodcorpus")}
	out, _, err := runT(t, env, "", "ask", "Gildong")
	if err != nil || !strings.Contains(out, "Zanzibar 양자 배포 이야기") {
		t.Errorf("ask with a recaps dir: got %v\n%s", err, out)
	}
	conf := filepath.Join(t.TempDir(), "talkbot.toml")
	os.WriteFile(conf, []byte("[recaps]\ndir = \""+filepath.Join(testdata, "goodcorpus")+"\"\n"), 0o600)
	out, _, err = runT(t, nil, "", "ask", "--config", conf, "zanzibar")
	if err != nil || !strings.Contains(out, "Zanzibar") {
		t.Errorf("ask --config with recaps.dir: got %v\n%s", err, out)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"missing file", []string{"ask", "--config", filepath.Join(dir, "nope.toml"), "x"}, nil, "read config"},
		{"bad toml", []string{"ask", "--config", write("bad.toml", "[http\n"), "x"}, nil, "config "},
		{"unknown key", []string{"ask", "--config", write("unk.toml", "[slack]\nbot_tokn = \"x\"\n"), "x"}, nil, "unknown key \"slack.bot_tokn\""},
		{"bad timezone", []string{"ask", "x"}, map[string]string{"TALKBOT_DIGEST_TIMEZONE": "Mars/Olympus"}, "digest.timezone"},
		{"bad schedule", []string{"ask", "x"}, map[string]string{"TALKBOT_DIGEST_SCHEDULE": "every monday"}, "digest.schedule"},
		{"bad log level", []string{"ask", "x"}, map[string]string{"TALKBOT_LOG_LEVEL": "loud"}, "log.level"},
		{"negative duration", []string{"ask", "x"}, map[string]string{"TALKBOT_HTTP_SHUTDOWN_TIMEOUT": "-1s"}, "http.shutdown_timeout must be a positive duration"},
		{"unparsable duration", []string{"ask", "x"}, map[string]string{"TALKBOT_STORE_LOCK_TIMEOUT": "soon"}, "store.lock_timeout"},
		{"bad workers", []string{"ask", "x"}, map[string]string{"TALKBOT_DIGEST_WORKERS": "0"}, "digest.workers"},
		{"workers not a number", []string{"ask", "x"}, map[string]string{"TALKBOT_DIGEST_WORKERS": "many"}, "TALKBOT_DIGEST_WORKERS"},
		{"global flag", []string{"--config", filepath.Join(dir, "nope.toml"), "ask", "x"}, nil, "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runT(t, tt.env, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestUsageAndVersion(t *testing.T) {
	_, stderr, err := runT(t, nil, "", "frobnicate")
	if code, ok := err.(exitCode); !ok || code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown subcommand: got %v, %q; want exit 2 and a message", err, stderr)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, _, err := runT(t, nil, "", args...)
		if err != nil || !strings.Contains(out, "talkbot") || !strings.Contains(out, "20 talks") {
			t.Errorf("%v: got %q, %v", args, out, err)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, _, err := runT(t, nil, "", args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: got %q, %v; want the usage and exit 0", args, out, err)
		}
	}
	if _, stderr, err := runT(t, nil, "", "--bogus"); err != exitCode(2) || !strings.Contains(stderr, "bogus") {
		t.Errorf("--bogus: got %v, %q; want exit 2 naming the flag", err, stderr)
	}
}

func TestConsole(t *testing.T) {
	out, _, err := runT(t, nil, "카프카\nspeaker 임문규\nquit\n", "console")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Kafka") || !strings.Contains(out, "임문규 (Johnny)") {
		t.Errorf("console output:\n%s", out)
	}
}
