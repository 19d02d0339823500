package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	body := "[http]\nshutdown_timeout = \"3s\"\n\n[store]\nlock_timeout = \"250ms\"\n\n[slack]\nadmins = [\"U1\", \"U2\"]\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path, true, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.HTTP.ShutdownTimeout.Duration, 3*time.Second; got != want {
		t.Errorf("http.shutdown_timeout: got %v, want %v", got, want)
	}
	if got, want := c.Store.LockTimeout.Duration, 250*time.Millisecond; got != want {
		t.Errorf("store.lock_timeout: got %v, want %v", got, want)
	}
	if got, want := c.Slack.Admins, []string{"U1", "U2"}; !slices.Equal(got, want) {
		t.Errorf("slack.admins: got %v, want %v", got, want)
	}
	if got, want := c.HTTP.Addr, defaultConfig().HTTP.Addr; got != want {
		t.Errorf("http.addr: got %q, want the default %q", got, want)
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // fragments the error must contain
	}{
		{"unknown key", "[store]\npath = \"x.db\"\nlocktimeout = \"1s\"\n", []string{`unknown key "store.locktimeout"`}},
		{"unknown table", "[stor]\npath = \"x.db\"\n", []string{`unknown key "stor"`}},
		{"wrong type", "[digest]\nworkers = \"3\"\n", []string{"line 2", `"digest.workers"`}},
		{"bad duration", "\n[http]\nshutdown_timeout = \"soon\"\n", []string{"line 3", `"http.shutdown_timeout"`, `invalid duration "soon"`}},
		{"syntax", "[http]\naddr = \"x\n", []string{"line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig(path, true, func(string) string { return "" })
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
