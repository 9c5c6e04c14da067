package notify

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regul-sante/regul/calllog/callevent"
)

// callbackTakenMessages: a callback through the line reached the GP. Every
// link of the request stops working, and the other specialists texted
// about it are told, once each.
func (o *Outbox) callbackTakenMessages(ctx context.Context, tx pgx.Tx, ev callevent.Event, origin string) ([]message, error) {
	if _, err := tx.Exec(ctx, `UPDATE callback_link SET used_at = $2 WHERE call_id = $1 AND used_at IS NULL`,
		origin, ev.At); err != nil {
		return nil, fmt.Errorf("spend the callback links of call %s: %w", origin, err)
	}
	c, err := o.owners.loadCall(ctx, tx, origin)
	if err != nil {
		return nil, err
	}
	// Who called back: the call's specialist (a CallEnded names nobody).
	call, err := o.owners.Calls.CallBriefIn(ctx, tx, ev.CallID)
	if err != nil {
		return nil, fmt.Errorf("specialist of call %s: %w", ev.CallID, err)
	}
	by := cmp.Or(call.SpecialistRPPS, ev.RPPS)
	names, err := o.owners.Roster.PractitionerNamesIn(ctx, tx, []string{by})
	if err != nil {
		return nil, fmt.Errorf("specialist of call %s: %w", ev.CallID, err)
	}
	byFirst, byLast := names[by].FirstName, names[by].LastName
	rows, err := tx.Query(ctx, `SELECT DISTINCT phone FROM callback_link WHERE call_id = $1 AND specialist_rpps <> $2
		ORDER BY phone`, origin, by)
	if err != nil {
		return nil, fmt.Errorf("callback links of call %s: %w", origin, err)
	}
	phones, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var msgs []message
	for _, to := range phones {
		msgs = append(msgs, message{dedupe: origin + ":" + string(KindCallbackTaken) + ":" + to,
			territoryID: c.territoryID, callID: origin, kind: KindCallbackTaken, to: to,
			body: callbackTakenBody(c.territory, c.gpFirst, c.gpLast, c.specialty, byFirst, byLast, c.reference)})
	}
	return msgs, nil
}

// traceMessages is the GP's written trace of a keyed outcome, when the
// territory sends it: who answered, the outcome and the committed delay,
// the reference; for a téléconsultation in a territory with a video room,
// the room's address, which the specialist gets too.
func (o Owners) traceMessages(ctx context.Context, tx pgx.Tx, callID string, outcome callevent.Outcome, delayHours int, rpps string) ([]message, error) {
	c, err := o.loadCall(ctx, tx, callID)
	if err != nil || !c.gpTrace {
		return nil, err
	}
	if rpps == "" {
		rpps = c.specialistRPPS
	}
	names, err := o.Roster.PractitionerNamesIn(ctx, tx, []string{rpps})
	if err != nil {
		return nil, fmt.Errorf("specialist %s of call %s: %w", rpps, callID, err)
	}
	spFirst, spLast := names[rpps].FirstName, names[rpps].LastName
	spPhone, err := o.Calls.LastPhoneRungIn(ctx, tx, callID, rpps)
	if err != nil {
		return nil, fmt.Errorf("specialist %s of call %s: %w", rpps, callID, err)
	}
	video := ""
	if outcome == callevent.OutcomeTeleconsultation && c.videoTemplate != "" && c.reference != "" {
		video = strings.ReplaceAll(c.videoTemplate, "{ref}", c.reference)
	}
	var msgs []message
	add := func(to, body string) {
		if to != "" {
			msgs = append(msgs, message{dedupe: callID + ":" + string(KindGPTrace) + ":" + to, territoryID: c.territoryID,
				callID: callID, kind: KindGPTrace, to: to, body: body})
		}
	}
	add(pickMobile(append(append([]string(nil), c.gpPhones...), c.caller)),
		gpTraceBody(c.territory, spFirst, spLast, c.specialty, string(outcome), delayHours, video, c.reference))
	if video != "" {
		add(pickMobile([]string{spPhone}), videoSpecialistBody(c.territory, c.gpFirst, c.gpLast, video, c.reference))
	}
	return msgs, nil
}

// queueTrace queues the trace of an outcome keyed through a link, in the
// transaction that keys it.
func (o Owners) queueTrace(ctx context.Context, tx pgx.Tx, callID string, outcome callevent.Outcome, delayHours int, now time.Time) error {
	msgs, err := o.traceMessages(ctx, tx, callID, outcome, delayHours, "")
	if err != nil {
		return err
	}
	return insertMessages(ctx, tx, now, msgs)
}
