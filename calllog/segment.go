package calllog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/regul-sante/regul/calllog/callevent"
)

// A segment is a run of a batch's new events projected together: the events
// of each call are folded in Go into one change per row (the call, each
// attempt, the outcome), and each table is written with one statement for
// the whole segment, whatever the number of calls. The statistics' triggers
// then fire once per statement, not once per call and event.
//
// Folding gives the rows the events give one at a time, in order, because
// each column keeps either the first value (coalesce), the last, or the
// greatest, and the statements run in an order where nothing reads a row
// another statement of the segment writes afterwards. The few sequences
// where that would not hold (an event that changes what an earlier one of
// the same call read) start a new segment: see conflicts. So does an event
// that changes the rows of a call one of whose events a hook waits for: the
// hooks run once the segment is written, and each must see its call's rows
// as its event left them (applyEvents).
type segment struct {
	calls     map[string]*callPatch
	order     []*callPatch
	attempts  map[attemptKey]*attemptPatch
	attOrder  []*attemptPatch
	closes    []closing         // Bridged, or CallEnded bridged: close the callback request the call answers
	releases  []string          // CallEnded: release the callback requests the call had claimed
	callbacks []callevent.Event // CallbackRequested, the first of each call
	refs      map[string]bool
}

// callPatch is what a segment's events change in one call's row.
type callPatch struct {
	id string

	claim     bool   // CallStarted or TerritoryResolved: store the territory and reference
	territory int64  // the last territory resolved (0: keep the row's)
	ref       string // the first reference proposed

	update     bool // a column below changes
	started    bool
	did        string
	caller     string
	startedAt  time.Time // the earliest CallStarted
	answeredAt *time.Time
	identified bool
	gp         string
	chose      bool
	specialty  int64
	attempts   *int32
	bridged    bool
	bridgedAt  time.Time
	specialist string
	callbackOf *string
	ended      bool
	endedAt    time.Time
	result     string

	pending bool             // OutcomePending
	keyed   *callevent.Event // the last OutcomeKeyed

	closing           bool // closes a callback request
	callbackRequested bool
}

type attemptKey struct {
	call    string
	attempt int
}

// attemptPatch is what a segment's events change in one attempt's row.
type attemptPatch struct {
	call       string
	attempt    int
	started    bool
	rank       int
	rpps       string
	phone      string
	startedAt  time.Time
	ringingAt  *time.Time
	answeredAt *time.Time
	ended      bool
	endedAt    time.Time
	result     string
	cause      int
}

type closing struct {
	call string
	at   time.Time
}

func newSegment() *segment {
	return &segment{calls: map[string]*callPatch{}, attempts: map[attemptKey]*attemptPatch{}, refs: map[string]bool{}}
}

func (s *segment) empty() bool { return len(s.order) == 0 }

func (s *segment) reset() {
	clear(s.calls)
	clear(s.attempts)
	clear(s.refs)
	s.order, s.attOrder, s.closes, s.releases, s.callbacks = s.order[:0], s.attOrder[:0], s.closes[:0], s.releases[:0], s.callbacks[:0]
}

func (s *segment) call(id string) *callPatch {
	key := strings.ToLower(id)
	c := s.calls[key]
	if c == nil {
		c = &callPatch{id: id}
		s.calls[key] = c
		s.order = append(s.order, c)
	}
	return c
}

func (s *segment) attempt(ev callevent.Event) *attemptPatch {
	k := attemptKey{strings.ToLower(ev.CallID), ev.Attempt}
	a := s.attempts[k]
	if a == nil {
		a = &attemptPatch{call: ev.CallID, attempt: ev.Attempt}
		s.attempts[k] = a
		s.attOrder = append(s.attOrder, a)
	}
	return a
}

