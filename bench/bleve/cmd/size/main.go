// Command size loads the embedded corpus into a bleve index and searches it
// for its arguments. It exists to measure the binary size bleve adds; compare
// it with cmd/sizebase, the same program over search.Index.
package main

import (
	"fmt"
	"os"
	"strings"

	blevebench "github.com/talkbot/talkbot/bench/bleve"
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
	ix, err := blevebench.New(c.Talks, c.Conferences, c.Glossary)
	if err != nil {
		return err
	}
	defer ix.Close()
	hits, err := ix.Search(strings.Join(args, " "), 5)
	if err != nil {
		return err
	}
	for _, h := range hits {
		fmt.Printf("%.2f %s\n", h.Score, h.Talk.ID)
	}
	return nil
}
