-- Console, Calls page: "issue en attente" is a filter coordinators use to
-- chase specialists, and pending calls are few (a specialist who hung up
-- before keying). A partial index serves that list newest first without
-- reading the territory's other calls.
CREATE INDEX call_territory_pending ON call (territory_id, started_at DESC) WHERE outcome_status = 'pending';