// projects says whether events of kind k change rows (others only go to
// call_event).
func projects(k callevent.Kind) bool {
	switch k {
	case callevent.CallStarted, callevent.TerritoryResolved, callevent.Answered, callevent.Identified, callevent.SpecialtyChosen, callevent.AttemptStarted, callevent.AttemptRinging,
		callevent.AttemptAnswered, callevent.AttemptEnded, callevent.Bridged, callevent.CallbackStarted, callevent.OutcomeKeyed, callevent.OutcomePending, callevent.CallbackRequested, callevent.CallEnded:
		return true
	}
	return false
}

// firstReference is the reference a claim proposes for ev: the script's
// draw, else the first one derived from the call id.
func firstReference(ev callevent.Event) string {
	if callevent.ValidReference(ev.Reference) {
		return ev.Reference
	}
	return callevent.DeriveReference(ev.CallID, 0)
}

// conflicts says that ev must start a new segment: folded with the events
// before it, it would change what one of them read, or claim a reference
// another call of the segment claims (one statement checks each row's
// uniqueness against the rows as they were before it).
func (s *segment) conflicts(ev callevent.Event) bool {
	c := s.calls[strings.ToLower(ev.CallID)]
	switch ev.Kind {
	case callevent.CallStarted, callevent.AttemptStarted:
		// The time to specialist is computed from the call's start and
		// its attempts' as they were when it was bridged.
		if c != nil && c.bridged {
			return true
		}
	case callevent.CallbackStarted:
		if c != nil && c.closing { // the close read the call's origin
			return true
		}
	case callevent.CallbackRequested:
		// The request is inserted after the segment's closes: a close
		// before it must not see it.
		if len(s.closes) > 0 {
			return true
		}
	}
	if c != nil && c.callbackRequested {
		switch ev.Kind { // the request copied the call's territory, specialty and GP
		case callevent.CallStarted, callevent.TerritoryResolved, callevent.Identified, callevent.SpecialtyChosen:
			return true
		}
	}
	if (ev.Kind == callevent.CallStarted || ev.Kind == callevent.TerritoryResolved) && (c == nil || !c.claim) && s.refs[firstReference(ev)] {
		return true
	}
	return false
}

// add folds ev, new and not conflicting, into the segment.
func (s *segment) add(ev callevent.Event) {
	c := s.call(ev.CallID)
	switch ev.Kind {
	case callevent.CallStarted:
		if !c.started || ev.At.Before(c.startedAt) {
			c.startedAt = ev.At
		}
		c.update, c.started, c.did, c.caller = true, true, ev.DID, ev.Caller
		s.claim(c, ev)
	case callevent.TerritoryResolved:
		s.claim(c, ev)
	case callevent.Answered:
		if c.answeredAt == nil {
			at := ev.At
			c.update, c.answeredAt = true, &at
		}
	case callevent.Identified:
		c.update, c.identified, c.gp = true, true, ev.RPPS
	case callevent.SpecialtyChosen:
		c.update, c.chose, c.specialty = true, true, ev.SpecialtyID
	case callevent.AttemptStarted:
		a := s.attempt(ev)
		a.started, a.rank, a.rpps, a.phone, a.startedAt = true, ev.Rank, ev.RPPS, ev.Phone, ev.At
		if c.attempts == nil || int32(ev.Attempt) > *c.attempts {
			n := int32(ev.Attempt)
			c.attempts = &n
		}
		c.update = true
	case callevent.AttemptRinging:
		if a := s.attempt(ev); a.ringingAt == nil {
			at := ev.At
			a.ringingAt = &at
		}
	case callevent.AttemptAnswered:
		if a := s.attempt(ev); a.answeredAt == nil {
			at := ev.At
			a.answeredAt = &at
		}
	case callevent.AttemptEnded:
		a := s.attempt(ev)
		a.ended, a.endedAt, a.result, a.cause = true, ev.At, string(ev.AttemptRes), ev.Cause
	case callevent.Bridged:
		c.update, c.bridged, c.bridgedAt, c.specialist = true, true, ev.At, ev.RPPS
		c.closing = true
		s.closes = append(s.closes, closing{ev.CallID, ev.At})
	case callevent.CallbackStarted:
		origin := ev.Origin
		c.update, c.callbackOf = true, &origin
	case callevent.OutcomeKeyed:
		k := ev
		c.update, c.keyed = true, &k
	case callevent.OutcomePending:
		c.update, c.pending = true, true
	case callevent.CallbackRequested:
		if !c.callbackRequested {
			c.callbackRequested = true
			s.callbacks = append(s.callbacks, ev)
		}
	case callevent.CallEnded:
		c.update, c.ended, c.endedAt, c.result = true, true, ev.At, string(ev.Result)
		if ev.Result == callevent.ResultBridged {
			// A callback whose Bridged event was lost (its controller
			// died at that moment, and the one that adopted it saw the
			// bridge) closes its request here.
			c.closing = true
			s.closes = append(s.closes, closing{ev.CallID, ev.At})
		}
		s.releases = append(s.releases, ev.CallID)
	}
}

