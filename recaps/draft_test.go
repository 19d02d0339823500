package recaps

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

var testGlossary = [][]string{{"sharding", "shard", "샤딩", "샤드"}, {"kafka", "카프카"}, {"msa", "microservice", "마이크로서비스"}}

func TestDraftParse(t *testing.T) {
	d := Draft{
		Title:      "  채팅 메시지를 샤딩한 이야기 ",
		TitleEN:    "Sharding chat messages",
		Conference: "당근 테크 밋업 2024",
		Speakers:   "김기현 (Ash) · 채팅팀\n권영훈\n\n이종현 (Jonny)",
		Summary:    "- DynamoDB로 샤딩을 했어요\n• 카프카로 이벤트를 나눴어요 #eventbus\n3. 세 번째",
		Lessons:    "파티션 키가 중요해요",
		Tags:       "Chat, 채팅, chat",
		Link:       "https://www.youtube.com/watch?v=abc",
	}
	tk, errs := d.Parse(testGlossary)
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if tk.Title != "채팅 메시지를 샤딩한 이야기" || tk.Conference != "당근 테크 밋업 2024" {
		t.Errorf("title %q conference %q", tk.Title, tk.Conference)
	}
	wantSpeakers := []Speaker{{Name: "김기현", Handle: "Ash", Team: "채팅팀"}, {Name: "권영훈"}, {Name: "이종현", Handle: "Jonny"}}
	if !reflect.DeepEqual(tk.Speakers, wantSpeakers) {
		t.Errorf("speakers: got %+v, want %+v", tk.Speakers, wantSpeakers)
	}
	wantSummary := []string{"DynamoDB로 샤딩을 했어요", "카프카로 이벤트를 나눴어요 #eventbus", "세 번째"}
	if !reflect.DeepEqual(tk.Summary, wantSummary) {
		t.Errorf("summary: got %q, want %q", tk.Summary, wantSummary)
	}
	wantTags := []string{"chat", "채팅", "sharding", "샤딩", "kafka", "카프카", "eventbus"}
	if !reflect.DeepEqual(tk.Tags, wantTags) {
		t.Errorf("tags: got %q, want %q", tk.Tags, wantTags)
	}
	if len(tk.Links) != 1 || tk.Links[0].URL != d.Link || tk.Links[0].Kind != LinkVideo || !tk.Links[0].Material() {
		t.Errorf("links: got %+v", tk.Links)
	}
	// DraftOf is Parse's inverse: parsing it again gives the same talk.
	again, errs := DraftOf(tk, d.Conference).Parse(testGlossary)
	if errs != nil || !reflect.DeepEqual(again, tk) {
		t.Errorf("DraftOf round trip: got %+v (%v), want %+v", again, errs, tk)
	}
}

