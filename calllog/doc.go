// Package calllog owns the call records: the append-only events of each call,
// the call row with its result, the attempts to reach specialists, outcomes,
// and callback requests. The call's path never waits on PostgreSQL: events go
// through a durable local spool and are applied in order, idempotently on
// (call_id, seq), as soon as the database answers. What an event says, and
// how calls, attempts and outcomes end, is package callevent's.
package calllog
