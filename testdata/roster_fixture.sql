-- The sample territory "CPTS des Coteaux" written straight into the tables,
-- for tests of the planning that must not depend on the set-up commands.
-- `regul territory apply testdata/territory.yaml` and the enrolment import
-- produce the same rows.
INSERT INTO territory (slug, name, timezone, opening_hours, holidays_open, identification_policy,
                       ring_timeout_s, hunt_timeout_s, coordinator_phone, coordinator_email,
                       departements, communes)
VALUES ('cpts-coteaux', 'CPTS des Coteaux', 'Europe/Paris',
        '{"mon":[["08:00","20:00"]],"tue":[["08:00","20:00"]],"wed":[["08:00","20:00"]],
          "thu":[["08:00","20:00"]],"fri":[["08:00","20:00"]],"sat":[["08:00","12:00"]]}',
        false, 'rpps+pin', 25, 120, '+33179000099', 'coordination@cpts-coteaux.example',
        '{37}', '{37261,37018,37122}');

INSERT INTO regulation_number (e164, territory_id)
SELECT n, id FROM territory, unnest(ARRAY['+33179000001', '+33179000002']) n WHERE slug = 'cpts-coteaux';

INSERT INTO specialty (territory_id, slug, label, menu_digit, savoir_faire, fallback_label, fallback_phone)
SELECT t.id, s.slug, s.label, s.digit, s.sf, s.fl, s.fp
FROM territory t, (VALUES
    ('cardiologie', 'cardiologie', 1, '{SM04,SM73}'::text[],
     'ligne de cardiologie du centre hospitalier', '+33247000001'),
    ('dermatologie', 'dermatologie', 2, '{SM15}'::text[], NULL, NULL),
    ('pediatrie', 'pédiatrie', 3, '{SM40}'::text[], NULL, NULL)
) AS s(slug, label, digit, sf, fl, fp)
WHERE t.slug = 'cpts-coteaux';

INSERT INTO practitioner (rpps, last_name, first_name, savoir_faire, phones) VALUES
    ('10002000015', 'MARTIN', 'Claire', '{SM04}', '{+33247100015}'),
    ('10002000023', 'BERNARD', 'Hugo', '{SM04}', '{}'),
    ('10002000031', 'PETIT', 'Anne', '{SM04}', '{}'),
    ('10002000049', 'DURAND', 'Louis', '{SM15}', '{}'),
    ('10002000056', 'LEROY', 'Sophie', '{SM15}', '{}'),
    ('10002000064', 'MOREAU', 'Paul', '{SM40}', '{}'),
    ('10003000014', 'DUBOIS', 'Marie', '{SM54}', '{}'),
    ('10003000022', 'LAMBERT', 'Jean', '{SM54}', '{}'),
    ('10003000030', 'ROUSSEAU', 'Luc', '{SM54}', '{}'),
    ('10003000048', 'GIRARD', 'Emma', '{SM54}', '{}'),
    ('10001045367', 'FOURNIER', 'Nicolas', '{SM54}', '{}');

INSERT INTO enrolment (territory_id, rpps, role, specialty_id, phones)
SELECT t.id, e.rpps, 'requis', s.id, e.phones
FROM territory t
JOIN (VALUES
    ('10002000015', 'cardiologie', '{+33612000015}'::text[]),
    ('10002000023', 'cardiologie', '{+33612000023}'::text[]),
    ('10002000031', 'cardiologie', '{+33612000031}'::text[]),
    ('10002000049', 'dermatologie', '{+33612000049}'::text[]),
    ('10002000056', 'dermatologie', '{+33612000056}'::text[]),
    ('10002000064', 'pediatrie', '{+33612000064}'::text[])
) AS e(rpps, specialty, phones) ON true
JOIN specialty s ON s.territory_id = t.id AND s.slug = e.specialty
WHERE t.slug = 'cpts-coteaux';

INSERT INTO enrolment (territory_id, rpps, role, phones)
SELECT t.id, e.rpps, 'requerant', e.phones
FROM territory t, (VALUES
    ('10003000014', '{+33611000014}'::text[]),
    ('10003000022', '{+33611000022}'::text[]),
    ('10003000030', '{+33611000030}'::text[]),
    ('10003000048', '{+33611000048}'::text[]),
    ('10001045367', '{}'::text[])
) AS e(rpps, phones)
WHERE t.slug = 'cpts-coteaux';
