-- Calling back through the line (issue 17). A specialist texted about a
-- callback request taps their link (or calls the line and types its code):
-- the line rings them, then the GP, bridges them, and the outcome is keyed
-- as in any call. The request closes itself, linked to that call.

-- callback_request (calllog): the claim is what makes « first come, first
-- served » race-free. A conditional UPDATE takes it only while the request
-- is open and nobody else holds it (or their claim has lapsed: a controller
-- that died mid-call never releases it); the callback call's end releases
-- it when the GP was not reached, so the request stays open.
ALTER TABLE callback_request
    ADD COLUMN claim_rpps       text,
    ADD COLUMN claim_call_id    uuid,
    ADD COLUMN claimed_at       timestamptz,
    ADD COLUMN claim_until      timestamptz,
    -- how many callbacks through the line were started for it
    ADD COLUMN tries            integer NOT NULL DEFAULT 0,
    -- the call through the line that closed it (done_by = 'rappel')
    ADD COLUMN callback_call_id uuid,
    ADD CONSTRAINT callback_request_claim_whole
        CHECK ((claim_call_id IS NULL) = (claim_rpps IS NULL)
           AND (claim_call_id IS NULL) = (claimed_at IS NULL)
           AND (claim_call_id IS NULL) = (claim_until IS NULL));
CREATE UNIQUE INDEX callback_request_claim_call ON callback_request (claim_call_id) WHERE claim_call_id IS NOT NULL;
CREATE INDEX callback_request_callback_call ON callback_request (callback_call_id) WHERE callback_call_id IS NOT NULL;

-- A call placed through the line to answer another call's callback request.
ALTER TABLE call ADD COLUMN callback_of uuid;
CREATE INDEX call_callback_of ON call (callback_of) WHERE callback_of IS NOT NULL;

-- notify: the links and codes of the callback SMS. Like outcome links, only
-- the SHA-256 of the token is kept; the code is 8 digits, kept as the
-- SHA-256 of "<territory id>:<code>", unique in its territory. A link works
-- while its request is open and unclaimed and until it expires; used_at is
-- set when a call it started closed the request (every link of the
-- request stops working then, through the request's done_at).
CREATE TABLE callback_link (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    territory_id    bigint NOT NULL,
    call_id         uuid NOT NULL REFERENCES call(id) ON DELETE CASCADE,
    specialist_rpps text NOT NULL,
    phone           text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    code_hash       bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    UNIQUE (territory_id, code_hash)
);
CREATE INDEX callback_link_call ON callback_link (call_id);

ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_kind_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_kind_check
    CHECK (kind IN ('callback_specialist', 'callback_gp', 'callback_coordinator', 'outcome_link',
                    'coverage_digest', 'callback_link', 'callback_taken', 'gp_trace'));

-- Territory settings (roster): the GP's written trace after a keyed
-- outcome, and the video room of a téléconsultation ({ref} is replaced by
-- the call's reference).
ALTER TABLE territory
    ADD COLUMN gp_trace           boolean NOT NULL DEFAULT true,
    ADD COLUMN video_url_template text;
