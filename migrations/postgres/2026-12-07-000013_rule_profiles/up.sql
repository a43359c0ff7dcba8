-- Rule profiles (RULE_PROFILE: reg_cf, cn_private, eu_ecsp) and rounds led
-- by a lead investor.
--
-- What an investor declares beyond the Reg CF figures: whether they invest
-- as a person or an institution, their financial assets and their average
-- income over the last three years (China's qualified-investor tests), and
-- whether they are a sophisticated investor (EU ECSP). As with the Reg CF
-- figures, the approved copy is what is in force; a change goes back to
-- review. Profiles approved before this migration keep being in force: their
-- approved copy is what they declared (the defaults).
ALTER TABLE investor_profiles
    ADD COLUMN investor_type TEXT NOT NULL DEFAULT 'individual'
        CHECK (investor_type IN ('individual', 'institution')),
    ADD COLUMN financial_assets BIGINT NOT NULL DEFAULT 0 CHECK (financial_assets >= 0),
    ADD COLUMN average_income_3y BIGINT NOT NULL DEFAULT 0 CHECK (average_income_3y >= 0),
    ADD COLUMN sophisticated BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN approved_investor_type TEXT
        CHECK (approved_investor_type IN ('individual', 'institution')),
    ADD COLUMN approved_financial_assets BIGINT,
    ADD COLUMN approved_average_income_3y BIGINT,
    ADD COLUMN approved_sophisticated BOOLEAN,
    -- EU ECSP, for non-sophisticated investors: the entry knowledge test
    -- (when last passed, and the score of the last attempt) and the
    -- simulation of the ability to bear loss (when acknowledged, and the
    -- figure shown).
    ADD COLUMN knowledge_test_passed_at TIMESTAMP,
    ADD COLUMN knowledge_test_score INTEGER,
    ADD COLUMN loss_simulation_at TIMESTAMP,
    ADD COLUMN loss_capacity BIGINT;
UPDATE investor_profiles
   SET approved_investor_type = investor_type,
       approved_financial_assets = financial_assets,
       approved_average_income_3y = average_income_3y,
       approved_sophisticated = sophisticated
 WHERE approved_accredited IS NOT NULL;

-- Each offering keeps the profile it was created under. `investor_count`
-- is the number of distinct investors holding an active or settled
-- subscription, kept by every change of one; `max_investors` (200 under
-- cn_private) caps it, also in the database.
-- A led round (`lead_min_bps` set) needs its lead's commitment of at least
-- that share of the target before followers may subscribe. The lead is
-- appointed by an operator (`offering_leads`, below); `lead_investor_id`
-- is the lead in office. `lead_revision` moves with each appointment and
-- withdrawal, so that a batch of subscriptions that read the offering
-- before one sees it changed.
ALTER TABLE offerings
    ADD COLUMN rule_profile TEXT NOT NULL DEFAULT 'reg_cf'
        CHECK (rule_profile IN ('reg_cf', 'cn_private', 'eu_ecsp')),
    ADD COLUMN max_investors BIGINT CHECK (max_investors > 0),
    ADD COLUMN investor_count BIGINT NOT NULL DEFAULT 0 CHECK (investor_count >= 0),
    ADD COLUMN lead_min_bps INTEGER CHECK (lead_min_bps BETWEEN 1 AND 10000),
    ADD COLUMN lead_investor_id TEXT REFERENCES users (id),
    ADD COLUMN lead_revision BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT offerings_investor_cap_check
        CHECK (max_investors IS NULL OR investor_count <= max_investors),
    ADD CONSTRAINT offerings_lead_check
        CHECK (lead_investor_id IS NULL OR lead_min_bps IS NOT NULL);
-- Every appointment of a lead, with their carry (basis points of the
-- followers' profit, for later distributions) and terms; `ended_at` when
-- they withdrew (their commitment fell below the minimum) or were replaced
-- before committing. At most one in office per offering.
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

-- EU ECSP: a non-sophisticated investor may revoke a subscription without
-- reason until `revocable_until` (four calendar days after it was made);
-- `risk_acknowledged`: the investor acknowledged the warning of an
-- investment above the higher of EUR 1,000 or 5% of their net worth.
ALTER TABLE subscriptions
    ADD COLUMN revocable_until TIMESTAMP,
    ADD COLUMN risk_acknowledged BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether an investor already holds a subscription in an offering (the
-- investor count of every batch asks it): one probe of this index per
-- (offering, status, investor), which also serves what the old one did.
DROP INDEX subscriptions_offering_idx;
CREATE INDEX subscriptions_offering_idx ON subscriptions (offering_id, status, investor_id);
CREATE INDEX subscriptions_revocable_idx ON subscriptions (offering_id, revocable_until)
    WHERE status = 'active' AND revocable_until IS NOT NULL;

-- A material change is an amendment declared material, or a lead who
-- withdrew (no document).
ALTER TABLE material_changes
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'amendment'
        CHECK (kind IN ('amendment', 'lead_withdrawn')),
    ALTER COLUMN document_id DROP NOT NULL,
    ALTER COLUMN version DROP NOT NULL,
    ADD CONSTRAINT material_changes_document_check
        CHECK ((kind = 'amendment') = (document_id IS NOT NULL AND version IS NOT NULL));