func TestDraftErrors(t *testing.T) {
	good := Draft{Title: "T", Conference: "DEVIEW 2019", Summary: "one", Tags: "x"}
	tests := []struct {
		name  string
		edit  func(*Draft)
		field string
		want  DraftProblem
	}{
		{"no title", func(d *Draft) { d.Title = "  " }, FieldTitle, DraftProblem{ProblemRequired, nil}},
		{"long title", func(d *Draft) { d.Title = strings.Repeat("가", MaxTitle+1) }, FieldTitle, DraftProblem{ProblemTooLong, []any{150, 151}}},
		{"no conference", func(d *Draft) { d.Conference = "" }, FieldConference, DraftProblem{ProblemRequired, nil}},
		{"no summary", func(d *Draft) { d.Summary = "\n - \n" }, FieldSummary, DraftProblem{ProblemNoSummary, nil}},
		{"nine points", func(d *Draft) { d.Summary = strings.Repeat("p\n", 9) }, FieldSummary, DraftProblem{ProblemPoints, []any{8, 9}}},
		{"long point", func(d *Draft) { d.Lessons = "ok\n" + strings.Repeat("x", MaxPoint+1) }, FieldLessons, DraftProblem{ProblemPointTooLong, []any{2, 500}}},
		{"speaker without name", func(d *Draft) { d.Speakers = "(handle) · team" }, FieldSpeakers, DraftProblem{ProblemSpeakerName, []any{1}}},
		{"long speaker", func(d *Draft) { d.Speakers = "a\n" + strings.Repeat("n", MaxName+1) }, FieldSpeakers, DraftProblem{ProblemSpeakerTooLong, []any{2, 80}}},
		{"eleven speakers", func(d *Draft) { d.Speakers = strings.Repeat("a\n", 11) }, FieldSpeakers, DraftProblem{ProblemSpeakers, []any{10}}},
		{"no tags", func(d *Draft) { d.Tags = "" }, FieldTags, DraftProblem{ProblemNoTags, nil}},
		{"long tag", func(d *Draft) { d.Tags = strings.Repeat("t", MaxTag+1) }, FieldTags, DraftProblem{ProblemTagTooLong, []any{strings.Repeat("t", 19) + "…", 40}}},
		{"many tags", func(d *Draft) { d.Tags = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u" }, FieldTags, DraftProblem{ProblemTags, []any{20, 21}}},
		{"bad link", func(d *Draft) { d.Link = "javascript:alert(1)" }, FieldLink, DraftProblem{ProblemURL, nil}},
		{"hostless link", func(d *Draft) { d.Link = "https://" }, FieldLink, DraftProblem{ProblemURL, nil}},
		{"long link", func(d *Draft) { d.Link = "https://x.example/" + strings.Repeat("a", MaxLink) }, FieldLink, DraftProblem{ProblemURLTooLong, []any{500}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			tt.edit(&d)
			_, errs := d.Parse(testGlossary)
			if got := errs[tt.field]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: got %+v, want %+v", tt.field, got, tt.want)
			}
			if len(errs) != 1 {
				t.Errorf("problems %v: want only %s", errs, tt.field)
			}
			if !slices.Contains(ProblemKeys, tt.want.Key) {
				t.Errorf("%s is not in ProblemKeys", tt.want.Key)
			}
		})
	}
	if _, errs := good.Parse(testGlossary); errs != nil {
		t.Errorf("good draft: %v", errs)
	}
}

func TestGlossaryTags(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"샤딩을 했다", []string{"sharding", "샤딩"}},
		{"We moved to a microservice design", []string{"msa", "마이크로서비스"}},
		{"kafkaesque", nil},
		{"resharding", nil},
		{"Kafka, and a shard", []string{"sharding", "샤딩", "kafka", "카프카"}},
		{"Kafka로 옮겼다", []string{"kafka", "카프카"}},
	}
	for _, tt := range tests {
		if got := GlossaryTags(testGlossary, tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("GlossaryTags(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestIDs(t *testing.T) {
	taken := map[string]bool{"deview-2019-sharding-chat": true}
	has := func(id string) bool { return taken[id] }
	if got := TalkID(Talk{Title: "채팅", TitleEN: "Sharding Chat!"}, "deview-2019", has); got != "deview-2019-sharding-chat-2" {
		t.Errorf("TalkID = %q", got)
	}
	if got := TalkID(Talk{Title: "채팅 샤딩"}, "deview-2019", has); !slugRE.MatchString(got) || !strings.HasPrefix(got, "deview-2019-talk-") {
		t.Errorf("TalkID of a Korean title = %q, want a slug", got)
	}
	c := NewConference("인프콘 2024", has)
	if c.Year != 2024 || c.Name != "인프콘 2024" || !slugRE.MatchString(c.ID) {
		t.Errorf("NewConference = %+v", c)
	}
	if c := NewConference("GopherCon Korea 2023", has); c.ID != "gophercon-korea-2023" || c.Year != 2023 {
		t.Errorf("NewConference = %+v", c)
	}
}

// Field names every field of a Draft, each its own.
func TestDraftField(t *testing.T) {
	var d Draft
	seen := map[*string]bool{}
	for _, f := range []string{FieldTitle, FieldTitleEN, FieldConference, FieldSpeakers, FieldSummary, FieldLessons, FieldTags, FieldLink} {
		p := d.Field(f)
		if p == nil || seen[p] {
			t.Fatalf("Field(%q) = %p: want a field of its own", f, p)
		}
		seen[p] = true
		*p = f
	}
	if d.Title != FieldTitle || d.TitleEN != FieldTitleEN || d.Link != FieldLink || d.Summary != FieldSummary {
		t.Errorf("fields written through Field: %+v", d)
	}
	if d.Field("nope") != nil {
		t.Error("Field of an unknown name is not nil")
	}
}
