-- The roster: territories, their regulation numbers and specialties, the
-- practitioners from the directory, who is enrolled where, and the shifts.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE territory (
    id                    bigserial PRIMARY KEY,
    slug                  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name                  text NOT NULL,
    timezone              text NOT NULL DEFAULT 'Europe/Paris',
    -- {"mon":[["08:00","20:00"]], ...}; a missing weekday is closed.
    opening_hours         jsonb NOT NULL DEFAULT '{}',
    -- On public holidays: closed, or open with the given hours.
    holidays_open         boolean NOT NULL DEFAULT false,
    holiday_hours         jsonb NOT NULL DEFAULT '[]',
    identification_policy text NOT NULL DEFAULT 'rpps+pin'
                          CHECK (identification_policy IN ('rpps', 'rpps+pin', 'callerid+pin')),
    ring_timeout_s        integer NOT NULL DEFAULT 25 CHECK (ring_timeout_s BETWEEN 5 AND 120),
    hunt_timeout_s        integer NOT NULL DEFAULT 120 CHECK (hunt_timeout_s BETWEEN 10 AND 900),
    coordinator_phone     text,
    coordinator_email     text,
    communes              text[] NOT NULL DEFAULT '{}',
    departements          text[] NOT NULL DEFAULT '{}',
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE regulation_number (
    e164         text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
    territory_id bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE
);

CREATE TABLE specialty (
    id             bigserial PRIMARY KEY,
    territory_id   bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    slug           text NOT NULL,
    label          text NOT NULL,
    menu_digit     smallint NOT NULL CHECK (menu_digit BETWEEN 1 AND 9),
    savoir_faire   text[] NOT NULL DEFAULT '{}',
    fallback_label text,
    fallback_phone text,
    UNIQUE (territory_id, slug),
    UNIQUE (territory_id, menu_digit)
);

CREATE TABLE practitioner (
    rpps            text PRIMARY KEY CHECK (rpps ~ '^[0-9]{11}$'),
    last_name       text NOT NULL,
    first_name      text NOT NULL DEFAULT '',
    profession_code text NOT NULL DEFAULT '10',
    savoir_faire    text[] NOT NULL DEFAULT '{}',
    -- Phones published in the directory (practice lines); mobiles for the
    -- on-call chain live on the enrolment.
    phones          text[] NOT NULL DEFAULT '{}',
    communes        text[] NOT NULL DEFAULT '{}',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrolment (
    id                  bigserial PRIMARY KEY,
    territory_id        bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    rpps                text NOT NULL REFERENCES practitioner(rpps),
    role                text NOT NULL CHECK (role IN ('requerant', 'requis')),
    specialty_id        bigint REFERENCES specialty(id),
    phones              text[] NOT NULL DEFAULT '{}',
    pin_hash            text,
    failed_pin_attempts integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'requis') = (specialty_id IS NOT NULL))
);
CREATE UNIQUE INDEX enrolment_unique ON enrolment (territory_id, rpps, role, specialty_id) NULLS NOT DISTINCT;
CREATE INDEX enrolment_rpps ON enrolment (rpps);

CREATE TABLE shift (
    id           bigserial PRIMARY KEY,
    territory_id bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    specialty_id bigint NOT NULL REFERENCES specialty(id),
    rpps         text NOT NULL REFERENCES practitioner(rpps),
    during       tstzrange NOT NULL CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)),
    rank         smallint NOT NULL DEFAULT 1 CHECK (rank BETWEEN 1 AND 9),
    created_at   timestamptz NOT NULL DEFAULT now(),
    EXCLUDE USING gist (specialty_id WITH =, rank WITH =, during WITH &&)
);
CREATE INDEX shift_lookup ON shift USING gist (specialty_id, during);
CREATE INDEX shift_rpps ON shift (rpps);

-- A swap or sick leave: replaces whoever holds the rank for the span.
CREATE TABLE override (
    id           bigserial PRIMARY KEY,
    territory_id bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    specialty_id bigint NOT NULL REFERENCES specialty(id),
    rpps         text NOT NULL REFERENCES practitioner(rpps),
    during       tstzrange NOT NULL CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)),
    rank         smallint NOT NULL DEFAULT 1 CHECK (rank BETWEEN 1 AND 9),
    reason       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    EXCLUDE USING gist (specialty_id WITH =, rank WITH =, during WITH &&)
);
CREATE INDEX override_lookup ON override USING gist (specialty_id, during);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    territory_id bigint REFERENCES territory(id) ON DELETE SET NULL,
    action       text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_territory_at ON audit_log (territory_id, at DESC);
