// Package twiliotest is a loopback stand-in for Twilio's Messages API, for
// tests that drive the real twilio-go client: it records every request and
// answers 201, 400, 500 or slowly, as the test asks.
package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/regul-sante/regul/internal/clock"
)

// Credentials the fake accepts.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "0123456789abcdef0123456789abcdef"
	From       = "+33179000000"
)

// Answer is how the fake answers the next message creation.
type Answer int

const (
	Created     Answer = iota // 201 with a SID: the message is sent
	Invalid                   // 400, error 21211 (invalid To): nothing sent
	Unavailable               // 500, error 20500: nothing sent
	// Slow takes the message (it is sent, and listed) but answers only once
	// the client has given up: the client sees a timeout.
	Slow
	// Lost answers only once the client has given up, and drops the
	// message: the client sees a timeout and nothing was sent.
	Lost
)

// Message is one message the fake has taken.
type Message struct {
	SID, To, From, Body string
	At                  time.Time
}

// Request is one HTTP request received.
type Request struct {
	Method, Path string
	To, Body     string
	Answered     int
}

// Server is the fake Twilio.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	answers  []Answer // consumed one per creation; empty: Created
	listDown bool
	msgs     []Message
	reqs     []Request
	changed  chan struct{}
	clock    clock.Clock
}

// New starts the fake on a loopback port; Close it when done.
func New() *Server {
	s := &Server{changed: make(chan struct{}), clock: clock.System()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the value for twilio.api_url.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// SetClock makes the fake stamp the messages it takes (date_created) with
// c, e.g. the test's clock; default clock.System().
func (s *Server) SetClock(c clock.Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = c
}

// Seed adds a message the account sent earlier (by another process, or
// before an upgrade), as listed by the Messages API.
func (s *Server) Seed(to, body string, at time.Time) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := Message{SID: fmt.Sprintf("SM%032d", len(s.msgs)+1), To: to, From: From, Body: body, At: at}
	s.msgs = append(s.msgs, m)
	return m
}

// Answer queues how the next message creations are answered.
func (s *Server) Answer(a ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, a...)
}

// ListDown makes the Messages list answer 500 (Twilio cannot tell).
func (s *Server) ListDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listDown = down
}

// Messages returns the messages taken, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Changed is closed at the next request received (wait on it, then look).
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Server) record(r Request) {
	s.reqs = append(s.reqs, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != AccountSID || pass != AuthToken {
		s.fail(w, r, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	want := "/2010-04-01/Accounts/" + AccountSID + "/Messages.json"
	switch {
	case r.URL.Path == want && r.Method == http.MethodPost:
		s.create(w, r)
	case r.URL.Path == want && r.Method == http.MethodGet:
		s.list(w, r)
	default:
		s.fail(w, r, http.StatusNotFound, 20404, "The requested resource was not found")
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, 21600, "bad form")
		return
	}
	to, body := r.PostForm.Get("To"), r.PostForm.Get("Body")
	from := r.PostForm.Get("From") + r.PostForm.Get("MessagingServiceSid")
	s.mu.Lock()
	answer := Created
	if len(s.answers) > 0 {
		answer, s.answers = s.answers[0], s.answers[1:]
	}
	req := Request{Method: r.Method, Path: r.URL.Path, To: to, Body: body}
	var m Message
	switch answer {
	case Created, Slow:
		m = Message{SID: fmt.Sprintf("SM%032d", len(s.msgs)+1), To: to, From: from, Body: body, At: s.clock.Now()}
		s.msgs = append(s.msgs, m)
		req.Answered = http.StatusCreated
	case Invalid:
		req.Answered = http.StatusBadRequest
	case Unavailable:
		req.Answered = http.StatusInternalServerError
	}
	s.record(req)
	s.mu.Unlock()

	switch answer {
	case Invalid:
		writeError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
	case Unavailable:
		writeError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
	case Slow, Lost:
		<-r.Context().Done() // the client timed out and hung up
	default:
		writeJSON(w, http.StatusCreated, wire(m))
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("To")
	// Like Twilio, a message not sent yet has no date_sent, and a DateSent
	// filter leaves it out; this fake's messages stay queued for ever.
	bySendDate := r.URL.Query().Has("DateSent>") || r.URL.Query().Has("DateSent")
	s.mu.Lock()
	down := s.listDown
	var out []map[string]any
	if !down && !bySendDate {
		for _, m := range s.msgs {
			if to == "" || m.To == to {
				out = append(out, wire(m))
			}
		}
	}
	req := Request{Method: r.Method, Path: r.URL.Path, To: to, Answered: http.StatusOK}
	if down {
		req.Answered = http.StatusInternalServerError
	}
	s.record(req)
	s.mu.Unlock()
	if down {
		writeError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "page": 0, "page_size": 100,
		"uri": r.URL.RequestURI(), "next_page_uri": nil})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status, code int, msg string) {
	s.mu.Lock()
	s.record(Request{Method: r.Method, Path: r.URL.Path, Answered: status})
	s.mu.Unlock()
	writeError(w, status, code, msg)
}

func wire(m Message) map[string]any {
	return map[string]any{"sid": m.SID, "account_sid": AccountSID, "to": m.To, "from": m.From, "body": m.Body,
		"status": "queued", "date_created": m.At.UTC().Format(time.RFC1123Z), "num_segments": "1"}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + fmt.Sprint(code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Bodies returns the bodies sent to a number.
func (s *Server) Bodies(to string) []string {
	var out []string
	for _, m := range s.Messages() {
		if m.To == to {
			out = append(out, m.Body)
		}
	}
	return out
}

// String lists the messages, for failure reports.
func (s *Server) String() string {
	var b strings.Builder
	for _, m := range s.Messages() {
		fmt.Fprintf(&b, "%s → %s: %s\n", m.From, m.To, m.Body)
	}
	return b.String()
}
