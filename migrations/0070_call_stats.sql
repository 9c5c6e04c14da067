-- The Statistiques page reads these counts, not the calls: a year of a
-- busy region is a million calls, and a page must answer within a second.
-- They are kept by triggers on call and outcome in the same transaction as
-- the change they count, so they can never drift from the calls: every
-- change takes the call's old contribution out and puts the new one in.
-- Days and hours are the territory's local ones, as on the page.

CREATE TABLE call_stats_day (
    territory_id bigint NOT NULL,
    day          date NOT NULL,
    specialty_id bigint NOT NULL,  -- 0: no specialty chosen
    result       text NOT NULL,    -- '': the call is not over
    -- '': no outcome expected (not bridged); 'pending'; or the keyed outcome.
    outcome      text NOT NULL,
    calls        integer NOT NULL,
    PRIMARY KEY (territory_id, day, specialty_id, result, outcome)
);

-- Bridged calls by time to specialist, in whole seconds: medians and
-- 90th percentiles of any period are computed from these histograms.
CREATE TABLE call_stats_wait (
    territory_id bigint NOT NULL,
    day          date NOT NULL,
    seconds      integer NOT NULL,
    calls        integer NOT NULL,
    PRIMARY KEY (territory_id, day, seconds)
);

CREATE TABLE call_stats_hour (
    territory_id bigint NOT NULL,
    day          date NOT NULL,
    hour         smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    calls        integer NOT NULL,
    PRIMARY KEY (territory_id, day, hour)
);

-- A call's local start, in its territory's time zone (Europe/Paris when
-- the territory is gone: its counts are then seen by nobody).
CREATE FUNCTION call_stats_local(of_territory bigint, started timestamptz) RETURNS timestamp
LANGUAGE sql STABLE AS $$
    SELECT started AT TIME ZONE coalesce((SELECT timezone FROM territory WHERE id = of_territory), 'Europe/Paris')
$$;

