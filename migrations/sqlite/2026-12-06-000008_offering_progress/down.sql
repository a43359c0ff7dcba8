DROP TRIGGER offerings_progress_changed;
DROP INDEX offerings_change_seq_idx;
ALTER TABLE offerings DROP COLUMN change_seq;
ALTER TABLE offerings DROP COLUMN version;
