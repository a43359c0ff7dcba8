-- Rule profiles (RULE_PROFILE: reg_cf, cn_private, eu_ecsp) and rounds led
-- by a lead investor. The same as PostgreSQL's migration; see it for what
-- each column means. Constraints are column constraints here, so that
-- reverting can drop the columns (SQLite refuses to drop a column another
-- column's CHECK names: `investor_count` is dropped before `max_investors`).
ALTER TABLE investor_profiles ADD COLUMN investor_type TEXT NOT NULL DEFAULT 'individual'
    CHECK (investor_type IN ('individual', 'institution'));
ALTER TABLE investor_profiles ADD COLUMN financial_assets BIGINT NOT NULL DEFAULT 0
    CHECK (financial_assets >= 0);
ALTER TABLE investor_profiles ADD COLUMN average_income_3y BIGINT NOT NULL DEFAULT 0
    CHECK (average_income_3y >= 0);
ALTER TABLE investor_profiles ADD COLUMN sophisticated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE investor_profiles ADD COLUMN approved_investor_type TEXT
    CHECK (approved_investor_type IN ('individual', 'institution'));
ALTER TABLE investor_profiles ADD COLUMN approved_financial_assets BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_average_income_3y BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_sophisticated BOOLEAN;
ALTER TABLE investor_profiles ADD COLUMN knowledge_test_passed_at TIMESTAMP;
ALTER TABLE investor_profiles ADD COLUMN knowledge_test_score INTEGER;
ALTER TABLE investor_profiles ADD COLUMN loss_simulation_at TIMESTAMP;
ALTER TABLE investor_profiles ADD COLUMN loss_capacity BIGINT;
UPDATE investor_profiles
   SET approved_investor_type = investor_type,
       approved_financial_assets = financial_assets,
       approved_average_income_3y = average_income_3y,
       approved_sophisticated = sophisticated
 WHERE approved_accredited IS NOT NULL;

ALTER TABLE offerings ADD COLUMN rule_profile TEXT NOT NULL DEFAULT 'reg_cf'
    CHECK (rule_profile IN ('reg_cf', 'cn_private', 'eu_ecsp'));
ALTER TABLE offerings ADD COLUMN max_investors BIGINT CHECK (max_investors > 0);
ALTER TABLE offerings ADD COLUMN investor_count BIGINT NOT NULL DEFAULT 0
    CHECK (investor_count >= 0 AND (max_investors IS NULL OR investor_count <= max_investors));
ALTER TABLE offerings ADD COLUMN lead_min_bps INTEGER CHECK (lead_min_bps BETWEEN 1 AND 10000);
-- (No REFERENCES: SQLite cannot drop a column that has one. PostgreSQL
-- enforces it.)
ALTER TABLE offerings ADD COLUMN lead_investor_id TEXT;
ALTER TABLE offerings ADD COLUMN lead_revision BIGINT NOT NULL DEFAULT 0;
CREATE TABLE offering_leads (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    investor_id TEXT NOT NULL REFERENCES users (id),
    carry_bps INTEGER NOT NULL CHECK (carry_bps BETWEEN 0 AND 10000),
    terms TEXT NOT NULL,
    appointed_by TEXT NOT NULL REFERENCES users (id),
    appointed_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    end_reason TEXT CHECK (end_reason IN ('withdrew', 'replaced')),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX offering_leads_in_office_idx ON offering_leads (offering_id) WHERE ended_at IS NULL;
CREATE INDEX offering_leads_offering_idx ON offering_leads (offering_id, appointed_at);

UPDATE offerings SET investor_count = (
    SELECT COUNT(DISTINCT s.investor_id) FROM subscriptions s
     WHERE s.offering_id = offerings.id AND s.status IN ('active', 'settled'));

ALTER TABLE subscriptions ADD COLUMN revocable_until TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN risk_acknowledged BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether an investor already holds a subscription in an offering (the
-- investor count of every batch asks it): one probe of this index per
-- (offering, status, investor), which also serves what the old one did.
DROP INDEX subscriptions_offering_idx;
CREATE INDEX subscriptions_offering_idx ON subscriptions (offering_id, status, investor_id);
CREATE INDEX subscriptions_revocable_idx ON subscriptions (offering_id, revocable_until)
    WHERE status = 'active' AND revocable_until IS NOT NULL;

-- A material change is an amendment declared material, or a lead who
-- withdrew (no document): the table is rebuilt to let the document go.
CREATE TABLE material_changes_new (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    kind TEXT NOT NULL DEFAULT 'amendment' CHECK (kind IN ('amendment', 'lead_withdrawn')),
    document_id TEXT,
    version INTEGER,
    reason TEXT NOT NULL,
    declared_by TEXT NOT NULL REFERENCES users (id),
    declared_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    remind_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version),
    UNIQUE (document_id, version),
    CHECK (deadline > declared_at),
    CHECK ((kind = 'amendment') = (document_id IS NOT NULL AND version IS NOT NULL))
);
INSERT INTO material_changes_new (id, offering_id, kind, document_id, version, reason, declared_by,
                                  declared_at, deadline, remind_at, reminded_at)
    SELECT id, offering_id, 'amendment', document_id, version, reason, declared_by,
           declared_at, deadline, remind_at, reminded_at
    FROM material_changes;
DROP TABLE material_changes;
ALTER TABLE material_changes_new RENAME TO material_changes;
CREATE INDEX material_changes_offering_idx ON material_changes (offering_id, id);
CREATE INDEX material_changes_reminder_idx ON material_changes (remind_at) WHERE reminded_at IS NULL;
