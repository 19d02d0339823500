// Command sizebase loads the embedded corpus into a search.Index and searches it
// for its arguments: the baseline for cmd/size.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/talkbot/talkbot/recaps"
	"github.com/talkbot/talkbot/search"
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
	ix := search.New(c.Talks, c.Conferences, c.Glossary)
	hits, _ := ix.Search(strings.Join(args, " "), 5)
	for _, h := range hits {
		fmt.Printf("%.2f %s\n", h.Score, h.Talk.ID)
	}
	return nil
}
