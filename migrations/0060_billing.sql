-- Billing acts: the Assurance Maladie tariffs as data, versioned by date, so
-- a new nomenclature is a new row and past statements keep the amount that
-- was valid on the call's date. A call is never billed here: the statement
-- lists candidate acts for the practice software to bill.
--
-- valid_to is inclusive (the last day the amount applies); NULL means still
-- in force. Two versions of one act never overlap.

CREATE TABLE act_tariff (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL CHECK (code ~ '^[A-Z0-9]{2,8}$'),
    role         text NOT NULL CHECK (role IN ('requis', 'requerant')),
    amount_cents integer NOT NULL CHECK (amount_cents >= 0),
    label        text NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date CHECK (valid_to IS NULL OR valid_to >= valid_from),
    -- Why the amount is what it is (source, or what is still to check).
    note         text NOT NULL DEFAULT '',
    EXCLUDE USING gist (code WITH =, role WITH =,
                        daterange(valid_from, valid_to, '[]') WITH &&)
);

-- Seed values from the design, checked against the nomenclature at each
-- release. The first version of each act starts on 2000-01-01: "from the
-- start of the line's records", not a claim about the act's history. TC
-- carries 0 € until a coordinator enters the amount that applies to their
-- specialists (it depends on the secteur and the specialty): the act is
-- listed, its amount marked "à compléter".
INSERT INTO act_tariff (code, role, amount_cents, label, valid_from, valid_to, note) VALUES
    ('TE2', 'requis', 2000, 'Téléexpertise (médecin requis)', '2000-01-01', '2025-12-31', '20 € jusqu''au 31/12/2025'),
    ('TE2', 'requis', 2300, 'Téléexpertise (médecin requis)', '2026-01-01', NULL, '23 € à partir du 01/01/2026'),
    ('RQD', 'requerant', 1000, 'Demande de téléexpertise (médecin requérant)', '2000-01-01', NULL, '10 €'),
    ('TC', 'requis', 0, 'Téléconsultation vidéo (montant à compléter)', '2000-01-01', NULL,
        'à compléter : le montant dépend du secteur et de la spécialité ; l''appel téléphonique seul n''est pas une TC'),
    ('APC', 'requis', 6000, 'Avis ponctuel de consultant', '2000-01-01', NULL, '60 €, si ses conditions sont réunies'),
    ('SNP', 'requis', 1500, 'Majoration soins non programmés (vu sous 48 h via la régulation)', '2000-01-01', NULL,
        '15 €, au plus 20 par semaine et par spécialiste');
