# Problems of the rule profiles and led rounds (src/pipeline/rules.rs,
# src/domain/offering.rs, src/domain/kyc.rs, src/services/subscriptions.rs,
# src/services/settlement.rs).

problem-lead_commitment_pending = This round is led by a lead investor, and followers can subscribe only once the lead's commitment is in. Try again when the offering shows its lead as committed.
problem-lead_commitment_pending-no_lead = This round is led by a lead investor, and none is committed at the moment. Followers can subscribe once a lead has committed.
problem-investor_limit_reached = This round already has its maximum of { $max_investors } investors. Only people who already invested in it can add to their subscription.
problem-not_qualified_investor = Only qualified investors may invest in this round: financial assets of at least ¥3,000,000 or an average income of at least ¥500,000 over three years (an institution: net assets of at least ¥10,000,000), declared in your investor profile and approved. Otherwise you must invest at least ¥{ $round_minimum } in the round.
problem-knowledge_test_required = Before your first investment, pass the investor knowledge test (GET /api/v1/me/knowledge-test).
problem-loss_simulation_required = Before your first investment, review and acknowledge the simulation of your ability to bear loss (GET /api/v1/me/loss-simulation).
problem-risk_warning_required = This investment takes what you hold in this offering above the higher of €1,000 or 5% of your net worth. Read the risk warning and subscribe again with "acknowledge_risk": true to confirm.
problem-cancellation_not_offered = Under this platform's rules only non-sophisticated investors may revoke a subscription, within four days of making it. This subscription cannot be taken back.
problem-reflection_period_over = The four-day reflection period of this subscription has ended; it can no longer be revoked.
problem-reflection_period_running = Investors may still revoke subscriptions in their four-day reflection period; the round can settle once the last one ends.
problem-offering_period_running = A round funded before its deadline can settle only once it has been open for the minimum offering period.
problem-invalid_field-investor_type = investor_type must be individual or institution.
problem-invalid_field-max_investors = max_investors must be a whole number from 1 to { $max }.
problem-invalid_field-max_investors-positive = max_investors must be a whole number of at least 1.
problem-invalid_field-lead_min_bps = lead_min_bps must be a whole number of basis points from 1 to 10000.
