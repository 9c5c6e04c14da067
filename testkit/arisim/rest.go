package arisim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type apiError struct {
	status int
	body   any
}

func errMsg(status int, msg string) *apiError {
	return &apiError{status: status, body: obj{{"message", msg}}}
}

// params merges the query string and a JSON body, as Asterisk accepts both
// (ari/v5 sends its parameters as JSON).
type params struct {
	v    map[string]string
	vars map[string]string
	body []byte // the raw JSON body, for requests whose body is one object (eventFilter)
}

func readParams(r *http.Request) params {
	p := params{v: map[string]string{}}
	for k, vs := range r.URL.Query() {
		p.v[k] = vs[0]
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	p.body = body
	var m map[string]any
	if len(body) > 0 && json.Unmarshal(body, &m) == nil {
		for k, v := range m {
			switch x := v.(type) {
			case string:
				p.v[k] = x
			case float64:
				p.v[k] = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				p.v[k] = strconv.FormatBool(x)
			case map[string]any:
				if k == "variables" {
					p.vars = map[string]string{}
					for vk, vv := range x {
						p.vars[vk] = fmt.Sprint(vv)
					}
				}
			}
		}
	}
	return p
}

func (p params) get(k string) string { return p.v[k] }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}

func (s *Server) authorised(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		if k := r.URL.Query().Get("api_key"); k != "" {
			u, p, ok = strings.Cut(k, ":")
		}
	}
	return ok && u == s.opts.Username && p == s.opts.Password
}

// ServeHTTP routes /ari/... .
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug in the emulator answers 500; it never kills the test process.
		if v := recover(); v != nil {
			s.log.Error(fmt.Sprintf("arisim panic: %v", v))
			writeJSON(w, 500, obj{{"message", "Internal Server Error"}})
		}
	}()
	w.Header().Set("Server", "Asterisk/22.10.1")
	if !s.authorised(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeJSON(w, 401, obj{{"message", "Authentication required"}})
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/ari/")
	if path == r.URL.Path {
		writeJSON(w, 404, obj{{"message", "Resource not found"}})
		return
	}
	if path == "events" {
		s.serveEvents(w, r)
		return
	}
	if s.refused(w) {
		return
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	p := readParams(r)
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(s.opts.Clock.Now(), r.Method, strings.Trim(path, "/"), p.get)
	}
	s.mu.Lock()
	status, body := s.route(r.Method, seg, p)
	s.mu.Unlock()
	if status == 204 {
		w.WriteHeader(204)
		return
	}
	writeJSON(w, status, body)
}

func (s *Server) route(method string, seg []string, p params) (int, any) {
	var (
		status int
		body   any
		e      *apiError
	)
	switch seg[0] {
	case "channels":
		status, body, e = s.routeChannels(method, seg[1:], p)
	case "bridges":
		status, body, e = s.routeBridges(method, seg[1:], p)
	case "playbacks":
		status, body, e = s.routePlaybacks(method, seg[1:])
	case "asterisk":
		status, body, e = s.routeAsterisk(method, seg[1:], p)
	case "applications":
		status, body, e = s.routeApplications(method, seg[1:], p)
	default:
		e = errMsg(404, "Resource not found")
	}
	if e != nil {
		return e.status, e.body
	}
	return status, body
}

var errMethod = errMsg(405, "Invalid method")

func (s *Server) hasChannelsOf(app string) bool {
	for _, c := range s.channels {
		if c.subs[app] {
			return true
		}
	}
	return false
}

