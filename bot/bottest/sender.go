package bottest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/talkbot/talkbot/bot"
)

// Sender is a recording bot.Sender and bot.Finder. Fail, when set, decides
// per call whether a post fails and how; it is called with the channel and
// the attempt number for that channel (1-based).
type Sender struct {
	mu    sync.Mutex
	posts map[bot.ChannelRef][]Post
	tries map[bot.ChannelRef]int
	Fail  func(ch bot.ChannelRef, attempt int) error
	// Lose, when set, decides per call whether the post is recorded but
	// its answer lost: Send then returns ErrServer although the message
	// went out, as after a timeout.
	Lose func(ch bot.ChannelRef, attempt int) bool
	// After, when set, runs after each successful post is recorded.
	After func(ch bot.ChannelRef)
}

// Post is one recorded message.
type Post struct {
	Reply bot.Reply
	Key   string
	ID    string
}

var (
	_ bot.Sender = (*Sender)(nil)
	_ bot.Finder = (*Sender)(nil)
)

// NewSender returns a Sender that accepts every post.
func NewSender() *Sender {
	return &Sender{posts: map[bot.ChannelRef][]Post{}, tries: map[bot.ChannelRef]int{}}
}

// Send implements bot.Sender.
func (s *Sender) Send(ctx context.Context, ch bot.ChannelRef, r bot.Reply, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	ch.Team = ""
	s.mu.Lock()
	s.tries[ch]++
	n := s.tries[ch]
	fail := s.Fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(ch, n); err != nil {
			return "", err
		}
	}
	s.mu.Lock()
	id := fmt.Sprintf("m%d", len(s.posts[ch])+1)
	s.posts[ch] = append(s.posts[ch], Post{Reply: r, Key: key, ID: id})
	after, lose := s.After, s.Lose
	s.mu.Unlock()
	if after != nil {
		after(ch)
	}
	if lose != nil && lose(ch, n) {
		return "", ErrServer
	}
	return id, nil
}

// Find implements bot.Finder: it finds a recorded post with the key.
func (s *Sender) Find(_ context.Context, ch bot.ChannelRef, key string) (string, bool, error) {
	ch.Team = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts[ch] {
		if p.Key == key {
			return p.ID, true, nil
		}
	}
	return "", false, nil
}

// Posts returns the posts made to ch.
func (s *Sender) Posts(ch bot.ChannelRef) []Post {
	ch.Team = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts[ch]...)
}

// Counts returns the number of posts per channel.
func (s *Sender) Counts() map[bot.ChannelRef]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[bot.ChannelRef]int{}
	for ch, ps := range s.posts {
		out[ch] = len(ps)
	}
	return out
}

// ErrServer is a retryable failure, like an HTTP 500.
var ErrServer = errors.New("fake platform: 500 internal server error")
