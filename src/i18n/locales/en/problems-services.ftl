# Problems of the services layer.

## Money flows: subscriptions, offerings, settlement, the bank, documents,
## material changes, questions and updates (src/pipeline, src/services).

# pipeline/mod.rs
problem-overloaded-write_queue = Too many requests are waiting to be written. Try again shortly.

# pipeline/rules.rs (the subscribe refusals)
problem-offering_not_open-closed = The offering is not open for subscriptions.
problem-offering_not_open-not_yet = The offering has not opened yet.
problem-offering_not_open-deadline_passed = The offering's deadline has passed.
problem-exceeds_remaining = Only { $remaining_shares } shares remain in this offering.
problem-email_not_verified-subscribe = Verify your email address before subscribing.
problem-kyc_required = Your identity must be verified (KYC approved) before subscribing.
problem-below_minimum = The amount is below the offering's minimum subscription.
problem-above_investor_max = This would take you above the offering's maximum per investor.
problem-investment_limit_exceeded = This would exceed your 12-month investment limit.
problem-insufficient_funds-subscribe = Your available balance does not cover the amount.

# services/offerings.rs
problem-invalid_offering_state-edit = Only a draft can be edited.
problem-invalid_offering_state-submit = Only a draft can be submitted.
problem-invalid_offering_state-approve = Only an offering in review can be approved.
problem-invalid_offering_state-reject = Only an offering in review can be rejected.
problem-invalid_offering_state-cancel = Only a draft, in-review or open offering can be cancelled.
problem-invalid_offering_state-changed = The offering changed state meanwhile.
problem-offering_window_too_short = The terms no longer hold at approval time ({ $error }); reject it so the sponsor can fix them.
problem-invalid_cursor = The cursor is not valid for this list.

# services/settlement.rs
problem-invalid_offering_state-settle = Only a funded offering can be settled.
problem-invalid_offering_state-refund = Only a failed or cancelled offering can be refunded.

# services/subscriptions.rs
problem-subscription_not_active-cancel = Only an active subscription can be cancelled.
problem-subscription_not_active-changed = The subscription was changed meanwhile.
problem-cancellation_window_closed-not_open = The offering is no longer open; subscriptions can no longer be cancelled.
problem-cancellation_window_closed-cutoff = Cancellations close before the offering's deadline.
problem-cancellation_window_closed-closed = The offering closed meanwhile.

# services/bank.rs
problem-deposit_already_confirmed = The deposit was confirmed meanwhile.
problem-withdrawal_already_paid = The withdrawal was paid meanwhile.
problem-withdrawal_already_returned = The withdrawal was returned meanwhile.
problem-deposit_already_returned = The deposit was returned meanwhile.
problem-unallocated_already_resolved = The unallocated deposit was resolved meanwhile.
problem-unallocated_already_returned = The unallocated deposit was returned meanwhile.

# services/unreconciled.rs
problem-invalid_field-target-withdrawal_id = withdrawal_id must name a withdrawal.
problem-invalid_field-target-deposit_id = deposit_id must name a deposit.
problem-invalid_field-target-unallocated_deposit_id = unallocated_deposit_id must name an unallocated deposit.
problem-invalid_field-target-returned_deposit = A returned deposit is assigned to a deposit (deposit_id).
problem-invalid_field-target-payout = A payout is assigned to a withdrawal (withdrawal_id).
problem-withdrawal_not_pending = Only a pending withdrawal can be paid by a bank movement.
problem-deposit_not_confirmed = Only a credited deposit can be returned by a bank movement.
problem-unallocated_not_open = Only money still in suspense can be matched to its return.
problem-amount_mismatch = The bank returned another amount than this transfer brought in.
problem-already_resolved-bank_movement = This bank movement has been resolved already.

# services/unallocated.rs
problem-invalid_field-credit-investor_id = investor_id must name an investor.
problem-email_not_verified-credit = The investor has not verified their email address: money is credited only to verified accounts.
problem-bank_txn_id_in_use = A transfer with this bank transaction id is on the books already.
problem-already_resolved-transfer = This transfer has been resolved already.

# services/documents.rs
problem-document_frozen = The offering's documents are frozen: they change before review (draft) and, as amendments, while the round is open or funded.
problem-signed_link_required = This document is for verified investors: ask for a signed link (POST .../links) and open that.
problem-link_expired = This link has expired: ask for a new one.
problem-invalid_link-document = This link is not valid for this document.
problem-verification_required = Restricted documents are for investors whose identity is verified (KYC approved).
problem-forbidden-sponsor_documents = Sponsors read restricted documents of their own offerings only.

# services/material_changes.rs
problem-offering_not_open-material_change = A material change is declared while the round is open or funded.
problem-not_an_amendment = Only a version published after the offering was approved (an amendment) can be a material change.
problem-already_declared = This version was already declared a material change.
problem-not_awaiting_reconfirmation = This subscription does not await reconfirmation.
problem-reconfirmation_closed = The deadline to reconfirm has passed: the subscription is being cancelled and its money returned.
problem-reconfirmations_pending = Subscriptions of this round await reconfirmation of a material change: it settles once each is reconfirmed, cancelled or lapsed.

# services/questions.rs
problem-rate_limited-posts = Too many posts from this account. Try again after Retry-After seconds.
problem-post_hidden = This question was hidden by an operator: it takes no replies.
problem-already_hidden = This post is already hidden.
problem-not_hidden = This post is not hidden.

# services/updates.rs
problem-offering_not_public = Updates are posted once the offering is approved.
problem-invalid_field-publish_at-schedule = publish_at must be within { $days } days
