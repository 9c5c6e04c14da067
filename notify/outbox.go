package notify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/calllog/callevent"
	"github.com/regul-sante/regul/internal/clock"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// OutboxOptions configure an Outbox.
type OutboxOptions struct {
	Log *zap.Logger // required
	// Clock stamps the rows (they are due at once); defaults to clock.System(). It
	// must be the clock the Worker runs on.
	Clock clock.Clock
	// PublicURL is where outcome links point: <PublicURL>/suite/<token>.
	PublicURL string
	// LinkTTL is how long an outcome link stays valid (default 72 h).
	LinkTTL time.Duration
	// CallbackLinkTTL is how long a callback link and its code work
	// (default 24 h).
	CallbackLinkTTL time.Duration
	// Owners read the calls and the roster the messages are made of
	// (required).
	Owners Owners
}

// Outbox turns call events into sms_outbox rows, inside the transaction that
// projects the event.
type Outbox struct {
	log       *zap.Logger
	clock     clock.Clock
	publicURL string
	linkTTL   time.Duration
	cbTTL     time.Duration
	owners    Owners
}

// NewOutbox checks the options.
func NewOutbox(o OutboxOptions) (*Outbox, error) {
	if o.Log == nil {
		return nil, errors.New("notify: OutboxOptions.Log is required")
	}
	if err := o.Owners.check(); err != nil {
		return nil, err
	}
	if o.PublicURL == "" {
		return nil, errors.New("notify: OutboxOptions.PublicURL is required (notify.public_url)")
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 72 * time.Hour
	}
	if o.CallbackLinkTTL <= 0 {
		o.CallbackLinkTTL = 24 * time.Hour
	}
	return &Outbox{log: o.Log, clock: o.Clock, publicURL: strings.TrimSuffix(o.PublicURL, "/"), linkTTL: o.LinkTTL,
		cbTTL: o.CallbackLinkTTL, owners: o.Owners}, nil
}

// HookKinds are the only events Hook acts on (calllog.Options.OnApplyKinds):
// keep it equal to Hook's cases.
var HookKinds = []callevent.Kind{callevent.CallbackRequested, callevent.OutcomePending, callevent.Bridged,
	callevent.CallEnded, callevent.OutcomeKeyed}

// Hook is the calllog.ApplyHook that queues the SMS of a callback request,
// of a pending outcome, of a callback through the line that reached the GP
// (the other specialists are told) and of a keyed outcome (the GP's
// written trace). It runs in a savepoint: a row PostgreSQL refuses
// is logged and dropped rather than costing the call its record; only a lost
// connection fails the batch (which the applier retries).

func (o *Outbox) Hook(ctx context.Context, tx pgx.Tx, ev callevent.Event) error {
	var derive func(context.Context, pgx.Tx, callevent.Event) ([]message, error)
	switch ev.Kind {
	case callevent.CallbackRequested:
		derive = o.callbackMessages
	case callevent.OutcomePending:
		derive = o.outcomeLinkMessages
	case callevent.Bridged, callevent.CallEnded: // a CallEnded too: the Bridged event may have been lost
		if ev.Kind == callevent.CallEnded && ev.Result != callevent.ResultBridged {
			return nil
		}
		// Most calls are not callbacks: one read tells, without the
		// savepoint's two round trips. A read refused here would mean a
		// broken schema, which fails the batch as any statement would.
		origin, err := calllog.CallbackOf(ctx, tx, ev.CallID)
		if err != nil {
			return fmt.Errorf("sms for %s of call %s: is it a callback: %w", ev.Kind, ev.CallID, err)
		}
		if origin == "" {
			return nil
		}
		derive = func(ctx context.Context, tx pgx.Tx, ev callevent.Event) ([]message, error) {
			return o.callbackTakenMessages(ctx, tx, ev, origin)
		}
	case callevent.OutcomeKeyed:
		derive = func(ctx context.Context, tx pgx.Tx, ev callevent.Event) ([]message, error) {
			return o.owners.traceMessages(ctx, tx, ev.CallID, ev.Outcome, ev.DelayHours, ev.RPPS)
		}
	default:
		return nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("sms for %s of call %s: savepoint: %w", ev.Kind, ev.CallID, err)
	}
	err = func() error {
		msgs, err := derive(ctx, sp, ev)
		if err != nil {
			return err
		}
		return insertMessages(ctx, sp, o.clock.Now(), msgs)
	}()
	if err == nil {
		return sp.Commit(ctx)
	}
	_ = sp.Rollback(ctx)
	if _, refused := errors.AsType[*pgconn.PgError](err); refused || errors.Is(err, errNoData) {
		o.log.Error("SMS not queued: the call record is kept without them", zap.String("call_id", ev.CallID),
			zap.String("event", string(ev.Kind)), zap.Error(err))
		return nil
	}
	return fmt.Errorf("sms for %s of call %s: %w", ev.Kind, ev.CallID, err)
}