func (s *segment) claim(c *callPatch, ev callevent.Event) {
	if !c.claim {
		c.claim, c.ref = true, firstReference(ev)
		s.refs[c.ref] = true
	}
	if t := refTerritory(ev); t != 0 {
		c.territory = t
	}
}

// The segment's statements, in the order they run. Each reads only rows
// the statements before it wrote (the call's time to specialist reads its
// attempts; a callback request copies its call; a close reads the call's
// origin).
const (
	// claimsSQL stores territories and references where the reference is
	// free in the territory; the calls it does not return go through
	// claimReference. No savepoint is needed: the applier's advisory lock
	// keeps other transactions from claiming meanwhile, and the segment
	// never claims one reference twice.
	claimsSQL = `UPDATE call c SET territory_id = coalesce(nullif(u.territory, 0), c.territory_id),
			reference = coalesce(c.reference, u.ref)
		FROM unnest($1::text[], $2::int8[], $3::text[]) AS u(id, territory, ref)
		WHERE c.id = u.id::uuid AND NOT EXISTS (SELECT 1 FROM call o WHERE o.id <> c.id
			AND o.territory_id = coalesce(nullif(u.territory, 0), c.territory_id) AND o.reference = coalesce(c.reference, u.ref))
		RETURNING c.id::text`

	// attemptsSQL: a started attempt takes its rank, specialist, phone and
	// start; ringing and answered keep the first; an ended attempt takes
	// its end, result and cause.
	attemptsSQL = `INSERT INTO call_attempt AS a (call_id, attempt, rank, rpps, phone, started_at, ringing_at, answered_at,
			ended_at, result, cause)
		SELECT id::uuid, attempt, coalesce(rank, 0), coalesce(rpps, ''), coalesce(phone, ''), started_at, ringing_at,
			answered_at, ended_at, result, cause
		FROM unnest($1::text[], $2::int4[], $3::int4[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
			$8::timestamptz[], $9::timestamptz[], $10::text[], $11::int4[])
			WITH ORDINALITY AS u(id, attempt, rank, rpps, phone, started_at, ringing_at, answered_at, ended_at, result, cause, n)
		ORDER BY n
		ON CONFLICT (call_id, attempt) DO UPDATE SET
			rank = CASE WHEN excluded.started_at IS NULL THEN a.rank ELSE excluded.rank END,
			rpps = CASE WHEN excluded.started_at IS NULL THEN a.rpps ELSE excluded.rpps END,
			phone = CASE WHEN excluded.started_at IS NULL THEN a.phone ELSE excluded.phone END,
			started_at = coalesce(excluded.started_at, a.started_at),
			ringing_at = coalesce(a.ringing_at, excluded.ringing_at),
			answered_at = coalesce(a.answered_at, excluded.answered_at),
			ended_at = coalesce(excluded.ended_at, a.ended_at),
			result = CASE WHEN excluded.ended_at IS NULL THEN a.result ELSE excluded.result END,
			cause = CASE WHEN excluded.ended_at IS NULL THEN a.cause ELSE excluded.cause END`

	// callsSQL changes each call's columns its events set; the others keep
	// their value. The time to specialist runs from the first attempt (else
	// the call's start) to the bridge.
	callsSQL = `UPDATE call c SET
			did = CASE WHEN u.started THEN u.did ELSE c.did END,
			caller = CASE WHEN u.started THEN u.caller ELSE c.caller END,
			started_at = CASE WHEN u.started THEN least(c.started_at, u.started_at) ELSE c.started_at END,
			answered_at = coalesce(c.answered_at, u.answered_at),
			gp_rpps = CASE WHEN u.identified THEN u.gp ELSE c.gp_rpps END,
			specialty_id = CASE WHEN u.chose THEN u.specialty ELSE c.specialty_id END,
			attempts = greatest(c.attempts, u.attempts),
			bridged_at = CASE WHEN u.bridged THEN u.bridged_at ELSE c.bridged_at END,
			specialist_rpps = CASE WHEN u.bridged THEN nullif(u.specialist, '') ELSE c.specialist_rpps END,
			time_to_specialist_ms = CASE WHEN u.bridged THEN (extract(epoch FROM u.bridged_at - coalesce(
				(SELECT min(a.started_at) FROM call_attempt a WHERE a.call_id = c.id),
				CASE WHEN u.started THEN least(c.started_at, u.started_at) ELSE c.started_at END)) * 1000)::integer
				ELSE c.time_to_specialist_ms END,
			callback_of = CASE WHEN u.callback_of IS NULL THEN c.callback_of ELSE u.callback_of::uuid END,
			outcome_status = CASE u.outcome WHEN 'keyed' THEN 'keyed' WHEN 'pending' THEN coalesce(c.outcome_status, 'pending')
				ELSE c.outcome_status END,
			ended_at = CASE WHEN u.ended THEN u.ended_at ELSE c.ended_at END,
			result = CASE WHEN u.ended THEN nullif(u.result, '') ELSE c.result END
		FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bool[],
			$8::text[], $9::bool[], $10::int8[], $11::int4[], $12::bool[], $13::timestamptz[], $14::text[], $15::text[],
			$16::text[], $17::bool[], $18::timestamptz[], $19::text[])
			AS u(id, started, did, caller, started_at, answered_at, identified, gp, chose, specialty, attempts, bridged,
				bridged_at, specialist, callback_of, outcome, ended, ended_at, result)
		WHERE c.id = u.id::uuid`

	// outcomesSQL: a keyed outcome replaces any row; a pending one only
	// goes where there is none.
	outcomesSQL = `INSERT INTO outcome AS o (call_id, status, outcome, delay_hours, keyed_at, keyed_via)
		SELECT id::uuid, status, outcome, delay_hours, keyed_at, CASE WHEN status = 'keyed' THEN 'phone' END
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::timestamptz[]) WITH ORDINALITY
			AS u(id, status, outcome, delay_hours, keyed_at, n)
		ORDER BY n
		ON CONFLICT (call_id) DO UPDATE SET status = 'keyed', outcome = excluded.outcome,
			delay_hours = excluded.delay_hours, keyed_at = excluded.keyed_at, keyed_via = 'phone'
		WHERE excluded.status = 'keyed'`

	callbacksSQL = `INSERT INTO callback_request (call_id, territory_id, specialty_id, gp_rpps, created_at)
		SELECT c.id, coalesce(nullif(u.territory, 0), c.territory_id), coalesce(nullif(u.specialty, 0), c.specialty_id),
			coalesce(nullif(u.rpps, ''), c.gp_rpps), u.at
		FROM unnest($1::text[], $2::int8[], $3::int8[], $4::text[], $5::timestamptz[]) WITH ORDINALITY
			AS u(id, territory, specialty, rpps, at, n)
		JOIN call c ON c.id = u.id::uuid
		ORDER BY u.n
		ON CONFLICT (call_id) DO NOTHING`

	// closesSQL is closeCallbackSQL for several calls: the first of them,
	// in the events' order, closes each request.
	closesSQL = `UPDATE callback_request r
		   SET done_at = x.at, done_by = 'rappel', callback_call_id = x.id,
		       claim_rpps = NULL, claim_call_id = NULL, claimed_at = NULL, claim_until = NULL
		  FROM (SELECT DISTINCT ON (c.callback_of) c.callback_of, c.id, u.at
		          FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS u(id, at, n)
		          JOIN call c ON c.id = u.id::uuid
		         WHERE c.callback_of IS NOT NULL
		         ORDER BY c.callback_of, u.n) x
		 WHERE r.call_id = x.callback_of AND r.done_at IS NULL`

	releasesSQL = `UPDATE callback_request
		   SET claim_rpps = NULL, claim_call_id = NULL, claimed_at = NULL, claim_until = NULL
		 WHERE claim_call_id = ANY($1::text[]::uuid[])`
)