func (s *Server) routeAsterisk(method string, seg []string, p params) (int, any, *apiError) {
	if len(seg) == 1 && seg[0] == "info" {
		if method != "GET" {
			return 0, nil, errMethod
		}
		return 200, obj{
			{"build", obj{{"os", "Linux"}, {"kernel", "6.1.0"}, {"machine", "x86_64"}, {"options", ""}, {"date", "2026-01-01 00:00:00 UTC"}, {"user", "arisim"}}},
			{"system", obj{{"version", "22.10.1"}, {"entity_id", s.opts.EntityID}}},
			{"config", obj{{"name", "arisim"}, {"default_language", s.opts.Language}, {"setid", obj{{"user", "root"}, {"group", "root"}}}}},
			{"status", obj{{"startup_time", astTime(s.started)}, {"last_reload_time", astTime(s.started)}}},
		}, nil
	}
	// Global variables (GET/POST /asterisk/variable), as Asterisk keeps
	// them until it restarts: the controllers' lease witness writes one.
	if len(seg) == 1 && seg[0] == "variable" {
		name := p.get("variable")
		if name == "" {
			return 0, nil, errMsg(400, "Variable name is required")
		}
		switch method {
		case "GET":
			return 200, obj{{"value", s.globals[name]}}, nil
		case "POST":
			s.globals[name] = p.get("value")
			return 204, nil, nil
		}
		return 0, nil, errMethod
	}
	if len(seg) == 1 && seg[0] == "ping" {
		return 200, obj{{"asterisk_id", s.opts.EntityID}, {"ping", "pong"}, {"timestamp", s.ts()}}, nil
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func (s *Server) routeApplications(method string, seg []string, p params) (int, any, *apiError) {
	appJSON := func(name string) obj {
		chans, brs := []string{}, []string{}
		for _, c := range s.channels {
			if c.subs[name] {
				chans = append(chans, c.id)
			}
		}
		for _, b := range s.bridges {
			if b.subs[name] {
				brs = append(brs, b.id)
			}
		}
		f := s.filters[name]
		return obj{{"name", name}, {"channel_ids", chans}, {"bridge_ids", brs}, {"endpoint_ids", []string{}}, {"device_names", []string{}},
			{"events_allowed", f.allowedJSON()}, {"events_disallowed", f.disallowedJSON()}}
	}
	if len(seg) == 0 {
		if method != "GET" {
			return 0, nil, errMethod
		}
		out := []obj{}
		for name := range s.apps {
			out = append(out, appJSON(name))
		}
		return 200, out, nil
	}
	// An application is listed while its WebSocket is connected. Seen on
	// Asterisk 22.10.1: after its WebSocket went away, an application that
	// subscribed to its channels one by one (no subscribeAll, as regul's
	// controller) stays listed while those channels remain in it: a dead
	// controller's calls keep it listed. With subscribeAll it is gone at
	// once (testdata/ari-traces/reconnect.jsonl).
	if s.apps[seg[0]] == 0 && (s.appAll[seg[0]] || !s.hasChannelsOf(seg[0])) {
		return 0, nil, errMsg(404, "Application not found")
	}
	if len(seg) == 1 && method == "GET" {
		return 200, appJSON(seg[0]), nil
	}
	if len(seg) == 2 && seg[1] == "eventFilter" && method == "PUT" {
		f, err := parseEventFilter(p.body, s.filters[seg[0]])
		if err != nil {
			return 0, nil, errMsg(400, err.Error())
		}
		s.filters[seg[0]] = f
		return 200, appJSON(seg[0]), nil
	}
	if len(seg) == 2 && seg[1] == "eventFilter" {
		return 0, nil, errMethod
	}
	return 0, nil, errMsg(404, "Resource not found")
}

func (s *Server) routePlaybacks(method string, seg []string) (int, any, *apiError) {
	if len(seg) != 1 {
		return 0, nil, errMsg(404, "Resource not found")
	}
	p := s.playbacks[seg[0]]
	if p == nil {
		return 0, nil, errMsg(404, "Playback not found")
	}
	switch method {
	case "GET":
		return 200, p.json(), nil
	case "DELETE":
		s.stopPlay(p)
		return 204, nil, nil
	}
	return 0, nil, errMethod
}

func parseSeconds(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return time.Duration(n) * time.Second
}
