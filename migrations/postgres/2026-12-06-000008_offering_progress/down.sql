DROP TRIGGER offerings_progress_changed ON offerings;
DROP FUNCTION offering_progress_changed();
DROP SEQUENCE offering_change_seq;
ALTER TABLE offerings DROP COLUMN change_seq, DROP COLUMN version;
