package recaps

import (
	"testing"
	"testing/fstest"
)

// fuzzConf is a small conference the fuzzed talk files may refer to.
const fuzzConf = "+++\nkind = \"conference\"\nid = \"deview-2019\"\nname = \"DEVIEW 2019\"\nyear = 2019\n+++\nabout\n"

// FuzzParse feeds arbitrary bytes to the loader as a talk file beside a
// conference: it must never panic, and what it accepts must be a talk
// with an id.
func FuzzParse(f *testing.F) {
	f.Add([]byte("+++\nid = \"a-talk\"\nconference = \"deview-2019\"\ntitle = \"T\"\ntags = [\"x\"]\n+++\n\n## Summary\n- one\n"))
	f.Add([]byte("+++\n+++\n"))
	f.Add([]byte("+++\nid = 1\n"))
	f.Add([]byte("no front matter at all"))
	f.Add([]byte("+++\nkind = \"conference\"\nid = \"x-2020\"\nname = \"X\"\nyear = 2020\n+++\n"))
	f.Add([]byte("+++\nid = \"a\"\nconference = \"deview-2019\"\ntitle = \"\xff\"\n+++\n## Lessons\n- \xed\xa0\x80\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := Source{Name: "fuzz", FS: fstest.MapFS{"conf.md": {Data: []byte(fuzzConf)}, "talk.md": {Data: data}}}
		c, err := Load(src)
		if err != nil {
			return
		}
		for _, tk := range c.Talks {
			if tk.ID == "" {
				t.Fatalf("Load accepted a talk without an id from %q", data)
			}
		}
		_ = Check("fuzz", src)
	})
}
