# Lead investors of led rounds (src/services/leads.rs, src/api/leads.rs).

problem-offering_not_led = This offering is not a led round: it sets no minimum commitment for a lead investor.
problem-invalid_offering_state-lead = A lead investor can be appointed only while the offering is in review or open.
problem-lead_not_eligible-not_investor = The lead must be an investor's account.
problem-lead_not_eligible-disabled = This investor's account is disabled.
problem-lead_not_eligible-email = This investor has not verified their email address.
problem-lead_not_eligible-kyc = This investor's identity has not been verified (KYC approved).
problem-lead_already_committed = The lead investor in office has already committed to the round and cannot be replaced.
problem-invalid_field-carry_bps = carry_bps must be a whole number of basis points from 0 to 10,000.
problem-lead_required = The round's lead investor has not committed their minimum; a led round settles only with a committed lead.
problem-lead_required-no_lead = The round has no lead investor; a led round settles only with a committed lead.
problem-forbidden-lead_history = The appointments of a round's leads are shown to its sponsor and operators.
