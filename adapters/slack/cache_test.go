package slack

import (
	"context"
	"strconv"
	"testing"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

// TestRenderCache checks that an answer asked for again comes from the
// cache, byte for byte what a fresh render gives, and that a different
// reply, or a message changed after rendering, is encoded afresh.
func TestRenderCache(t *testing.T) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(c, bot.Options{})
	ask := func(text string, page int) bot.Reply {
		return b.Handle(context.Background(), bot.Request{Platform: Platform, Command: bot.ParseCommand(text), Page: page})
	}
	encode := func(m message) string {
		t.Helper()
		body, err := encodeJSON(&m)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	fresh := func(rep bot.Reply) string {
		m := render(rep, view{})
		m.ResponseType = responseEphemeral
		return encode(m)
	}

	var rc renderCache
	first := rc.render(ask("sharding", 1), view{}, responseEphemeral)
	again := rc.render(ask("sharding", 1), view{}, responseEphemeral)
	if first.encoded == nil || again.encoded != first.encoded {
		t.Error("the same answer was rendered again, want it from the cache")
	}
	if got, want := encode(again), fresh(ask("sharding", 1)); got != want {
		t.Errorf("cached answer differs from a fresh render:\ngot  %s\nwant %s", got, want)
	}
	if page2 := rc.render(ask("sharding", 2), view{}, responseEphemeral); page2.encoded == first.encoded {
		t.Error("page 2 came from page 1's cache entry")
	}

	// A reply that differs only deep inside (one bullet) is not mistaken
	// for the cached one.
	rep := ask("show daangn-2024-chat-sharding", 1)
	rc.render(rep, view{}, responseEphemeral)
	changed := rep
	changed.Sections = append([]bot.Section(nil), rep.Sections...)
	changed.Sections[0].Bullets = append([]string{"changed"}, rep.Sections[0].Bullets...)
	if got, want := encode(rc.render(changed, view{}, responseEphemeral)), fresh(changed); got != want {
		t.Errorf("changed reply: got %s, want %s", got, want)
	}

	// A cached message changed by its caller is encoded as it now is.
	m := rc.render(ask("sharding", 1), view{}, responseEphemeral)
	m.ReplaceOriginal = true
	plain := m
	plain.encoded = nil
	if got, want := encode(m), encode(plain); got != want {
		t.Errorf("changed message: got %s, want %s", got, want)
	}
}

func TestRenderCacheBounded(t *testing.T) {
	var rc renderCache
	for i := range 3 * maxCached {
		rc.render(bot.Reply{Title: strconv.Itoa(i)}, view{}, responseEphemeral)
		if n := len(rc.entries); n > maxCached {
			t.Fatalf("after %d replies: %d entries, want at most %d", i+1, n, maxCached)
		}
	}
}

// BenchmarkAnswer measures what the adapter adds to the core's answer of
// /talk sharding: rendering and encoding it afresh, and through the cache.
func BenchmarkAnswer(b *testing.B) {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	bt := bot.New(c, bot.Options{})
	req := bot.Request{Platform: Platform, Command: bot.ParseCommand("sharding")}
	b.Run("core", func(b *testing.B) {
		for range b.N {
			bt.Handle(context.Background(), req)
		}
	})
	b.Run("fresh", func(b *testing.B) {
		rep := bt.Handle(context.Background(), req)
		for range b.N {
			m := render(rep, view{})
			m.ResponseType = responseEphemeral
			if _, err := encodeJSON(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		var rc renderCache
		rep := bt.Handle(context.Background(), req)
		for range b.N {
			m := rc.render(rep, view{}, responseEphemeral)
			if _, err := encodeJSON(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
