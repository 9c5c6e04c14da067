-- The statistics' counts (0070) were kept by row triggers: every change of
-- a counted column of a call, and every outcome, bumped its rows one call at
-- a time, several upserts each, most of them on the same few rows (today's).
-- The recorder now writes a batch of calls with one statement per table, so
-- the counts follow the statement instead: each statement's old and new rows
-- (transition tables) are summed by key and each key's row moves once, by
-- the batch's net change. The result is the same as one call at a time: a
-- call's old contribution out, its new one in.
--
-- Deleting a call keeps its row trigger (0070): it must read the outcome
-- the call was counted under before the cascade removes it.

DROP TRIGGER call_stats_insert ON call;
DROP TRIGGER call_stats_update ON call;
DROP TRIGGER call_stats_outcome ON outcome;

-- One call's contribution, signed: +1 for a row as it is now, -1 for a row
-- as it was. wait_ms is only set where the wait is counted.
CREATE TYPE call_stats_delta AS (
    territory_id bigint,
    local_start  timestamp,
    specialty_id bigint,
    result       text,
    outcome_key  text,
    wait_ms      integer,
    sign         integer
);

-- call_stats_add moves each count by the sum of its deltas, keys in order
-- (two transactions moving the same rows lock them in the same order), and
-- leaves alone the rows whose deltas cancel out. PL/pgSQL rather than SQL:
-- its statements are planned once per session, not at every call.
CREATE FUNCTION call_stats_add(deltas call_stats_delta[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_stats_day AS s (territory_id, day, specialty_id, result, outcome, calls)
    SELECT d.territory_id, d.local_start::date, coalesce(d.specialty_id, 0), coalesce(d.result, ''), d.outcome_key, sum(d.sign)::integer
      FROM unnest(deltas) d
     GROUP BY 1, 2, 3, 4, 5
    HAVING sum(d.sign) <> 0
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (territory_id, day, specialty_id, result, outcome) DO UPDATE SET calls = s.calls + excluded.calls;

    INSERT INTO call_stats_hour AS s (territory_id, day, hour, calls)
    SELECT d.territory_id, d.local_start::date, extract(hour FROM d.local_start), sum(d.sign)::integer
      FROM unnest(deltas) d
     GROUP BY 1, 2, 3
    HAVING sum(d.sign) <> 0
     ORDER BY 1, 2, 3
    ON CONFLICT (territory_id, day, hour) DO UPDATE SET calls = s.calls + excluded.calls;

    INSERT INTO call_stats_wait AS s (territory_id, day, seconds, calls)
    SELECT d.territory_id, d.local_start::date, round(d.wait_ms / 1000.0)::integer, sum(d.sign)::integer
      FROM unnest(deltas) d
     WHERE d.result = 'bridged' AND d.wait_ms IS NOT NULL
     GROUP BY 1, 2, 3
    HAVING sum(d.sign) <> 0
     ORDER BY 1, 2, 3
    ON CONFLICT (territory_id, day, seconds) DO UPDATE SET calls = s.calls + excluded.calls;
END
$$;

-- Calls inserted or updated by one statement: the old rows out, the new
-- ones in, each under the outcome the call has now (an outcome change is
-- its own statement, counted by the outcome's trigger). Updates that move
-- no counted column cancel out and write nothing.
CREATE FUNCTION call_stats_on_call_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas call_stats_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The recorder inserts calls before it knows their territory.
        IF NOT EXISTS (SELECT 1 FROM call_stats_new WHERE territory_id IS NOT NULL) THEN
            RETURN NULL;
        END IF;
        deltas := ARRAY(
            SELECT ROW(n.territory_id, n.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris'), n.specialty_id,
                       n.result, call_stats_outcome_key(o.call_id IS NOT NULL, o.outcome), n.time_to_specialist_ms, 1)::call_stats_delta
              FROM call_stats_new n
              LEFT JOIN territory t ON t.id = n.territory_id
              LEFT JOIN outcome o ON o.call_id = n.id
             WHERE n.territory_id IS NOT NULL);
    ELSE
        -- Most updates move no counted column: every new row is then an old
        -- one (same id) with the same territory, start, specialty, result
        -- and wait.
        IF (SELECT count(*) FROM call_stats_new n JOIN call_stats_old o USING (id)
             WHERE (n.territory_id, n.started_at, n.specialty_id, n.result, n.time_to_specialist_ms)
                   IS NOT DISTINCT FROM (o.territory_id, o.started_at, o.specialty_id, o.result, o.time_to_specialist_ms))
           = (SELECT count(*) FROM call_stats_old) THEN
            RETURN NULL;
        END IF;
        deltas := ARRAY(
            SELECT ROW(c.territory_id, c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris'), c.specialty_id,
                       c.result, call_stats_outcome_key(o.call_id IS NOT NULL, o.outcome), c.time_to_specialist_ms, c.sign)::call_stats_delta
              FROM (SELECT id, territory_id, started_at, specialty_id, result, time_to_specialist_ms, -1 AS sign FROM call_stats_old
                    UNION ALL
                    SELECT id, territory_id, started_at, specialty_id, result, time_to_specialist_ms, 1 FROM call_stats_new) c
              LEFT JOIN territory t ON t.id = c.territory_id
              LEFT JOIN outcome o ON o.call_id = c.id
             WHERE c.territory_id IS NOT NULL);
    END IF;
    IF cardinality(deltas) > 0 THEN
        PERFORM call_stats_add(deltas);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER call_stats_insert AFTER INSERT ON call
    REFERENCING NEW TABLE AS call_stats_new
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_on_call_rows();
CREATE TRIGGER call_stats_update AFTER UPDATE ON call
    REFERENCING OLD TABLE AS call_stats_old NEW TABLE AS call_stats_new
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_on_call_rows();

-- Outcomes inserted, updated or deleted by one statement: each call moves
-- from the outcome key it had to the one it has, under its current day,
-- specialty and result. A call without a row counts under '' (no outcome
-- expected); a call being deleted is gone already and was taken out by its
-- own trigger.
CREATE FUNCTION call_stats_on_outcome_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas call_stats_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        deltas := ARRAY(
            SELECT ROW(c.territory_id, c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris'), c.specialty_id,
                       c.result, k.outcome_key, NULL, k.sign)::call_stats_delta
              FROM (SELECT call_id, call_stats_outcome_key(true, outcome) AS outcome_key, 1 AS sign FROM outcome_stats_new
                    UNION ALL
                    SELECT call_id, '', -1 FROM outcome_stats_new) k
              JOIN call c ON c.id = k.call_id
              LEFT JOIN territory t ON t.id = c.territory_id
             WHERE c.territory_id IS NOT NULL);
    ELSIF TG_OP = 'UPDATE' THEN
        deltas := ARRAY(
            SELECT ROW(c.territory_id, c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris'), c.specialty_id,
                       c.result, k.outcome_key, NULL, k.sign)::call_stats_delta
              FROM (SELECT call_id, call_stats_outcome_key(true, outcome) AS outcome_key, 1 AS sign FROM outcome_stats_new
                    UNION ALL
                    SELECT call_id, call_stats_outcome_key(true, outcome), -1 FROM outcome_stats_old) k
              JOIN call c ON c.id = k.call_id
              LEFT JOIN territory t ON t.id = c.territory_id
             WHERE c.territory_id IS NOT NULL);
    ELSE
        deltas := ARRAY(
            SELECT ROW(c.territory_id, c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris'), c.specialty_id,
                       c.result, k.outcome_key, NULL, k.sign)::call_stats_delta
              FROM (SELECT call_id, '' AS outcome_key, 1 AS sign FROM outcome_stats_old
                    UNION ALL
                    SELECT call_id, call_stats_outcome_key(true, outcome), -1 FROM outcome_stats_old) k
              JOIN call c ON c.id = k.call_id
              LEFT JOIN territory t ON t.id = c.territory_id
             WHERE c.territory_id IS NOT NULL);
    END IF;
    IF cardinality(deltas) > 0 THEN
        PERFORM call_stats_add(deltas);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER call_stats_outcome_insert AFTER INSERT ON outcome
    REFERENCING NEW TABLE AS outcome_stats_new
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_on_outcome_rows();
CREATE TRIGGER call_stats_outcome_update AFTER UPDATE ON outcome
    REFERENCING OLD TABLE AS outcome_stats_old NEW TABLE AS outcome_stats_new
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_on_outcome_rows();
CREATE TRIGGER call_stats_outcome_delete AFTER DELETE ON outcome
    REFERENCING OLD TABLE AS outcome_stats_old
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_on_outcome_rows();
