package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/bot/i18n"
)

func TestConfigLanguage(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none.toml")
	for _, tt := range []struct {
		env  string
		want i18n.Lang
		err  string
	}{
		{"", i18n.Auto, ""},
		{"ko", i18n.KO, ""},
		{"en", i18n.EN, ""},
		{"auto", i18n.Auto, ""},
		{"fr", "", `bot.language must be "auto", "ko" or "en", not "fr"`},
	} {
		cfg, err := loadConfig(none, false, func(k string) string {
			if k == "TALKBOT_LANGUAGE" {
				return tt.env
			}
			return ""
		})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("TALKBOT_LANGUAGE=%q: err %v, want %q", tt.env, err, tt.err)
			}
			continue
		}
		if err != nil || cfg.Bot.Lang() != tt.want {
			t.Errorf("TALKBOT_LANGUAGE=%q: %q, %v; want %q", tt.env, cfg.Bot.Lang(), err, tt.want)
		}
	}
}

// ask answers in --lang, else in the locale of the environment, else in
// [bot] language; auto lets Hangul text choose Korean.
func TestAskLanguage(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"flag ko", nil, []string{"ask", "--lang", "ko", "sharding"}, "요약"},
		{"flag en beats LANG", map[string]string{"LANG": "ko_KR.UTF-8"}, []string{"ask", "--lang", "en", "sharding"}, "Summary"},
		{"LANG ko", map[string]string{"LANG": "ko_KR.UTF-8"}, []string{"ask", "sharding"}, "요약"},
		{"LC_ALL beats LANG", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, []string{"ask", "sharding"}, "Summary"},
		{"C locale: config ko", map[string]string{"LANG": "C.UTF-8", "TALKBOT_LANGUAGE": "ko"}, []string{"ask", "sharding"}, "요약"},
		{"auto, English text", nil, []string{"ask", "sharding"}, "Summary"},
		{"auto, Hangul text", nil, []string{"ask", "샤딩"}, "요약"},
		{"en, Hangul text", map[string]string{"TALKBOT_LANGUAGE": "en"}, []string{"ask", "샤딩"}, "Summary"},
	} {
		out, _, err := runT(t, tt.vars, "", tt.args...)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !strings.Contains(out, "\n"+tt.want+"\n") {
			t.Errorf("%s: answer lacks the heading %q:\n%s", tt.name, tt.want, out)
		}
	}
	if _, _, err := runT(t, nil, "", "ask", "--lang", "fr", "sharding"); err == nil || !strings.Contains(err.Error(), "--lang must be ko or en") {
		t.Errorf("--lang fr: %v", err)
	}
}

func TestConsoleLanguage(t *testing.T) {
	out, _, err := runT(t, nil, "sharding\n", "console", "--lang", "ko")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "배운 점") {
		t.Errorf("console --lang ko:\n%s", out)
	}
}

// The commands that print for people (version, lint, recaps, digest: see
// TestDigestTriggerIsOnTheControlSocketOnly) print in the CLI's language,
// with English plural forms.
func TestCommandOutputLanguage(t *testing.T) {
	path, ids := boltWithRecaps(t)
	store := map[string]string{"TALKBOT_STORE_PATH": path}
	ko := map[string]string{"TALKBOT_STORE_PATH": path, "LANG": "ko_KR.UTF-8"}
	for _, tt := range []struct {
		name      string
		vars      map[string]string
		args      []string
		out, errs string // wanted in stdout and stderr
		notOut    string // not wanted in stdout
	}{
		{"version", nil, []string{"version"}, "corpus: 20 talks from ", "", "코퍼스"},
		{"version ko", nil, []string{"version", "--lang", "ko"}, "코퍼스: 컨퍼런스 ", "", "corpus"},
		{"lint", nil, []string{"lint"}, "", "embedded corpus: ok", ""},
		{"lint ko", map[string]string{"LANG": "ko_KR.UTF-8"}, []string{"lint"}, "", "내장 코퍼스: 문제 없음", ""},
		{"recaps list", store, []string{"recaps", "list"}, "TITLE", "", "제목"},
		{"recaps list ko", ko, []string{"recaps", "list"}, "제목", "", "TITLE"},
		{"recaps list en beats LANG", ko, []string{"recaps", "list", "--lang", "en"}, "AUTHOR", "", "작성자"},
		{"recaps export ko", ko, []string{"recaps", "export", filepath.Join(t.TempDir(), "export")}, "요약 2개와 컨퍼런스 1곳을 ", "", "exported"},
	} {
		out, errOut, err := runT(t, tt.vars, "", tt.args...)
		if err != nil || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.errs) || (tt.notOut != "" && strings.Contains(out, tt.notOut)) {
			t.Errorf("%s: %v\nstdout: %s\nstderr: %s\nwant %q in stdout, %q in stderr, no %q", tt.name, err, out, errOut, tt.out, tt.errs, tt.notOut)
		}
		if strings.HasPrefix(tt.name, "recaps list") && !strings.Contains(out, ids[0]) {
			t.Errorf("%s: the list lacks %s:\n%s", tt.name, ids[0], out)
		}
	}
	if _, _, err := runT(t, nil, "", "version", "--lang", "fr"); err == nil || !strings.Contains(err.Error(), "--lang must be ko or en") {
		t.Errorf("version --lang fr: %v", err)
	}
}
