-- Call records: one row per call, its append-only events, one row per
-- attempt to reach a specialist, the outcome the specialist keyed, and the
-- callback requests left when nobody could be reached.
--
-- No foreign keys to the roster tables: a record outlives roster edits (a
-- territory or specialty removed later), and the spool applier must never be
-- blocked by an event it cannot insert. No patient data and no audio here.

CREATE TABLE call (
    id                    uuid PRIMARY KEY,
    territory_id          bigint,
    did                   text NOT NULL DEFAULT '',
    caller                text NOT NULL DEFAULT '',
    gp_rpps               text,
    specialty_id          bigint,
    started_at            timestamptz NOT NULL,
    answered_at           timestamptz,
    bridged_at            timestamptz,
    ended_at              timestamptz,
    result                text CHECK (result IN ('bridged', 'callback', 'refused', 'abandoned',
                                                 'out_of_hours', 'unknown_did', 'failed')),
    specialist_rpps       text,
    attempts              integer NOT NULL DEFAULT 0,
    -- From the first specialist dialled to the bridge: the part the line
    -- controls (identification time is the GP's own typing).
    time_to_specialist_ms integer,
    outcome_status        text CHECK (outcome_status IN ('pending', 'keyed'))
);
-- The console lists a territory's calls newest first, filtered by result or specialty.
CREATE INDEX call_territory_started ON call (territory_id, started_at DESC);
CREATE INDEX call_territory_result ON call (territory_id, result, started_at DESC);
CREATE INDEX call_territory_specialty ON call (territory_id, specialty_id, started_at DESC);
CREATE INDEX call_gp ON call (gp_rpps, started_at DESC) WHERE gp_rpps IS NOT NULL;
CREATE INDEX call_specialist ON call (specialist_rpps, started_at DESC) WHERE specialist_rpps IS NOT NULL;

-- Append-only: (call_id, seq) makes replaying the spool a no-op.
CREATE TABLE call_event (
    call_id uuid NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    seq     integer NOT NULL CHECK (seq >= 1),
    at      timestamptz NOT NULL,
    kind    text NOT NULL,
    data    jsonb NOT NULL,
    UNIQUE (call_id, seq)
);

CREATE TABLE call_attempt (
    call_id     uuid NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    attempt     integer NOT NULL CHECK (attempt >= 1),
    rank        integer NOT NULL DEFAULT 0,
    rpps        text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    started_at  timestamptz,
    ringing_at  timestamptz,
    answered_at timestamptz,
    ended_at    timestamptz,
    result      text CHECK (result IN ('accepted', 'declined', 'no_answer', 'voicemail',
                                       'busy', 'failed', 'cancelled')),
    cause       integer,
    PRIMARY KEY (call_id, attempt)
);
CREATE INDEX call_attempt_rpps ON call_attempt (rpps, started_at DESC);
CREATE INDEX call_attempt_result ON call_attempt (result);

CREATE TABLE outcome (
    call_id     uuid PRIMARY KEY REFERENCES call(id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('pending', 'keyed')),
    outcome     text CHECK (outcome IN ('teleconsultation', 'teleexpertise', 'consultation_presentiel',
                                        'orientation_hopital', 'avis_seul')),
    delay_hours integer CHECK (delay_hours >= 0),
    keyed_at    timestamptz,
    keyed_via   text CHECK (keyed_via IN ('phone', 'link')),
    CHECK ((status = 'keyed') = (outcome IS NOT NULL AND keyed_at IS NOT NULL AND keyed_via IS NOT NULL))
);
CREATE INDEX outcome_pending ON outcome (call_id) WHERE status = 'pending';

CREATE TABLE callback_request (
    id           bigserial PRIMARY KEY,
    call_id      uuid NOT NULL UNIQUE REFERENCES call(id) ON DELETE CASCADE,
    territory_id bigint,
    specialty_id bigint,
    gp_rpps      text,
    created_at   timestamptz NOT NULL,
    done_at      timestamptz,
    done_by      text
);
CREATE INDEX callback_request_open ON callback_request (territory_id, created_at) WHERE done_at IS NULL;
