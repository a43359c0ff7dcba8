-- Lead withdrawals have no document an older release could show: they go.
UPDATE subscriptions SET material_change_id = NULL
 WHERE material_change_id IN (SELECT id FROM material_changes WHERE kind <> 'amendment');
DELETE FROM material_changes WHERE kind <> 'amendment';
ALTER TABLE material_changes
    DROP CONSTRAINT material_changes_document_check,
    DROP COLUMN kind,
    ALTER COLUMN document_id SET NOT NULL,
    ALTER COLUMN version SET NOT NULL;

DROP TABLE offering_leads;

DROP INDEX subscriptions_revocable_idx;
DROP INDEX subscriptions_offering_idx;
CREATE INDEX subscriptions_offering_idx ON subscriptions (offering_id, status);
ALTER TABLE subscriptions DROP COLUMN risk_acknowledged, DROP COLUMN revocable_until;

ALTER TABLE offerings
    DROP CONSTRAINT offerings_lead_check,
    DROP CONSTRAINT offerings_investor_cap_check,
    DROP COLUMN lead_revision,
    DROP COLUMN lead_investor_id,
    DROP COLUMN lead_min_bps,
    DROP COLUMN investor_count,
    DROP COLUMN max_investors,
    DROP COLUMN rule_profile;

ALTER TABLE investor_profiles
    DROP COLUMN loss_capacity,
    DROP COLUMN loss_simulation_at,
    DROP COLUMN knowledge_test_score,
    DROP COLUMN knowledge_test_passed_at,
    DROP COLUMN approved_sophisticated,
    DROP COLUMN approved_average_income_3y,
    DROP COLUMN approved_financial_assets,
    DROP COLUMN approved_investor_type,
    DROP COLUMN sophisticated,
    DROP COLUMN average_income_3y,
    DROP COLUMN financial_assets,
    DROP COLUMN investor_type;