-- The outcome key of a call for call_stats_day, from its outcome row.
CREATE FUNCTION call_stats_outcome_key(has_row boolean, outcome text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT has_row THEN '' ELSE coalesce(outcome, 'pending') END
$$;

CREATE FUNCTION call_stats_bump_day(t bigint, d date, specialty bigint, res text, outcome_key text, sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO call_stats_day AS s (territory_id, day, specialty_id, result, outcome, calls)
    VALUES (t, d, coalesce(specialty, 0), coalesce(res, ''), outcome_key, sign)
    ON CONFLICT (territory_id, day, specialty_id, result, outcome) DO UPDATE SET calls = s.calls + excluded.calls
$$;

CREATE FUNCTION call_stats_bump_hour(t bigint, local_start timestamp, sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO call_stats_hour AS s (territory_id, day, hour, calls)
    VALUES (t, local_start::date, extract(hour FROM local_start), sign)
    ON CONFLICT (territory_id, day, hour) DO UPDATE SET calls = s.calls + excluded.calls
$$;

-- Only bridged calls with a measured time to specialist have a wait.
CREATE FUNCTION call_stats_bump_wait(t bigint, d date, res text, wait_ms integer, sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO call_stats_wait AS s (territory_id, day, seconds, calls)
    SELECT t, d, round(wait_ms / 1000.0)::integer, sign
     WHERE res = 'bridged' AND wait_ms IS NOT NULL
    ON CONFLICT (territory_id, day, seconds) DO UPDATE SET calls = s.calls + excluded.calls
$$;

-- A change to a call takes its old contribution out and puts the new one
-- in, table by table, and only where the key moved: most updates move one
-- row of one table, or none. An insert or a delete has one side only (the
-- other's local start is NULL), so every comparison finds a change.
CREATE FUNCTION call_stats_on_call() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    outcome_key text;
    old_local   timestamp;
    new_local   timestamp;
BEGIN
    SELECT call_stats_outcome_key(true, o.outcome) INTO outcome_key FROM outcome o WHERE o.call_id = coalesce(NEW.id, OLD.id);
    outcome_key := coalesce(outcome_key, '');
    IF TG_OP <> 'INSERT' AND OLD.territory_id IS NOT NULL THEN
        old_local := call_stats_local(OLD.territory_id, OLD.started_at);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.territory_id IS NOT NULL THEN
        new_local := call_stats_local(NEW.territory_id, NEW.started_at);
    END IF;
    IF TG_OP <> 'UPDATE' OR (OLD.territory_id, old_local::date, OLD.specialty_id, OLD.result)
                 IS DISTINCT FROM (NEW.territory_id, new_local::date, NEW.specialty_id, NEW.result) THEN
        IF old_local IS NOT NULL THEN
            PERFORM call_stats_bump_day(OLD.territory_id, old_local::date, OLD.specialty_id, OLD.result, outcome_key, -1);
        END IF;
        IF new_local IS NOT NULL THEN
            PERFORM call_stats_bump_day(NEW.territory_id, new_local::date, NEW.specialty_id, NEW.result, outcome_key, 1);
        END IF;
    END IF;
    IF TG_OP <> 'UPDATE' OR (OLD.territory_id, old_local) IS DISTINCT FROM (NEW.territory_id, new_local) THEN
        IF old_local IS NOT NULL THEN
            PERFORM call_stats_bump_hour(OLD.territory_id, old_local, -1);
        END IF;
        IF new_local IS NOT NULL THEN
            PERFORM call_stats_bump_hour(NEW.territory_id, new_local, 1);
        END IF;
    END IF;
    IF TG_OP <> 'UPDATE' OR (OLD.territory_id, old_local::date, OLD.result = 'bridged', OLD.time_to_specialist_ms)
                 IS DISTINCT FROM (NEW.territory_id, new_local::date, NEW.result = 'bridged', NEW.time_to_specialist_ms) THEN
        IF old_local IS NOT NULL THEN
            PERFORM call_stats_bump_wait(OLD.territory_id, old_local::date, OLD.result, OLD.time_to_specialist_ms, -1);
        END IF;
        IF new_local IS NOT NULL THEN
            PERFORM call_stats_bump_wait(NEW.territory_id, new_local::date, NEW.result, NEW.time_to_specialist_ms, 1);
        END IF;
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;

CREATE TRIGGER call_stats_insert AFTER INSERT ON call
    FOR EACH ROW WHEN (NEW.territory_id IS NOT NULL) EXECUTE FUNCTION call_stats_on_call();
-- Only the columns counted: most of a call's updates (answered, attempts,
-- ended_at) change nothing here and cost no trigger call.
CREATE TRIGGER call_stats_update AFTER UPDATE ON call
    FOR EACH ROW WHEN (OLD.territory_id IS DISTINCT FROM NEW.territory_id
                    OR OLD.started_at IS DISTINCT FROM NEW.started_at
                    OR OLD.specialty_id IS DISTINCT FROM NEW.specialty_id
                    OR OLD.result IS DISTINCT FROM NEW.result
                    OR OLD.time_to_specialist_ms IS DISTINCT FROM NEW.time_to_specialist_ms)
    EXECUTE FUNCTION call_stats_on_call();
-- Before the delete, while the call's outcome row (removed by the cascade)
-- still says which outcome the call was counted under.
CREATE TRIGGER call_stats_delete BEFORE DELETE ON call
    FOR EACH ROW WHEN (OLD.territory_id IS NOT NULL) EXECUTE FUNCTION call_stats_on_call();

CREATE FUNCTION call_stats_on_outcome() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_key text := CASE WHEN TG_OP = 'INSERT' THEN '' ELSE call_stats_outcome_key(true, OLD.outcome) END;
    new_key text := CASE WHEN TG_OP = 'DELETE' THEN '' ELSE call_stats_outcome_key(true, NEW.outcome) END;
    c         call;
    local_day date;
BEGIN
    IF old_key = new_key THEN
        RETURN NULL;
    END IF;
    SELECT * INTO c FROM call WHERE id = coalesce(NEW.call_id, OLD.call_id);
    -- No call: it is being deleted, and its own trigger took it out.
    IF FOUND AND c.territory_id IS NOT NULL THEN
        local_day := call_stats_local(c.territory_id, c.started_at)::date;
        -- Always the lower key first: two transactions moving calls
        -- between the same two rows lock them in the same order.
        IF old_key < new_key THEN
            PERFORM call_stats_bump_day(c.territory_id, local_day, c.specialty_id, c.result, old_key, -1);
            PERFORM call_stats_bump_day(c.territory_id, local_day, c.specialty_id, c.result, new_key, 1);
        ELSE
            PERFORM call_stats_bump_day(c.territory_id, local_day, c.specialty_id, c.result, new_key, 1);
            PERFORM call_stats_bump_day(c.territory_id, local_day, c.specialty_id, c.result, old_key, -1);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER call_stats_outcome AFTER INSERT OR UPDATE OR DELETE ON outcome
    FOR EACH ROW EXECUTE FUNCTION call_stats_on_outcome();

-- call_stats_rebuild recounts one territory (or all, with NULL) from the
-- calls: after a time-zone change, after a bulk load that bypassed the
-- triggers, and once here for the calls recorded before this migration.
-- Writes to the calls wait meanwhile, so that none is counted twice or
-- missed.
CREATE FUNCTION call_stats_rebuild(only_territory bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE call, outcome IN SHARE MODE;
    DELETE FROM call_stats_day WHERE only_territory IS NULL OR territory_id = only_territory;
    DELETE FROM call_stats_wait WHERE only_territory IS NULL OR territory_id = only_territory;
    DELETE FROM call_stats_hour WHERE only_territory IS NULL OR territory_id = only_territory;
    CREATE TEMP TABLE call_stats_source ON COMMIT DROP AS
        SELECT c.territory_id, c.specialty_id, c.result, c.time_to_specialist_ms,
               c.started_at AT TIME ZONE coalesce(t.timezone, 'Europe/Paris') AS local_start,
               call_stats_outcome_key(o.call_id IS NOT NULL, o.outcome) AS outcome_key
          FROM call c
          LEFT JOIN territory t ON t.id = c.territory_id
          LEFT JOIN outcome o ON o.call_id = c.id
         WHERE c.territory_id IS NOT NULL AND (only_territory IS NULL OR c.territory_id = only_territory);
    INSERT INTO call_stats_day (territory_id, day, specialty_id, result, outcome, calls)
        SELECT territory_id, local_start::date, coalesce(specialty_id, 0), coalesce(result, ''), outcome_key, count(*)
          FROM call_stats_source GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO call_stats_hour (territory_id, day, hour, calls)
        SELECT territory_id, local_start::date, extract(hour FROM local_start), count(*)
          FROM call_stats_source GROUP BY 1, 2, 3;
    INSERT INTO call_stats_wait (territory_id, day, seconds, calls)
        SELECT territory_id, local_start::date, round(time_to_specialist_ms / 1000.0)::integer, count(*)
          FROM call_stats_source
         WHERE result = 'bridged' AND time_to_specialist_ms IS NOT NULL
         GROUP BY 1, 2, 3;
    DROP TABLE call_stats_source;
END
$$;

CREATE FUNCTION call_stats_on_timezone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM call_stats_rebuild(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER call_stats_timezone AFTER UPDATE OF timezone ON territory
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) EXECUTE FUNCTION call_stats_on_timezone();

SELECT call_stats_rebuild(NULL);
