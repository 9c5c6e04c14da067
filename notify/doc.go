// Package notify tells people by SMS what the line could not tell them on the
// phone: a GP's callback request (to the specialists on duty, the GP and the
// coordination), a specialist's pending outcome (a one-time link to key it),
// and the daily digest of the roster's coverage gaps.
//
// Nothing is sent from a call's path. Messages are rows of sms_outbox,
// written in the same transaction as the fact that causes them (Outbox.Hook
// runs inside the call-log projection; the digest inside its own), each with
// a unique dedupe key so that a replay never queues one twice. A Worker
// leases due rows with FOR UPDATE SKIP LOCKED, sends them through twilio-go
// and marks the result; a row whose fate is uncertain (a timeout, a crash
// between send and mark) is never sent blindly again: Twilio is asked first,
// and when it cannot tell, the row is marked unknown for a coordinator.
package notify
