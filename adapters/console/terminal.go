package console

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/peterh/liner"

	"github.com/talkbot/talkbot/bot"
)

// IsTerminal reports whether f is a terminal (a character device), where
// Terminal gives line editing; for anything else, use REPL.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Terminal is REPL on the process's terminal (standard input and output),
// with line editing and history through github.com/peterh/liner: arrow
// keys move in the line and through earlier lines, Ctrl-A, Ctrl-E, Ctrl-W
// and Ctrl-R (history search) work as in a shell, and wide (Hangul)
// characters keep the cursor in place. Ctrl-C or Ctrl-D at an empty line
// leaves at once. Answers are written to out. If standard input is not a
// terminal after all, liner reads plain lines.
func Terminal(ctx context.Context, b *bot.Bot, out io.Writer) error {
	st := liner.NewLiner()
	defer st.Close() // restores the terminal's mode
	st.SetCtrlCAborts(true)
	st.SetMultiLineMode(true)
	return repl(ctx, b, linerLines{st}, out)
}

// linerLines reads lines through liner and keeps them in its history.
type linerLines struct{ st *liner.State }

func (l linerLines) readLine(prompt string) (string, error) {
	line, err := l.st.Prompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupt
	}
	if err != nil {
		return "", err
	}
	if line != "" {
		l.st.AppendHistory(line)
	}
	return line, nil
}
