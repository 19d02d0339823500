package recaps

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// lintTalk is a talk file whose tags line is line 5 and whose links, when
// given, are on line 6.
func lintTalk(tags, links, body string) string {
	s := "+++\nid = \"a\"\nconference = \"c1\"\ntitle = \"t\"\ntags = " + tags + "\n"
	if links != "" {
		s += "links = " + links + "\n"
	}
	return s + "+++\n" + body
}

const glossary = "[[term]]\nwords = [\"sharding\", \"샤딩\"]\n\n[[term]]\nwords = [\"scalability\", \"확장성\"]\n\n[[term]]\nwords = [\"extensibility\", \"확장성\"]\n"

func checkOne(t *testing.T, file string) []string {
	t.Helper()
	src := Source{Name: "d", FS: fstest.MapFS{
		"c1.md":         {Data: []byte(conf)},
		"x.md":          {Data: []byte(file)},
		"glossary.toml": {Data: []byte(glossary)},
	}}
	var got []string
	for _, p := range Check("d", src) {
		got = append(got, p.String())
	}
	return got
}

func TestLintProblems(t *testing.T) {
	body := "## Summary\n- 요약이다.\n"
	tests := []struct {
		name, file string
		want       string // a problem that must be reported; "" for none
	}{
		{"reference as title link",
			lintTalk(`["x"]`, `[{ title = "참고: 다른 발표", url = "https://e.com/v", kind = "video" }]`, body),
			`d/x.md:6: link "참고: 다른 발표" has kind "video", so it may become the title link, but its title calls it a reference`},
		{"reference marked as one", lintTalk(`["x"]`, `[{ title = "참고: 다른 발표", url = "https://e.com/v", kind = "reference" }]`, body), ""},
		{"video without a kind",
			lintTalk(`["x"]`, "[\n  { title = \"x\", url = \"https://e.com/x\" },\n  { title = \"발표 영상\", url = \"https://e.com/v\" },\n]", body),
			`d/x.md:8: link "발표 영상" has no kind, so it counts as a reference`},
		{"unknown kind", lintTalk(`["x"]`, `[{ title = "v", url = "https://e.com/v", kind = "movie" }]`, body),
			`d/x.md:6: front matter: unknown link kind "movie" (want "video", "slides" or "reference")`},
		{"korean tag without english", lintTalk(`["샤딩", "db"]`, "", body),
			`d/x.md:5: tag "샤딩" has no English tag for the same glossary term: add one of sharding`},
		{"korean tag with english", lintTalk(`["샤딩", "Sharding"]`, "", body), ""},
		{"english tag without korean", lintTalk(`["sharding"]`, "", body), ""},
		{"word in two terms, either english", lintTalk(`["확장성", "extensibility"]`, "", body), ""},
		{"mixed registers",
			lintTalk(`["x"]`, "", "## Summary\n- 첫째로 샤딩을 했다.\n- 둘째로 캐시를 붙였다. 셋째로 나눴어요.\n\n## Lessons\n- 리뷰어는 재미있었다고 했다(feat. 팀원).\n"),
			`d/x.md:9: sentence ending "셋째로 나눴어요" is in 해요체, but most of this corpus is in 다체`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkOne(t, tt.file)
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("got %q, want no problems", got)
				}
				return
			}
			if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, tt.want) }) {
				t.Errorf("got %q, want a problem starting %q", got, tt.want)
			}
		})
	}
}

func TestRegisterOf(t *testing.T) {
	tests := []struct {
		s    string
		want register
	}{
		{"샤딩을 도입했다.", regDa},
		{"리뷰어는 놓쳤다고 밝혔다(세부 내용은 없다).", regDa},
		{"샤딩을 도입했어요.", regHaeyo},
		{"그렇죠", regHaeyo},
		{"발표했습니다.", regFormal},
		{"대응 체계를 만들기 시작함.", regEumseum},
		{"아쉬움을 남김.", regEumseum},
		{"11번가의 발표.", regNone},
		{"새 시스템.", regNone}, // a noun ending in ㅁ is not 음슴체
		{"서버 Scale Up.", regNone},
		{"", regNone},
	}
	for _, tt := range tests {
		if got := registerOf(tt.s); got != tt.want {
			t.Errorf("registerOf(%q): got %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestSentences(t *testing.T) {
	got := sentences("Istio(feat. Istio)를 봤다. 3.5배 빨라졌다. 끝")
	want := []string{"Istio(feat. Istio)를 봤다.", " 3.5배 빨라졌다.", "끝"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
