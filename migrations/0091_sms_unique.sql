-- The uncertain-send check (a try that timed out, a worker that died) asks
-- Twilio for a message to the row's recipient with the row's body, created
-- since the row's first try. Two rows with one body to one number made it
-- take another row's message for its own (identical callback texts, since
-- every call within hours shared its « Réf. »): messages never delivered,
-- shown as sent. Now a body is unique per recipient, and a Twilio message
-- belongs to one row at most.

-- SHA-256 of the body as queued (the body of a settled link loses its token
-- later; the hash stays). NULL for rows queued before this migration.
ALTER TABLE sms_outbox ADD COLUMN body_sha256 bytea CHECK (length(body_sha256) = 32);
CREATE UNIQUE INDEX sms_outbox_recipient_body ON sms_outbox (recipient, body_sha256)
    WHERE body_sha256 IS NOT NULL;

-- Rows that took another row's SID (the defect) were never shown to be
-- sent: they go to the coordinators' « incertain » list; the earliest row
-- keeps the SID.
UPDATE sms_outbox o
   SET status = 'unknown', twilio_sid = NULL, sent_at = NULL, handled_at = NULL, handled_by = NULL,
       error_message = 'marqué envoyé avec le message Twilio d''un autre SMS : à vérifier'
 WHERE o.twilio_sid IS NOT NULL
   AND EXISTS (SELECT 1 FROM sms_outbox e WHERE e.twilio_sid = o.twilio_sid AND e.id < o.id);

ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_twilio_sid UNIQUE (twilio_sid);
