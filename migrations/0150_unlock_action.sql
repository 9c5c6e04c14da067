-- One name for an unlock in the journal, whether a coordinator clicked
-- « Débloquer » or an operator ran `regul enrol unlock`: both now lift the
-- same locks through one roster method.
UPDATE audit_log SET action = 'enrolment.unlocked' WHERE action = 'identification.unlock';
