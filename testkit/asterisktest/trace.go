package asterisktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// Trace writes what an ARI client sent and received as JSON lines, in the
// format of testdata/ari-traces: {"t": ms since start, "kind": "event" |
// "request" | "response" | "ws" | "note", …}. A nil *Trace records nothing.
type Trace struct {
	mu    sync.Mutex
	start time.Time
	label string
	lines [][]byte
}

// NewTrace starts an empty trace; label names the WebSocket in its events.
func NewTrace(label string) *Trace { return &Trace{start: time.Now(), label: label} }

// add appends one line: "t", "kind", then the fields in the order given
// (name, value, name, value…), as the reference traces are written.
func (t *Trace) add(kind string, fields ...any) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := float64(time.Since(t.start).Microseconds()) / 1000
	line := fmt.Appendf(nil, `{"t": %.1f, "kind": %q`, ms, kind)
	for i := 0; i+1 < len(fields); i += 2 {
		v, err := json.Marshal(fields[i+1])
		if err != nil {
			v, _ = json.Marshal(err.Error())
		}
		line = fmt.Appendf(line, `, %q: %s`, fields[i], v)
	}
	t.lines = append(t.lines, append(line, '}'))
}

// Note records what the script is doing.
func (t *Trace) Note(format string, args ...any) {
	t.add("note", "text", fmt.Sprintf(format, args...))
}

func (t *Trace) event(raw []byte) {
	t.add("event", "label", t.labelOr(), "event", json.RawMessage(raw))
}

func (t *Trace) labelOr() string {
	if t == nil || t.label == "" {
		return "ws"
	}
	return t.label
}

func (t *Trace) request(method, path string, query url.Values) {
	q := map[string]string{}
	for k, v := range query {
		q[k] = v[0]
	}
	t.add("request", "method", method, "path", path, "query", q)
}

func (t *Trace) response(resp *http.Response, body []byte) {
	f := []any{"status", resp.StatusCode, "reason", http.StatusText(resp.StatusCode),
		"content_type", resp.Header.Get("Content-Type"), "body", string(body)}
	if json.Valid(body) && len(body) > 0 {
		f = append(f, "json", json.RawMessage(body))
	}
	t.add("response", f...)
}

func (t *Trace) wsConnect(path string, query url.Values, user string) {
	q := map[string]string{}
	for k, v := range query {
		q[k] = v[0]
	}
	t.add("ws", "label", t.labelOr(), "action", "connect", "path", path, "query", q, "auth_user", user)
}

func (t *Trace) wsConnected(resp *http.Response) {
	t.add("ws", "label", t.labelOr(), "action", "connected", "status_line", resp.Proto+" "+resp.Status)
}

func (t *Trace) wsClosed(byUs bool, err error) {
	if byUs {
		t.add("ws", "label", t.labelOr(), "action", "client_close", "mode", "close")
		return
	}
	t.add("ws", "label", t.labelOr(), "action", "server_close", "error", err.Error())
}

// WriteFile writes the trace, one JSON object a line.
func (t *Trace) WriteFile(path string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []byte
	for _, l := range t.lines {
		out = append(append(out, l...), '\n')
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}
