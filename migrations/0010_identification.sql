-- Identification: failed PIN attempts counted per caller number (a caller
-- probing several RPPS numbers is locked too; the per-RPPS count lives on the
-- enrolment), and menu digits that a territory file may swap in one apply.

CREATE TABLE ident_failure (
    territory_id    bigint NOT NULL REFERENCES territory(id) ON DELETE CASCADE,
    caller_number   text NOT NULL,
    failures        integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (territory_id, caller_number)
);

-- Swapping two specialties' digits within one transaction must not trip the
-- uniqueness check half-way: check it at commit.
ALTER TABLE specialty DROP CONSTRAINT specialty_territory_id_menu_digit_key;
ALTER TABLE specialty ADD CONSTRAINT specialty_territory_id_menu_digit_key
    UNIQUE (territory_id, menu_digit) DEFERRABLE INITIALLY DEFERRED;

-- Requérants are looked up by caller number (callerid+pin).
CREATE INDEX enrolment_phones ON enrolment USING gin (phones);
