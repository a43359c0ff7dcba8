-- Lead withdrawals have no document an older release could show: they go.
UPDATE subscriptions SET material_change_id = NULL
 WHERE material_change_id IN (SELECT id FROM material_changes WHERE kind <> 'amendment');
CREATE TABLE material_changes_old (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    document_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    reason TEXT NOT NULL,
    declared_by TEXT NOT NULL REFERENCES users (id),
    declared_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    remind_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version),
    UNIQUE (document_id, version),
    CHECK (deadline > declared_at)
);
INSERT INTO material_changes_old (id, offering_id, document_id, version, reason, declared_by,
                                  declared_at, deadline, remind_at, reminded_at)
    SELECT id, offering_id, document_id, version, reason, declared_by,
           declared_at, deadline, remind_at, reminded_at
    FROM material_changes WHERE kind = 'amendment';
DROP TABLE material_changes;
ALTER TABLE material_changes_old RENAME TO material_changes;
CREATE INDEX material_changes_offering_idx ON material_changes (offering_id, id);
CREATE INDEX material_changes_reminder_idx ON material_changes (remind_at) WHERE reminded_at IS NULL;

DROP TABLE offering_leads;

DROP INDEX subscriptions_revocable_idx;
DROP INDEX subscriptions_offering_idx;
CREATE INDEX subscriptions_offering_idx ON subscriptions (offering_id, status);
ALTER TABLE subscriptions DROP COLUMN risk_acknowledged;
ALTER TABLE subscriptions DROP COLUMN revocable_until;

ALTER TABLE offerings DROP COLUMN lead_revision;
ALTER TABLE offerings DROP COLUMN lead_investor_id;
ALTER TABLE offerings DROP COLUMN lead_min_bps;
ALTER TABLE offerings DROP COLUMN investor_count;
ALTER TABLE offerings DROP COLUMN max_investors;
ALTER TABLE offerings DROP COLUMN rule_profile;

ALTER TABLE investor_profiles DROP COLUMN loss_capacity;
ALTER TABLE investor_profiles DROP COLUMN loss_simulation_at;
ALTER TABLE investor_profiles DROP COLUMN knowledge_test_score;
ALTER TABLE investor_profiles DROP COLUMN knowledge_test_passed_at;
ALTER TABLE investor_profiles DROP COLUMN approved_sophisticated;
ALTER TABLE investor_profiles DROP COLUMN approved_average_income_3y;
ALTER TABLE investor_profiles DROP COLUMN approved_financial_assets;
ALTER TABLE investor_profiles DROP COLUMN approved_investor_type;
ALTER TABLE investor_profiles DROP COLUMN sophisticated;
ALTER TABLE investor_profiles DROP COLUMN average_income_3y;
ALTER TABLE investor_profiles DROP COLUMN financial_assets;
ALTER TABLE investor_profiles DROP COLUMN investor_type;
