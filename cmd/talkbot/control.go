package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The control socket is how "talkbot digest" reaches a running serve: a
// Unix socket beside the store, of mode 0600, so only the user who runs
// serve (and root) can connect. Nothing on the TCP listener, which a
// reverse proxy, a port forward or a browser page can reach, triggers the
// digest.

// controlPath returns the control socket's path for the store at path.
func controlPath(storePath string) string { return storePath + ".sock" }

// maxSocketPath is the longest Unix socket path on every system talkbot
// builds for (macOS's sun_path is 104 bytes with its NUL).
const maxSocketPath = 103

// tmpSocketDir is the pattern of the private directory in which
// listenControl creates the socket; "*" becomes at most 10 digits.
const tmpSocketDir = ".talkbot-*"

// checkSocketPath reports a control socket path too long for bind(2),
// including the private directory listenControl binds in first.
func checkSocketPath(path string) error {
	tmp := filepath.Join(filepath.Dir(path), strings.Replace(tmpSocketDir, "*", "0123456789", 1), "s")
	if len(path) > maxSocketPath || len(tmp) > maxSocketPath {
		return fmt.Errorf("the digest control socket %s would be too long for a Unix socket (%d bytes at most); use a shorter store.path", path, maxSocketPath-len(tmp)+len(path))
	}
	return nil
}

// listenControl listens on a Unix socket at path with mode 0600. The
// socket is bound in a private directory (mode 0700), given its mode, and
// only then renamed to path, so nobody else can connect in between. The
// caller must hold the store's lock: a socket already at path is then
// stale (its serve died) and replaced; any other kind of file is an
// error. Closing the listener removes path.
func listenControl(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("%s exists and is not a socket; move it away", path)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), tmpSocketDir)
	if err != nil {
		return nil, err
	}
	defer os.Remove(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false) // the socket moves; controlListener removes it
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &controlListener{UnixListener: ln, path: path}, nil
}

// controlListener removes its socket file when first closed. Later calls
// (http.Server.Serve closes its listener too) remove nothing: by then the
// path may name another file.
type controlListener struct {
	*net.UnixListener
	path string
	once sync.Once
	err  error
}

func (l *controlListener) Close() error {
	l.once.Do(func() {
		l.err = l.UnixListener.Close()
		if rerr := os.Remove(l.path); l.err == nil && rerr != nil && !os.IsNotExist(rerr) {
			l.err = rerr
		}
	})
	return l.err
}

func (l *controlListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// askServe asks the serve whose control socket is at path for this week's
// plan (dry) or run.
func askServe(ctx context.Context, path string, dry bool) (digestResult, error) {
	var res digestResult
	method, route := http.MethodPost, "/digest/run"
	if dry {
		method, route = http.MethodGet, "/digest/plan"
	}
	return res, controlGet(ctx, path, method, route, &res)
}

// controlGet sends a request without a body to the serve whose control
// socket is at path and decodes its JSON answer into v.
func controlGet(ctx context.Context, path, method, route string, v any) error {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, method, "http://talkbot"+route, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s %s: %s", method, route, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
