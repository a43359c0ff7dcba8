-- Not reversible on SQLite: the rebuilt tables would have to be rebuilt
-- again without the rows the previous release cannot hold (returned
-- deposits and payouts, unallocated money). Restore the backup taken
-- before the upgrade instead. The statement below fails with that message.
SELECT * FROM "migration 2026-11-26-000005 cannot be reverted on SQLite: restore a backup";