// errNoData says the rows a message is made of are missing (a call without
// a territory): nothing to send, nothing to retry.
var errNoData = errors.New("no data to build the message from")

// message is one row to queue.
type message struct {
	dedupe      string
	territoryID int64
	callID      string
	kind        Kind
	to          string
	body        string
}

// insertMessages queues the messages. A message's body is unique for its
// recipient (sms_outbox_recipient_body, on the SHA-256 of the body as
// queued): the uncertain-send check recognises a row's message at Twilio by
// its recipient and body, so two rows must never share both. Call messages
// carry the call's reference, unique in its territory, so a clash is rare
// (two territories of one name); when it happens the body gets a number.
func insertMessages(ctx context.Context, tx pgx.Tx, now time.Time, msgs []message) error {
	for _, m := range msgs {
		var callID any
		if m.callID != "" {
			callID = m.callID
		}
		body := m.body
		for n := 2; ; n++ {
			sum := sha256.Sum256([]byte(body))
			err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
				_, err := sp.Exec(ctx, `INSERT INTO sms_outbox (dedupe_key, territory_id, call_id, kind, recipient, body,
						body_sha256, next_try_at, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) ON CONFLICT (dedupe_key) DO NOTHING`,
					m.dedupe, m.territoryID, callID, string(m.kind), m.to, body, sum[:], now)
				return err
			})
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" &&
				pgErr.ConstraintName == "sms_outbox_recipient_body" && n < 100 {
				body = fmt.Sprintf("%s (%d)", m.body, n)
				continue
			}
			if err != nil {
				return fmt.Errorf("queue %s to %s: %w", m.kind, maskPhone(m.to), err)
			}
			break
		}
	}
	return nil
}

// callContext is what every message about a call says.
type callContext struct {
	territoryID      int64
	territory        string
	reference        string // the call's, as stored (calllog/reference.go)
	coordinatorPhone string
	specialtyID      int64
	specialty        string
	startedAt        time.Time
	loc              *time.Location
	caller           string
	gpFirst, gpLast  string
	gpPhones         []string
	did              string // the regulation number the GP called
	gpTrace          bool   // the territory sends GPs the written trace
	videoTemplate    string // the territory's video room URL, "{ref}" for the reference
	specialistRPPS   string
}

// loadCall reads the call as projected so far (calllog), its territory,
// specialty and GP (roster), through the caller's transaction.
func (o Owners) loadCall(ctx context.Context, tx pgx.Tx, callID string) (callContext, error) {
	call, err := o.Calls.CallBriefIn(ctx, tx, callID)
	if errors.Is(err, calllog.ErrNotFound) {
		return callContext{}, fmt.Errorf("call %s has no territory: %w", callID, errNoData)
	}
	if err != nil {
		return callContext{}, fmt.Errorf("load call %s: %w", callID, err)
	}
	if call.TerritoryID == 0 {
		return callContext{}, fmt.Errorf("call %s has no territory: %w", callID, errNoData)
	}
	set, err := o.Roster.CallSettingIn(ctx, tx, call.TerritoryID, call.SpecialtyID, call.GPRPPS)
	if err != nil {
		return callContext{}, fmt.Errorf("load call %s: %w", callID, err)
	}
	if !set.TerritoryFound {
		return callContext{}, fmt.Errorf("call %s has no territory: %w", callID, errNoData)
	}
	return callContext{territoryID: call.TerritoryID, territory: set.Territory, reference: call.Reference,
		coordinatorPhone: set.CoordinatorPhone, specialtyID: call.SpecialtyID, specialty: set.Specialty,
		startedAt: call.StartedAt, loc: set.Location, caller: call.Caller, gpFirst: set.GPFirst, gpLast: set.GPLast,
		gpPhones: set.GPPhones, did: call.DID, gpTrace: set.GPTrace, videoTemplate: set.VideoURLTemplate,
		specialistRPPS: call.SpecialistRPPS}, nil
}

// gpCallbackNumber is the number a specialist should call the GP back on:
// the one they called from, else their enrolled phone.
func (c callContext) gpCallbackNumber() string {
	if e164Like(c.caller) {
		return c.caller
	}
	if len(c.gpPhones) > 0 {
		return c.gpPhones[0]
	}
	return ""
}

