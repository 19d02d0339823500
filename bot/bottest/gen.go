package bottest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/talkbot/talkbot/recaps"
)

// Talks generates n synthetic talks and the conferences they belong to,
// deterministically from seed: the same (n, seed) always gives the same
// corpus. It is meant for benchmarks only; the talks read like the real
// recaps (Korean and English titles, five summary and three lesson bullets of
// mixed Korean and English technical prose, about 2 KB a talk, bilingual
// tags, one or two speakers) but say nothing true.
//
// The vocabulary covers the glossary's topics in both languages, with Korean
// particles attached the way Korean writers attach them (샤딩을, 카프카로), so
// searches exercise particle stripping and glossary expansion. It never
// contains the words "zzqxv" or "블록체인", which benchmarks use as no-hit
// queries.
func Talks(n int, seed uint64) (talks []recaps.Talk, confs []recaps.Conference) {
	g := gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	confs = conferences()
	talks = make([]recaps.Talk, n)
	for i := range talks {
		talks[i] = g.talk(i, confs[i%len(confs)].ID)
	}
	return talks, confs
}

// topic is one glossary concept in English and Korean.
type topic struct{ en, ko string }

var topics = []topic{
	{"sharding", "샤딩"}, {"partitioning", "파티셔닝"}, {"Kafka", "카프카"}, {"Redis", "레디스"},
	{"ElastiCache", "엘라스티캐시"}, {"cache", "캐시"}, {"Kubernetes", "쿠버네티스"},
	{"container", "컨테이너"}, {"microservices", "마이크로서비스"}, {"monolith", "모놀리스"},
	{"monitoring", "모니터링"}, {"observability", "가시성"}, {"database", "데이터베이스"},
	{"DynamoDB", "다이나모디비"}, {"MySQL", "마이에스큐엘"}, {"MongoDB", "몽고디비"},
	{"Elasticsearch", "엘라스틱서치"}, {"search", "검색"}, {"chat", "채팅"}, {"order", "주문"},
	{"event", "이벤트"}, {"message queue", "메시지 큐"}, {"gRPC", "원격 프로시저 호출"},
	{"GraphQL", "그래프큐엘"}, {"Kotlin", "코틀린"}, {"Spring", "스프링"}, {"WebFlux", "웹플럭스"},
	{"reactive", "리액티브"}, {"coroutines", "코루틴"}, {"traffic", "트래픽"},
	{"scalability", "확장성"}, {"transactions", "트랜잭션"}, {"migration", "마이그레이션"},
	{"architecture", "아키텍처"}, {"memory", "메모리"}, {"performance", "성능"},
	{"latency", "레이턴시"}, {"frontend", "프론트엔드"}, {"backend", "백엔드"}, {"server", "서버"},
	{"browser", "브라우저"}, {"cloud", "클라우드"}, {"serverless", "서버리스"}, {"testing", "테스트"},
	{"deployment", "배포"}, {"startup", "스타트업"}, {"experiment", "실험"},
	{"productivity", "생산성"}, {"incident", "장애"}, {"data pipeline", "데이터 파이프라인"},
	{"recommendation", "추천"}, {"advertising", "광고"}, {"payments", "결제"},
	{"notifications", "알림"}, {"batch", "배치"}, {"queue", "큐"}, {"locking", "락"},
	{"consistency", "정합성"}, {"availability", "가용성"}, {"replication", "복제"},
	{"index", "인덱스"}, {"logging", "로깅"}, {"tracing", "트레이싱"}, {"DevOps", "데브옵스"},
	{"platform", "플랫폼"}, {"infrastructure", "인프라"}, {"network", "네트워크"},
	{"security", "보안"}, {"Java", "자바"}, {"Python", "파이썬"}, {"React", "리액트"},
	{"refactoring", "리팩터링"}, {"legacy", "레거시"}, {"AWS", "아마존 웹 서비스"},
}

// Words outside the glossary, to give documents a realistic background.
var (
	nounsKO = []string{
		"도입", "설계", "구조", "운영", "개선", "비용", "서비스", "요청", "응답", "지표", "데이터",
		"시스템", "코드", "모듈", "도메인", "팀", "조직", "경험", "과정", "문제", "원인", "전략",
		"자동화", "안정성", "부하", "병목", "장애 대응", "온콜", "리뷰", "문서", "계약", "스키마",
	}
	nounsEN = []string{
		"throughput", "p99", "SLA", "rollout", "schema", "endpoint", "worker", "cluster", "node",
		"replica", "snapshot", "backpressure", "retry", "timeout", "circuit breaker", "idempotency",
		"feature flag", "hot key", "fan-out", "TTL", "read model", "outbox", "canary", "runbook",
	}
	verbsKO = []string{
		"도입했어요", "바꿨어요", "줄였어요", "나눴어요", "옮겼어요", "검토했어요", "개선했어요",
		"측정했어요", "설명했어요", "정리했어요", "자동화했어요", "분리했어요", "비교했어요",
	}
	verbsEN = []string{
		"moved", "split", "rebuilt", "measured", "replaced", "tuned", "automated", "migrated",
		"sharded", "cached", "replicated", "load-tested",
	}
	adjKO    = []string{"대규모", "실시간", "비동기", "분산", "점진적인", "안정적인", "단순한", "느린"}
	surnames = []string{"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오"}
	given    = []string{"민", "서", "준", "현", "지", "영", "수", "우", "하", "윤", "진", "호", "은", "경"}
	handles  = []string{"alex", "sam", "jay", "kai", "mina", "ray", "joon", "hana", "leo", "eden", "noah", "yuna"}
	tracks   = []string{"Server", "Data", "Infra", "Frontend", "AI", "Platform"}
)

