// Command sizebase loads the embedded corpus into a bot.Index and searches it
// for its arguments: the baseline for cmd/size.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/recaps"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	c, err := recaps.Load(recaps.Embedded())
	if err != nil {
		return err
	}
	ix := bot.NewIndex(c.Talks, c.Conferences, c.Glossary)
	hits := ix.Search(strings.Join(args, " "))
	for _, h := range hits[:min(5, len(hits))] {
		fmt.Printf("%.2f %s\n", h.Score, h.Talk.ID)
	}
	return nil
}
