-- Calendar subscriptions: a specialist's gardes, or a whole specialty's, as
-- an iCalendar feed at /agenda/<token>.ics. The token is the credential (a
-- calendar app cannot log in); only its SHA-256 is kept, so the address is
-- shown once when issued. Issuing a new one or revoking ends the old one.
CREATE TABLE calendar_feed (
    id           bigserial PRIMARY KEY,
    territory_id bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    rpps         text REFERENCES practitioner(rpps),
    specialty_id bigint REFERENCES specialty(id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    revoked_at   timestamptz,
    CHECK ((rpps IS NULL) <> (specialty_id IS NULL))
);
-- At most one live address per specialist and per specialty.
CREATE UNIQUE INDEX calendar_feed_live_person ON calendar_feed (territory_id, rpps)
    WHERE revoked_at IS NULL AND rpps IS NOT NULL;
CREATE UNIQUE INDEX calendar_feed_live_specialty ON calendar_feed (territory_id, specialty_id)
    WHERE revoked_at IS NULL AND specialty_id IS NOT NULL;

-- What each calendar last said of each event, so that SEQUENCE grows and
-- LAST-MODIFIED moves when an event changes (a shift edited, cut by an
-- override, given back when the override is deleted): calendar apps keep
-- a stale copy otherwise. view is "p:<rpps>" or "s:<specialty id>": one
-- event reads differently in a person's and in a specialty's calendar.
CREATE TABLE calendar_event (
    territory_id bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    view         text NOT NULL,
    uid          text NOT NULL,
    fingerprint  bytea NOT NULL,
    sequence     integer NOT NULL DEFAULT 0,
    modified_at  timestamptz NOT NULL,
    PRIMARY KEY (territory_id, view, uid)
);
