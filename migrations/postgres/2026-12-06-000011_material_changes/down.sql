DROP INDEX subscriptions_awaiting_idx;
ALTER TABLE subscriptions DROP COLUMN reconfirm_by;
ALTER TABLE subscriptions DROP COLUMN material_change_id;
ALTER TABLE subscriptions DROP COLUMN reconfirmation;
DROP TABLE material_changes;