// callbackMessages: each on-duty specialist of the chain at the request's
// instant, the GP, and the coordination.
func (o *Outbox) callbackMessages(ctx context.Context, tx pgx.Tx, ev callevent.Event) ([]message, error) {
	c, err := o.owners.loadCall(ctx, tx, ev.CallID)
	if err != nil {
		return nil, err
	}
	if ev.SpecialtyID != 0 && ev.SpecialtyID != c.specialtyID {
		c.specialtyID = ev.SpecialtyID
		labels, err := o.owners.Roster.SpecialtyLabelsIn(ctx, tx, []int64{c.specialtyID})
		if err != nil {
			return nil, err
		}
		label, ok := labels[c.specialtyID]
		if !ok {
			return nil, fmt.Errorf("specialty %d: %w", c.specialtyID, oncall.ErrNotFound)
		}
		c.specialty = label
	}
	chain, err := roster.OnDutyIn(ctx, tx, c.territoryID, c.specialtyID, ev.At)
	if err != nil {
		return nil, err
	}
	ref := c.reference
	gpNumber := c.gpCallbackNumber()
	var msgs []message
	add := func(kind Kind, to, body string) {
		if to == "" {
			return
		}
		msgs = append(msgs, message{dedupe: ev.CallID + ":" + string(kind) + ":" + to,
			territoryID: c.territoryID, callID: ev.CallID, kind: kind, to: to, body: body})
	}
	var first *oncall.Candidate
	for i, cand := range chain {
		if cand.Fallback { // a hospital switchboard reads no SMS
			continue
		}
		if first == nil {
			first = &chain[i]
		}
		to := pickMobile(cand.Phones)
		if to == "" {
			continue
		}
		info := callbackSpecialistBody(c.territory, c.gpFirst, c.gpLast, gpNumber, c.specialty, ref)
		if !e164Like(c.did) || gpNumber == "" {
			add(KindCallbackSpecialist, to, info) // no line to call back through
			continue
		}
		link, err := newCallbackLink(ctx, tx, c.territoryID, ev.CallID, cand.RPPS, to, o.clock.Now(), o.cbTTL)
		if err != nil {
			return nil, err
		}
		url := o.publicURL + CallbackPath + link.token
		// One SMS when it fits; else the request and, apart, the way to
		// call back through the line.
		if both := callbackThroughLineBody(c.territory, c.gpFirst, c.gpLast, c.specialty, url, c.did, link.code, ref); Segments(both) == 1 {
			add(KindCallbackSpecialist, to, both)
			continue
		}
		add(KindCallbackSpecialist, to, info)
		add(KindCallbackLink, to, callbackLinkBody(c.territory, c.gpFirst, c.gpLast, url, c.did, link.code))
	}
	var backFirst, backLast string
	if first != nil {
		backFirst, backLast = first.FirstName, first.LastName
	}
	add(KindCallbackGP, pickMobile(append(append([]string(nil), c.gpPhones...), c.caller)),
		callbackGPBody(c.territory, c.specialty, backFirst, backLast, ref))
	// The coordination's number may be a landline: French operators read
	// an SMS out to a landline.
	add(KindCallbackCoordinator, c.coordinatorPhone,
		callbackCoordinatorBody(c.territory, c.gpFirst, c.gpLast, gpNumber, c.specialty, ref))
	return msgs, nil
}

// outcomeLinkMessages: one link to the specialist who left the call.
func (o *Outbox) outcomeLinkMessages(ctx context.Context, tx pgx.Tx, ev callevent.Event) ([]message, error) {
	c, err := o.owners.loadCall(ctx, tx, ev.CallID)
	if err != nil {
		return nil, err
	}
	rung, err := o.owners.Calls.AttemptPhoneIn(ctx, tx, ev.CallID, ev.Attempt)
	if err != nil {
		return nil, fmt.Errorf("specialist's phones: %w", err)
	}
	enrolled, err := o.owners.Roster.EnrolledPhonesIn(ctx, tx, c.territoryID, ev.RPPS, oncall.Requis, c.specialtyID)
	if err != nil {
		return nil, fmt.Errorf("specialist's phones: %w", err)
	}
	var phones []string
	if rung != "" {
		phones = append(phones, rung)
	}
	phones = append(phones, enrolled...)
	to := pickMobile(phones)
	if to == "" {
		o.log.Warn("outcome link not sent: the specialist has no mobile number", zap.String("call_id", ev.CallID))
		return nil, nil
	}
	token, err := newLinkToken(ctx, tx, ev.CallID, ev.RPPS, o.clock.Now(), o.linkTTL)
	if err != nil {
		return nil, err
	}
	body := outcomeLinkBody(c.territory, c.gpFirst, c.gpLast, c.startedAt.In(c.loc), o.publicURL+LinkPath+token)
	return []message{{dedupe: ev.CallID + ":" + string(KindOutcomeLink) + ":" + to, territoryID: c.territoryID,
		callID: ev.CallID, kind: KindOutcomeLink, to: to, body: body}}, nil
}

// pickMobile returns the first number that can receive an SMS: a French
// mobile (06, 07), else the first foreign number (which we cannot tell).
func pickMobile(phones []string) string {
	for _, p := range phones {
		if strings.HasPrefix(p, "+336") || strings.HasPrefix(p, "+337") {
			return p
		}
	}
	for _, p := range phones {
		if e164Like(p) && !strings.HasPrefix(p, "+33") {
			return p
		}
	}
	return ""
}

func e164Like(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// maskPhone keeps a number's country and last two digits for the logs.
func maskPhone(e164 string) string {
	if len(e164) < 6 {
		return "…"
	}
	return e164[:3] + "…" + e164[len(e164)-2:]
}
