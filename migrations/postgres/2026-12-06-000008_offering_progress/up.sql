-- Live progress. Every committed change of an offering's raised amount or
-- status (and with them its investor count) gets two numbers: `version`,
-- counting the offering's own changes (the ids of its event stream), and
-- `change_seq`, from one sequence for all offerings (the ids of the
-- catalogue's stream). The change is announced on the channel
-- `offering_progress` with the payload '<id> <version> <change_seq>';
-- NOTIFY is delivered at commit, to every server listening, never for a
-- transaction that rolled back. Listeners read the state from the table:
-- the payload only says what to read.
ALTER TABLE offerings
    ADD COLUMN version BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE offering_change_seq;
-- No index on change_seq: the hot offering's row is updated by every batch,
-- and an update that changes no indexed column stays a heap-only (HOT)
-- update, with no new index entries. The few reads by change_seq (a server
-- catching up after its listening connection was lost, a catalogue client
-- coming back) scan a table of offerings, not of subscriptions.

CREATE FUNCTION offering_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.change_seq := nextval('offering_change_seq');
    PERFORM pg_notify('offering_progress',
        NEW.id || ' ' || NEW.version || ' ' || NEW.change_seq);
    RETURN NEW;
END
$$;

CREATE TRIGGER offerings_progress_changed
    BEFORE UPDATE OF raised, status ON offerings
    FOR EACH ROW
    WHEN (OLD.raised IS DISTINCT FROM NEW.raised OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION offering_progress_changed();
