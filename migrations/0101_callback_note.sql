-- Closing a callback request may say how it was settled (« rappelé à
-- 11 h, vu en consultation »); a close can be undone for a few minutes (a
-- wrong row, a slip of the thumb on a phone), which puts these back to NULL.
-- The note is the coordinator's own words about professionals, never a
-- patient's identity: the form says so.
ALTER TABLE callback_request
    ADD COLUMN done_note text,
    ADD CONSTRAINT callback_request_note_when_done CHECK (done_note IS NULL OR done_at IS NOT NULL);
-- The Rappels page lists the requests closed lately, newest first.
CREATE INDEX callback_request_done ON callback_request (territory_id, done_at DESC) WHERE done_at IS NOT NULL;
