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

func (t *Trace) add(kind string, fields map[string]any) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := float64(time.Since(t.start).Microseconds()) / 1000
	// Keys in the traces' order: t, kind, then the rest.
	head, _ := json.Marshal(map[string]any{"t": float64(int(ms*10)) / 10})
	kindJSON, _ := json.Marshal(kind)
	body, _ := json.Marshal(fields)
	line := append(head[:len(head)-1], `, "kind": `...)
	line = append(line, kindJSON...)
	if len(body) > 2 {
		line = append(line, ", "...)
		line = append(line, body[1:]...)
	} else {
		line = append(line, '}')
	}
	t.lines = append(t.lines, line)
}

// Note records what the script is doing.
func (t *Trace) Note(format string, args ...any) {
	t.add("note", map[string]any{"text": fmt.Sprintf(format, args...)})
}

func (t *Trace) event(raw []byte) {
	t.add("event", map[string]any{"label": t.labelOr(), "event": json.RawMessage(raw)})
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
	t.add("request", map[string]any{"method": method, "path": path, "query": q})
}

func (t *Trace) response(resp *http.Response, body []byte) {
	f := map[string]any{"status": resp.StatusCode, "reason": http.StatusText(resp.StatusCode),
		"content_type": resp.Header.Get("Content-Type"), "body": string(body)}
	if json.Valid(body) && len(body) > 0 {
		f["json"] = json.RawMessage(body)
	}
	t.add("response", f)
}

func (t *Trace) wsConnect(path string, query url.Values, user string) {
	q := map[string]string{}
	for k, v := range query {
		q[k] = v[0]
	}
	t.add("ws", map[string]any{"label": t.labelOr(), "action": "connect", "path": path, "query": q, "auth_user": user})
}

func (t *Trace) wsConnected(resp *http.Response) {
	t.add("ws", map[string]any{"label": t.labelOr(), "action": "connected", "status_line": resp.Proto + " " + resp.Status})
}

func (t *Trace) wsClosed(err error) {
	t.add("ws", map[string]any{"label": t.labelOr(), "action": "closed", "error": err.Error()})
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
