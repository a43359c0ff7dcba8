DROP TRIGGER journal_entries_queue_for_sealing ON journal_entries;
DROP FUNCTION queue_for_sealing();
DROP TABLE unsealed_entries;
