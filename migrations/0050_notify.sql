-- SMS through a durable outbox, and the one-time links that let a specialist
-- key an outcome after hanging up. Rows are written in the same transaction
-- as the fact that causes them (a callback request, a pending outcome, the
-- day's coverage gaps), so a message is never lost nor queued twice.

CREATE TABLE sms_outbox (
    id            bigserial PRIMARY KEY,
    -- <call_id>:<kind>:<recipient> or <territory>:digest:<date>: a replay of
    -- the fact that caused the message never queues it again.
    dedupe_key    text NOT NULL UNIQUE,
    territory_id  bigint,
    call_id       uuid,
    kind          text NOT NULL CHECK (kind IN ('callback_specialist', 'callback_gp', 'callback_coordinator',
                                                'outcome_link', 'coverage_digest')),
    recipient     text NOT NULL CHECK (recipient ~ '^\+[1-9][0-9]{6,14}$'),
    body          text NOT NULL,
    -- queued → sending (leased by one worker) → sent | failed (Twilio said no
    -- for good) | unknown (a try may have gone out and Twilio could not tell:
    -- a coordinator checks, rather than risk a duplicate).
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    -- A try ended without knowing whether Twilio took the message (timeout,
    -- crash, lease lost): Twilio is asked before any new try.
    maybe_sent    boolean NOT NULL DEFAULT false,
    attempts      integer NOT NULL DEFAULT 0,
    next_try_at   timestamptz NOT NULL,
    first_try_at  timestamptz,
    lease_owner   text,
    lease_until   timestamptz,
    twilio_sid    text,
    error_code    integer,
    error_message text,
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz,
    updated_at    timestamptz NOT NULL,
    CHECK ((status = 'sending') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);
CREATE INDEX sms_outbox_due ON sms_outbox (next_try_at) WHERE status IN ('queued', 'sending');
CREATE INDEX sms_outbox_territory ON sms_outbox (territory_id, created_at DESC);

-- Only the SHA-256 of a link's token is kept: a copy of the table keys no
-- outcome. Single use: used_at is set in the transaction that keys it.
CREATE TABLE outcome_link (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    call_id         uuid NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    specialist_rpps text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz
);
CREATE INDEX outcome_link_call ON outcome_link (call_id);
