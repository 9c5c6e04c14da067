package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Sender sends an SMS and finds one sent earlier. *Twilio implements it.
type Sender interface {
	// Send returns the provider's id of the message. Its error is a
	// *RejectedError when the provider refused the message for good, a
	// *TransientError when it refused it for now (nothing was sent);
	// any other error leaves it unknown whether the message went out.
	Send(ctx context.Context, to, body string) (sid string, err error)
	// Find looks for a message with exactly this recipient and body
	// created at or after the instant (to the second, the provider's
	// precision); found is false when the provider has none.
	Find(ctx context.Context, to, body string, since time.Time) (sid string, found bool, err error)
}

// RejectedError is a 4xx answer: the message will never go (an invalid
// number, a landline); coordinators see Code and Message.
type RejectedError struct {
	Status  int
	Code    int
	Message string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("refused by the SMS provider (HTTP %d, error %d): %s", e.Status, e.Code, e.Message)
}

// TransientError is a 5xx or 429 answer: nothing was sent, try again later.
type TransientError struct {
	Status  int
	Code    int
	Message string
}

func (e *TransientError) Error() string {
	return fmt.Sprintf("SMS provider unavailable (HTTP %d, error %d): %s", e.Status, e.Code, e.Message)
}

// TwilioOptions are the account and where its API is.
type TwilioOptions struct {
	AccountSID string
	AuthToken  string
	From       string // E.164 number or Messaging Service SID (MG…)
	// APIURL replaces https://api.twilio.com; "" keeps it.
	APIURL  string
	Timeout time.Duration // per request; default 10 s
}

// Twilio sends through twilio-go's Messages API.
type Twilio struct {
	api  *openapi.ApiService
	from string
}

// NewTwilio builds the client. Credentials go to twilio-go only; errors
// never repeat them.
func NewTwilio(o TwilioOptions) (*Twilio, error) {
	if o.AccountSID == "" || o.AuthToken == "" || o.From == "" {
		return nil, errors.New("twilio: account SID, auth token and sender are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	base := &twclient.Client{
		Credentials: twclient.NewCredentials(o.AccountSID, o.AuthToken),
		// No redirects, as twilio-go's default client; our own timeout.
		HTTPClient: &http.Client{Timeout: o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	base.SetAccountSid(o.AccountSID)
	var bc twclient.BaseClient = base
	if o.APIURL != "" && strings.TrimSuffix(o.APIURL, "/") != "https://api.twilio.com" {
		u, err := url.Parse(o.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("twilio api url %q: not an http(s) URL", o.APIURL)
		}
		bc = rebased{Client: base, scheme: u.Scheme, host: u.Host}
	}
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: bc})
	// TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the
	// host: the configuration alone says where the API is.
	rc.RequestHandler.Edge, rc.RequestHandler.Region = "", ""
	return &Twilio{api: rc.Api, from: o.From}, nil
}

// rebased sends twilio-go's requests to another host (twilio.api_url):
// twilio-go builds every URL on api.twilio.com, and BaseClient is the seam
// it offers between the URL it builds and the HTTP request.
type rebased struct {
	*twclient.Client
	scheme, host string
}

func (r rebased) SendRequest(method, rawURL string, data url.Values, headers map[string]interface{}, body ...byte) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	u.Scheme, u.Host = r.scheme, r.host
	return r.Client.SendRequest(method, u.String(), data, headers, body...)
}

// Send creates the message. twilio-go takes no context: the HTTP client's
// timeout bounds the request.
func (t *Twilio) Send(_ context.Context, to, body string) (string, error) {
	p := (&openapi.CreateMessageParams{}).SetTo(to).SetBody(body)
	if strings.HasPrefix(t.from, "MG") {
		p.SetMessagingServiceSid(t.from)
	} else {
		p.SetFrom(t.from)
	}
	m, err := t.api.CreateMessage(p)
	if err != nil {
		return "", classify(err)
	}
	if m.Sid == nil {
		return "", errors.New("twilio answered without a message SID")
	}
	return *m.Sid, nil
}

// Find looks for the message among the recipient's newest (one page of
// 100) created since the instant. It filters on the recipient only: a
// DateSent filter would miss the very message it looks for while Twilio
// still has it queued, as it has no send date yet.
func (t *Twilio) Find(_ context.Context, to, body string, since time.Time) (string, bool, error) {
	p := (&openapi.ListMessageParams{}).SetTo(to).SetPageSize(100)
	page, err := t.api.PageMessage(p, "", "")
	if err != nil {
		return "", false, classify(err)
	}
	allRecent := true // every message on the page was created since the instant
	for _, m := range page.Messages {
		created, known := createdAt(m.DateCreated)
		if !known {
			continue // cannot be shown to be this row's
		}
		if created.Before(since.Truncate(time.Second)) {
			// Older than the row's first try: another message, whatever
			// its text.
			allRecent = false
			continue
		}
		if m.Body != nil && *m.Body == body && m.To != nil && *m.To == to && m.Sid != nil {
			return *m.Sid, true, nil
		}
	}
	if allRecent && page.NextPageUri != nil && *page.NextPageUri != "" {
		return "", false, errors.New("more than one page of recent messages to this number: cannot tell")
	}
	return "", false, nil
}

// createdAt reads Twilio's date_created (RFC 1123 with a numeric zone).
func createdAt(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC1123Z, *s)
	return t, err == nil
}

// classify turns twilio-go's error into ours.
func classify(err error) error {
	te, ok := errors.AsType[*twclient.TwilioRestError](err)
	if !ok {
		return err
	}
	// 401/403: our credentials, not the message, are wrong; fixing them
	// must send the outbox, not find it all failed.
	switch te.Status {
	case http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
		return &TransientError{Status: te.Status, Code: te.Code, Message: te.Message}
	}
	if te.Status >= 500 {
		return &TransientError{Status: te.Status, Code: te.Code, Message: te.Message}
	}
	if te.Status >= 400 {
		return &RejectedError{Status: te.Status, Code: te.Code, Message: te.Message}
	}
	return err
}
