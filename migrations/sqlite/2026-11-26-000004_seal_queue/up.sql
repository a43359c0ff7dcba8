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

CREATE TRIGGER journal_entries_queue_for_sealing AFTER INSERT ON journal_entries
BEGIN
    INSERT INTO unsealed_entries (entry_id) VALUES (NEW.id);
END;
