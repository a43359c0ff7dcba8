# Words every message shares: labels, counts, and the API's enum values as
# a reader says them.

email-footer = You receive this email because you have an account at crowdfund. Investments in private companies are risky: you may lose the money you invest.

shares = { $count ->
    [one] { $shares } share
   *[other] { $shares } shares
}
fee-with-rate = { $fee } ({ $percent }%)

label-date = Date
label-offering = Offering
label-security = Security
label-price-per-share = Price per share
label-shares = Shares
label-shares-allotted = Shares allotted to you
label-amount = Amount
label-amount-returned = Back in your account
label-reference = Reference
label-raised = Raised
label-platform-fee = Platform fee
label-payout = Your payout
label-document = Document
label-version = Version
label-deadline = Deadline

button-view-offering = View the offering
button-read-documents = Read the documents
button-read-online = Read it online
button-read-thread = Open the discussion

security-common_equity = common equity
security-preferred_equity = preferred equity
security-convertible_note = convertible note
security-safe = SAFE (simple agreement for future equity)
security-revenue_share = revenue share
security-debt = debt

status-draft = draft
status-in_review = in review
status-open = open
status-funded = funded
status-failed = failed
status-cancelled = cancelled
status-settled = settled
status-refunded = refunded

document-offering_memorandum = offering memorandum
document-financial_statements = financial statements
document-pitch_deck = pitch deck
document-subscription_agreement = subscription agreement
document-other = document

# Notices of 202 answers (the same whether or not an account uses the address).
notice-verification-resent = If an unverified account uses this address, a new link is on its way.
notice-password-reset-requested = If an account uses this address, a reset link is on its way.
