-- Live progress. Every committed change of an offering's raised amount or
-- status (and with them its investor count) gets two numbers: `version`,
-- counting the offering's own changes (the ids of its event stream), and
-- `change_seq`, one counter for all offerings (the ids of the catalogue's
-- stream). SQLite has one writer at a time, so the counter grows in commit
-- order and a server finds every change by reading past the last it saw.
ALTER TABLE offerings ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE offerings ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX offerings_change_seq_idx ON offerings (change_seq);

-- The inner UPDATE sets neither raised nor status, so it does not fire this
-- trigger again.
CREATE TRIGGER offerings_progress_changed
    AFTER UPDATE OF raised, status ON offerings
    FOR EACH ROW
    WHEN OLD.raised IS NOT NEW.raised OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE offerings
    SET version = OLD.version + 1,
        change_seq = (SELECT MAX(change_seq) FROM offerings) + 1
    WHERE id = NEW.id;
END;
