# Problems of the domain layer.

# A field's refusal is the whole sentence, naming the field.

## src/domain/text.rs
problem-invalid_field-text-control = { $field } must not contain control characters or direction overrides
problem-invalid_field-text-invisible = { $field } must not contain invisible characters such as zero-width spaces
problem-invalid_field-text-too_long = { $field } must be at most { $max } characters long
problem-invalid_field-text-required = { $field } is required (and must contain visible characters)

## src/domain/money.rs
problem-invalid_field-amount-positive = { $field } must be a positive whole number of minor units
problem-invalid_field-amount-too_large = { $field } must be at most { $max }
problem-invalid_field-non_negative = { $field } must be between 0 and { $max }
problem-invalid_field-shares-positive = shares must be a positive whole number
problem-invalid_field-shares-cost = shares × price is too large

## src/domain/email.rs
problem-invalid_field-email-required = email is required
problem-invalid_field-email-too_long = email is longer than 254 characters
problem-invalid_field-email-shape = email must look like name@example.com
problem-invalid_field-email-local = email has an invalid part before the @
problem-invalid_field-email-domain = email has an invalid domain

## src/domain/password.rs
problem-invalid_field-password-too_short = { $field } must be at least { $min } characters long
problem-invalid_field-password-too_long = { $field } must be at most { $max } characters long
problem-invalid_field-password-control = { $field } must not contain control characters
problem-password_breached = This password appears in lists of passwords leaked from other sites (or is one of them with a few digits or symbols added), which attackers try first. Choose another: a few unrelated words make a strong one.
problem-password_too_simple = This password is one short pattern repeated, or a run of consecutive characters or keys (such as 123456789012 or qwertyuiopas), which is guessed at once. Choose another: a few unrelated words make a strong one.
problem-password_personal = The password must not be your email address or your name.

## src/domain/kyc.rs
problem-invalid_field-country = country must be an ISO 3166-1 alpha-2 code such as US

## src/domain/offering.rs
problem-invalid_field-security_type = security_type must be one of { $types }
problem-invalid_field-offering-money = { $field } must be between 1 and { $max } minor units
problem-invalid_field-target_amount-whole_shares = target_amount must be a whole number of shares (a multiple of price_per_share)
problem-invalid_field-min_raise-above_target = min_raise must not exceed target_amount
problem-invalid_field-min_subscription-above_target = min_subscription must not exceed target_amount
problem-invalid_field-max_per_investor-below_min = max_per_investor must be at least min_subscription
problem-invalid_field-max_per_investor-one_share = max_per_investor must allow at least one share
problem-invalid_field-opens_at-past = opens_at must not be in the past
problem-invalid_field-closes_at-before_open = closes_at must be after opens_at
problem-invalid_field-closes_at-too_short = closes_at the offering must stay open at least { $seconds } seconds

## src/domain/document.rs
problem-invalid_document_kind = kind must be offering_memorandum, financial_statements, pitch_deck, subscription_agreement or other
problem-invalid_visibility = visibility must be public or investors
problem-invalid_file_name-empty = name must not be empty
problem-invalid_file_name-too_long = name must be at most 200 characters
problem-invalid_file_name-characters = name must be a file name: no control characters, slashes or quotes
problem-invalid_file_name-dot = name must not start with a dot
problem-empty_file = the file is empty
problem-malformed_file = the file starts as { $type } but does not end as one: it is cut short, or something is appended to it
problem-file_name_mismatch-one = the file is { $type }: its name must end in .{ $extension }
problem-file_name_mismatch-either = the file is { $type }: its name must end in .{ $first } or .{ $second }
problem-unsupported_file_type = a document must be a PDF, PNG or JPEG file (read from its bytes)
problem-active_content = the file contains HTML or script (it could run in a browser or a PDF reader); upload a plain PDF, PNG or JPEG

## src/domain/statement.rs (each names its line)
problem-invalid_statement-empty = line { $line }: { $column } is empty
problem-invalid_statement-too_long = line { $line }: { $column } must be at most 100 printable characters
problem-invalid_statement-header = line { $line }: unreadable header: { $error }
problem-invalid_statement-missing_column = line { $line }: missing column { $column }
problem-invalid_statement-malformed = line { $line }: malformed CSV: { $error }
problem-invalid_statement-too_many_lines = line { $line }: a statement may have at most { $max } lines
problem-invalid_statement-booked_at = line { $line }: booked_at { $value } is not a date (YYYY-MM-DD or RFC 3339)
problem-invalid_statement-amount_unreadable = line { $line }: amount { $value } is not a whole number of minor units
problem-invalid_statement-amount_range = line { $line }: amount must be between 1 and { $max }
problem-invalid_statement-direction = line { $line }: direction { $value } must be credit or debit
problem-invalid_statement-duplicate = line { $line }: bank_txn_id { $id } already appears on line { $first }

## src/services/error.rs
problem-insufficient_funds-ledger = The available balance does not cover the amount.
# not_found(what): one message per noun (spaces as _); a test lists them.
problem-not_found-deposit = No such deposit.
problem-not_found-document = No such document.
problem-not_found-investor = No such investor.
problem-not_found-investor_profile = No such investor profile.
problem-not_found-offering = No such offering.
problem-not_found-post = No such post.
problem-not_found-profile = No such profile.
problem-not_found-question = No such question.
problem-not_found-subscription = No such subscription.
problem-not_found-unallocated_deposit = No such unallocated deposit.
problem-not_found-unreconciled_movement = No such unreconciled movement.
problem-not_found-update = No such update.
problem-not_found-version = No such version.

## src/services/accounts.rs
problem-email_not_verified-account = Verify your email address first: open the link we mailed you, or ask for a new one with POST /api/v1/auth/verify-email/resend.

## src/services/profiles.rs
problem-invalid_field-decision = decision must be approved or rejected
problem-kyc_profile_changed = The profile is not the pending version you reviewed; reload it.
problem-kyc_not_pending = The profile is not the pending version you reviewed; reload it.

## src/services/wallet.rs
problem-forbidden-operator_account = Operators have no virtual account.
problem-insufficient_funds-withdrawal = Your available balance does not cover the amount.

## src/services/receivables.rs
problem-receivable_outstanding = The bank took back a deposit after the money had been spent, and you owe the difference. Deposit at least the amount owed; it is paid off first, and then withdrawals and subscriptions are open again.

## src/services/holdings.rs
problem-offering_not_settled = The cap table exists once the round is settled.