func conferences() []recaps.Conference {
	specs := []struct{ id, name, ko, alias string }{
		{"gen-devsummit-2021", "DevSummit 2021", "데브서밋 2021", "devsummit"},
		{"gen-cloudday-2022", "CloudDay 2022", "클라우드데이 2022", "cloudday"},
		{"gen-backendweek-2023", "Backend Week 2023", "백엔드 위크 2023", "backendweek"},
		{"gen-datacon-2024", "DataCon 2024", "데이터콘 2024", "datacon"},
		{"gen-frontconf-2025", "FrontConf 2025", "프론트콘 2025", "frontconf"},
	}
	confs := make([]recaps.Conference, len(specs))
	for i, s := range specs {
		year, _ := strconv.Atoi(s.id[len(s.id)-4:])
		confs[i] = recaps.Conference{
			ID: s.id, Name: s.name, NameKO: s.ko, Year: year,
			Aliases: []string{s.alias, strings.Fields(s.ko)[0]},
			Date:    fmt.Sprintf("%d-10-%02d", year, 10+i),
			Venue:   "코엑스", Link: "https://example.com/" + s.id,
		}
	}
	return confs
}

type gen struct {
	r     *rand.Rand
	theme [3]topic // the talk's main topics, used more often than others
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// noun returns a Korean background noun followed by p.
func (g *gen) noun(p particle) string {
	w := g.pick(nounsKO)
	return w + p.after(w)
}

// bullet returns two or three sentences.
func (g *gen) bullet() string {
	s := g.sentence() + " " + g.sentence()
	if g.r.IntN(2) == 0 {
		s += " " + g.sentence()
	}
	return s
}

// topic returns one of the talk's themes most of the time, else any topic.
func (g *gen) topic() topic {
	if g.r.IntN(3) > 0 {
		return g.theme[g.r.IntN(len(g.theme))]
	}
	return topics[g.r.IntN(len(topics))]
}

// ko renders t for a Korean sentence: usually in Korean, sometimes in English
// as Korean engineers write it, with the particle chosen for its last sound.
func (g *gen) ko(t topic, p particle) string {
	if g.r.IntN(4) == 0 {
		if g.r.IntN(3) == 0 {
			return t.en
		}
		return t.en + p.after(t.en)
	}
	return t.ko + p.after(t.ko)
}

func (g *gen) talk(i int, conf string) recaps.Talk {
	for k := range g.theme {
		g.theme[k] = topics[g.r.IntN(len(topics))]
	}
	a, b, c := g.theme[0], g.theme[1], g.theme[2]
	t := recaps.Talk{
		ID:         fmt.Sprintf("gen-%06d", i),
		Conference: conf,
		Track:      g.pick(tracks),
		Order:      i,
		File:       fmt.Sprintf("bottest/gen-%06d.md", i),
	}
	switch g.r.IntN(3) {
	case 0:
		t.Title = fmt.Sprintf("%s %s %s 시스템", a.ko+ro.after(a.ko), g.pick([]string{"만드는", "다시 짓는", "버티는"}), b.ko)
		t.TitleEN = fmt.Sprintf("Building a %s system with %s", b.en, a.en)
	case 1:
		t.Title = fmt.Sprintf("%s 도입기: %s에서 %s까지", a.ko, b.ko, c.ko)
		t.TitleEN = fmt.Sprintf("Our %s journey: from %s to %s", a.en, b.en, c.en)
	default:
		t.Title = fmt.Sprintf("%s %s, 그리고 %s", a.ko+wa.after(a.ko), b.ko, c.ko)
		t.TitleEN = fmt.Sprintf("%s, %s and %s at scale", a.en, b.en, c.en)
	}
	for _, tp := range g.theme {
		t.Tags = append(t.Tags, strings.ToLower(tp.en), tp.ko)
	}
	for range 1 + g.r.IntN(2) {
		name := g.pick(surnames) + g.pick(given) + g.pick(given)
		t.Speakers = append(t.Speakers, recaps.Speaker{
			Name: name, Handle: g.pick(handles),
			Team: g.topic().ko + " " + g.pick([]string{"개발팀", "플랫폼팀", "서버 개발", "SRE"}),
		})
	}
	for range 5 {
		t.Summary = append(t.Summary, g.bullet())
	}
	for range 3 {
		t.Lessons = append(t.Lessons, g.bullet())
	}
	return t
}

// sentence returns one clause of Korean, English or mixed prose.
func (g *gen) sentence() string {
	switch g.r.IntN(7) {
	case 0:
		return fmt.Sprintf("%s %s 옮기면서 %s %s.", g.ko(g.topic(), eul), g.ko(g.topic(), ro), g.noun(eul), g.pick(verbsKO))
	case 1:
		return fmt.Sprintf("%s %s 환경에서 %s 함께 쓰기 좋았고, %s %s.", g.ko(g.topic(), eun), g.pick(adjKO), g.ko(g.topic(), wa), g.pick(nounsEN), g.pick(verbsKO))
	case 2:
		return fmt.Sprintf("%s %s 줄이려고 %s %s.", g.ko(g.topic(), ui), g.noun(eul), g.ko(g.topic(), eul), g.pick(verbsKO))
	case 3:
		return fmt.Sprintf("We %s %s to %s and cut %s by %d%%.", g.pick(verbsEN), g.topic().en, g.topic().en, g.pick(nounsEN), 10+g.r.IntN(80))
	case 4:
		return fmt.Sprintf("%s %s 늘자 %s %s %s.", g.pick(adjKO), g.ko(g.topic(), ga), g.ko(g.topic(), eseo), g.pick(nounsEN)+" "+g.noun(eul), g.pick(verbsKO))
	case 5:
		return fmt.Sprintf("%s 없이 %s 운영하는 건 어렵다는 점, 그리고 %s %s 중요하다는 점을 배웠어요.", g.ko(g.topic(), none), g.ko(g.topic(), eul), g.pick(nounsEN), g.ko(g.topic(), ga))
	default:
		return fmt.Sprintf("The %s team %s the %s behind a %s, keeping %s stable.", g.topic().en, g.pick(verbsEN), g.topic().en, g.pick(nounsEN), g.topic().en)
	}
}

// particle is a Korean particle with its forms after a final consonant and
// after a vowel.
type particle struct{ consonant, vowel string }

var (
	none = particle{"", ""}
	eul  = particle{"을", "를"}
	eun  = particle{"은", "는"}
	ga   = particle{"이", "가"}
	wa   = particle{"과", "와"}
	ro   = particle{"으로", "로"}
	ui   = particle{"의", "의"}
	eseo = particle{"에서", "에서"}
)

// after returns the form of p that follows word. A Hangul final consonant
// takes the consonant form, except that ㄹ takes 로; a word in Latin letters
// is read as ending in a vowel unless it ends in a consonant letter other than
// "r" or "e".
func (p particle) after(word string) string {
	rs := []rune(word)
	if len(rs) == 0 {
		return p.vowel
	}
	last := rs[len(rs)-1]
	var final bool
	if last >= 0xAC00 && last <= 0xD7A3 {
		jong := (last - 0xAC00) % 28
		final = jong != 0 && !(jong == 8 && p.consonant == "으로")
	} else {
		final = strings.ContainsRune("bcdgklmnpqstxyz", last|0x20)
	}
	if final {
		return p.consonant
	}
	return p.vowel
}

// Queries returns the fixed mix of queries that search benchmarks cycle
// through: English words, Korean words bare and with particles, two- and
// three-word queries, mixed script, and queries that match nothing.
func Queries() []string {
	return []string{
		"sharding", "kafka", "kubernetes", "redis cache", "kubernetes deployment",
		"샤딩", "카프카", "쿠버네티스", "샤딩을", "카프카로", "레디스를",
		"이벤트 기반 카프카", "elasticsearch 샤딩", "몽고DB",
		"zzqxv", "블록체인양자",
	}
}

// WriteRecaps writes the corpus Talks(n, seed) generates into dir as recap
// files in the format of recaps/FORMAT.md (conferences/<id>.md and
// talks/<conference>/<id>.md), one talk at a time, so that writing 100,000
// recaps holds only one in memory. dir must exist. Loading dir with
// recaps.Load gives the same talks as Talks(n, seed), File aside.
func WriteRecaps(dir string, n int, seed uint64) error {
	g := gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	confs := conferences()
	for _, c := range confs {
		front, err := toml.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode conference %s: %w", c.ID, err)
		}
		text := "+++\nkind = \"conference\"\n" + string(front) + "+++\n" + c.Name + ", generated for benchmarks.\n"
		if err := writeFile(filepath.Join(dir, "conferences", c.ID+".md"), text); err != nil {
			return err
		}
	}
	var b strings.Builder
	for i := range n {
		t := g.talk(i, confs[i%len(confs)].ID)
		front, err := toml.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode talk %s: %w", t.ID, err)
		}
		b.Reset()
		b.WriteString("+++\n")
		b.Write(front)
		b.WriteString("+++\n\n## Summary\n")
		for _, s := range t.Summary {
			b.WriteString("- " + s + "\n")
		}
		b.WriteString("\n## Lessons\n")
		for _, s := range t.Lessons {
			b.WriteString("- " + s + "\n")
		}
		if err := writeFile(filepath.Join(dir, "talks", t.Conference, t.ID+".md"), b.String()); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name, text string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("write recaps: %w", err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write recaps: %w", err)
	}
	return nil
}
