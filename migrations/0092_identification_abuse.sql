-- Identification that cannot be turned against a GP. RPPS numbers are
-- public: five wrong PINs typed from any phones used to lock a GP out, and
-- a withheld number was never counted. Failures are now counted per (RPPS,
-- caller number) here, per caller number in ident_failure (withheld numbers
-- share the caller_number '' bucket, with a lower limit), and per RPPS on
-- the enrolment with a much higher limit that never refuses the GP's own
-- enrolled phones (roster.LockoutPolicy). Unknown RPPS are counted here as
-- enrolled ones are, so that both behave alike.

CREATE TABLE ident_pair_failure (
    territory_id    bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    rpps            text NOT NULL CHECK (rpps ~ '^[0-9]{11}$'),
    caller_number   text NOT NULL, -- '' when withheld
    failures        integer NOT NULL DEFAULT 0,
    -- Locks in a row: each lasts twice the previous one (growing delays).
    locks           integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (territory_id, rpps, caller_number)
);
CREATE INDEX ident_pair_failure_caller ON ident_pair_failure (territory_id, caller_number);

ALTER TABLE ident_failure ADD COLUMN locks integer NOT NULL DEFAULT 0;

-- An RPPS locked under the old rule (5 failures from anywhere) was locked
-- by whoever typed its number: lift those locks; the new limits apply from
-- now on.
UPDATE enrolment SET failed_pin_attempts = 0, locked_until = NULL WHERE locked_until IS NOT NULL;
