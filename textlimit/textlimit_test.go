package textlimit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"샤딩", 2},
		{"😀", 2}, // outside the BMP: a surrogate pair
		{"a\xffb", 3},
		{"é", 1},
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.want {
			t.Errorf("Width(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"hello world", 8, "hello w…"},
		{"hello world", 7, "hello…"}, // the space before the cut goes
		{"샤딩샤딩샤딩", 4, "샤딩샤…"},
		{"😀😀😀", 4, "😀…"}, // an emoji counts as two
		{"😀😀😀", 2, "…"},
		{"ab\u00e9cd", 4, "ab\u00e9…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 0, ""},
		{"abc", -3, ""},
		{"a\xff\xff\xffbbbb", 5, "a\xff\xff\xff…"},
	}
	for _, tt := range tests {
		got := Cut(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Cut(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if Width(got) > max(tt.n, 0) {
			t.Errorf("Cut(%q, %d) = %q is %d wide", tt.in, tt.n, got, Width(got))
		}
	}
}

func TestCutTidy(t *testing.T) {
	dropAmp := func(p string) string {
		if i := strings.LastIndexByte(p, '&'); i >= 0 && !strings.Contains(p[i:], ";") {
			return p[:i]
		}
		return p
	}
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a &amp; b", 5, "a…"}, // the space left by the dropped entity goes too
		{"a &lt;b&gt;", 8, "a &lt;b…"},
		{"fits &amp;", 10, "fits &amp;"},
	}
	for _, tt := range tests {
		if got := CutTidy(tt.in, tt.n, dropAmp); got != tt.want {
			t.Errorf("CutTidy(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCutLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"one\ntwo\nthree", 20, "one\ntwo\nthree"},
		{"first line\nsecond line", 16, "first line\n…"},
		{"a\nbcdefghijkl", 8, "a\nbcdef…"}, // the break is too early to use
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
	}
	for _, tt := range tests {
		got := CutLines(tt.in, tt.n, nil)
		if got != tt.want {
			t.Errorf("CutLines(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if Width(got) > tt.n {
			t.Errorf("CutLines(%q, %d) = %q is %d wide", tt.in, tt.n, got, Width(got))
		}
	}
}

func TestValidUTF8(t *testing.T) {
	if got := ValidUTF8("ok 샤딩"); got != "ok 샤딩" {
		t.Errorf("ValidUTF8 changed valid text: %q", got)
	}
	if got := ValidUTF8("a\xff\xfeb"); got != "a\uFFFDb" || !utf8.ValidString(got) {
		t.Errorf("ValidUTF8: got %q, want %q", got, "a\uFFFDb")
	}
}

// FuzzCut checks Cut, CutTidy and CutLines on any text and width: no panic,
// the result fits, it is a prefix of the input (plus the ellipsis), and it
// is the input itself when that fits.
func FuzzCut(f *testing.F) {
	for _, s := range []string{"hello world", "샤딩샤딩", "😀😀😀", "a\xff\xfe", "line\nline\nline", "&amp;&lt;", `a\\\`} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 5000
		for name, got := range map[string]string{
			"Cut":      Cut(s, n),
			"CutLines": CutLines(s, n, nil),
			"CutTidy":  CutTidy(s, n, func(p string) string { return strings.TrimRight(p, `\`) }),
		} {
			if Width(got) > max(n, 0) {
				t.Fatalf("%s(%q, %d) = %q is %d wide", name, s, n, got, Width(got))
			}
			if Fits(s, n) && got != s {
				t.Fatalf("%s(%q, %d) = %q, want the input, which fits", name, s, n, got)
			}
			kept := strings.TrimSuffix(strings.TrimSuffix(got, Ellipsis), "\n")
			if !strings.HasPrefix(s, kept) {
				t.Fatalf("%s(%q, %d) = %q does not start with a prefix of the input", name, s, n, got)
			}
			if utf8.ValidString(s) && !utf8.ValidString(got) {
				t.Fatalf("%s(%q, %d) = %q is not valid UTF-8", name, s, n, got)
			}
		}
	})
}

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a\tb\n\nc  ", "a b c"},
		{"x\xffy", "x\uFFFDy"},
		{"a\u200bb\u2028c\x1b[31m", "a b c [31m"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
