-- The sealer's work queue: every journal entry is queued here as it is
-- inserted (by trigger, so no code path can forget it) and removed when it
-- is sealed. The sealer reads this small table instead of anti-joining the
-- whole journal, so its cost stays flat as the journal grows.
CREATE TABLE unsealed_entries (
    entry_id  TEXT PRIMARY KEY REFERENCES journal_entries (id)
);

INSERT INTO unsealed_entries (entry_id)
SELECT j.id FROM journal_entries j
LEFT JOIN entry_seals s ON s.entry_id = j.id
WHERE s.entry_id IS NULL;

-- One statement per INSERT into the journal, however many rows it adds.
CREATE FUNCTION queue_for_sealing() RETURNS trigger AS $$
BEGIN
    INSERT INTO unsealed_entries (entry_id) SELECT id FROM inserted;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_entries_queue_for_sealing AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION queue_for_sealing();