// flush writes the segment in tx, in one round trip unless a reference is
// taken or a callback request must wait for the references, then resets it.
func (s *segment) flush(ctx context.Context, tx pgx.Tx) error {
	if s.empty() {
		return nil
	}
	defer s.reset()
	var b pgx.Batch
	var claims []*callPatch
	{
		var ids, refs []string
		var territories []int64
		for _, c := range s.order {
			if c.claim {
				claims = append(claims, c)
				ids, territories, refs = append(ids, c.id), append(territories, c.territory), append(refs, c.ref)
			}
		}
		if len(claims) > 0 {
			b.Queue(claimsSQL, ids, territories, refs)
		}
	}
	if n := len(s.attOrder); n > 0 {
		var (
			ids, rpps, phones, results        = make([]string, n), make([]*string, n), make([]*string, n), make([]*string, n)
			attempts, ranks, causes           = make([]int32, n), make([]*int32, n), make([]*int32, n)
			started, ringing, answered, ended = make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
		)
		for i, a := range s.attOrder {
			ids[i], attempts[i], ringing[i], answered[i] = a.call, int32(a.attempt), a.ringingAt, a.answeredAt
			if a.started {
				r := int32(a.rank)
				ranks[i], rpps[i], phones[i], started[i] = &r, &a.rpps, &a.phone, &a.startedAt
			}
			if a.ended {
				ended[i] = &a.endedAt
				if a.result != "" {
					results[i] = &a.result
				}
				if a.cause != 0 {
					c := int32(a.cause)
					causes[i] = &c
				}
			}
		}
		b.Queue(attemptsSQL, ids, attempts, ranks, rpps, phones, started, ringing, answered, ended, results, causes)
	}
	{
		var (
			ids, dids, callers, gps, specialists, outcomes, results []string
			startedAt, answeredAt, bridgedAt, endedAt               []*time.Time
			started, identified, chose, bridged, ended              []bool
			specialties                                             []int64
			attempts                                                []*int32
			callbackOf                                              []*string
		)
		for _, c := range s.order {
			if !c.update {
				continue
			}
			outcome := ""
			switch {
			case c.keyed != nil:
				outcome = "keyed"
			case c.pending:
				outcome = "pending"
			}
			var sa, ba, ea *time.Time
			if c.started {
				sa = &c.startedAt
			}
			if c.bridged {
				ba = &c.bridgedAt
			}
			if c.ended {
				ea = &c.endedAt
			}
			ids, dids, callers, gps = append(ids, c.id), append(dids, c.did), append(callers, c.caller), append(gps, c.gp)
			specialists, outcomes, results = append(specialists, c.specialist), append(outcomes, outcome), append(results, c.result)
			startedAt, answeredAt, bridgedAt, endedAt = append(startedAt, sa), append(answeredAt, c.answeredAt), append(bridgedAt, ba), append(endedAt, ea)
			started, identified, chose = append(started, c.started), append(identified, c.identified), append(chose, c.chose)
			bridged, ended = append(bridged, c.bridged), append(ended, c.ended)
			specialties, attempts, callbackOf = append(specialties, c.specialty), append(attempts, c.attempts), append(callbackOf, c.callbackOf)
		}
		if len(ids) > 0 {
			b.Queue(callsSQL, ids, started, dids, callers, startedAt, answeredAt, identified, gps, chose, specialties,
				attempts, bridged, bridgedAt, specialists, callbackOf, outcomes, ended, endedAt, results)
		}
	}
	{
		var (
			ids, statuses []string
			outcomes      []*string
			delays        []*int32
			keyedAt       []*time.Time
		)
		for _, c := range s.order {
			switch {
			case c.keyed != nil:
				o := string(c.keyed.Outcome)
				var d *int32
				if c.keyed.DelayHours != 0 {
					n := int32(c.keyed.DelayHours)
					d = &n
				}
				at := c.keyed.At
				ids, statuses, outcomes, delays, keyedAt = append(ids, c.id), append(statuses, "keyed"), append(outcomes, &o),
					append(delays, d), append(keyedAt, &at)
			case c.pending:
				ids, statuses, outcomes, delays, keyedAt = append(ids, c.id), append(statuses, "pending"), append(outcomes, nil),
					append(delays, nil), append(keyedAt, nil)
			}
		}
		if len(ids) > 0 {
			b.Queue(outcomesSQL, ids, statuses, outcomes, delays, keyedAt)
		}
	}
	// A callback request copies its call's territory: it waits for the
	// references (and the closes and releases after it).
	late := len(s.callbacks) > 0
	if !late {
		s.queueCallbacks(&b)
	}
	if err := s.send(ctx, tx, &b, claims); err != nil {
		return err
	}
	if late {
		var b pgx.Batch
		s.queueCallbacks(&b)
		return s.send(ctx, tx, &b, nil)
	}
	return nil
}

// queueCallbacks queues the callback requests, closes and releases.
func (s *segment) queueCallbacks(b *pgx.Batch) {
	if n := len(s.callbacks); n > 0 {
		ids, rpps := make([]string, n), make([]string, n)
		territories, specialties := make([]int64, n), make([]int64, n)
		at := make([]time.Time, n)
		for i, ev := range s.callbacks {
			ids[i], territories[i], specialties[i], rpps[i], at[i] = ev.CallID, ev.TerritoryID, ev.SpecialtyID, ev.RPPS, ev.At
		}
		b.Queue(callbacksSQL, ids, territories, specialties, rpps, at)
	}
	if n := len(s.closes); n > 0 {
		ids, at := make([]string, n), make([]time.Time, n)
		for i, c := range s.closes {
			ids[i], at[i] = c.call, c.at
		}
		b.Queue(closesSQL, ids, at)
	}
	if len(s.releases) > 0 {
		b.Queue(releasesSQL, s.releases)
	}
}

// send runs b; when it starts with the claims, the calls whose reference
// was taken get theirs from claimReference.
func (s *segment) send(ctx context.Context, tx pgx.Tx, b *pgx.Batch, claims []*callPatch) error {
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	var claimed map[string]bool
	var err error
	if len(claims) > 0 {
		claimed = make(map[string]bool, len(claims))
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			for rows.Next() {
				var id string
				if err = rows.Scan(&id); err != nil {
					break
				}
				claimed[id] = true
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	}
	first := 0
	if len(claims) > 0 {
		first = 1
	}
	for i := first; err == nil && i < b.Len(); i++ {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("project %d calls: %w", len(s.order), err)
	}
	for _, c := range claims {
		if !claimed[strings.ToLower(c.id)] {
			if err := claimReference(ctx, tx, c.id, c.territory, c.ref); err != nil {
				return err
			}
		}
	}
	return nil
}
