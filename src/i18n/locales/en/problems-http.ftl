# Problems of the http layer.


## src/error.rs
problem-idempotency_key_mismatch = This Idempotency-Key was used with a different request.
problem-idempotency_in_progress = A request with this Idempotency-Key is still being processed.
problem-service_unavailable = The service is temporarily unable to answer. Try again shortly.
problem-not_found-no_such_resource = No such resource.
problem-database_unavailable-retry = The database cannot be reached right now. Nothing was changed, unless a retry with the same Idempotency-Key answers otherwise; try again shortly.
problem-database_busy = The database is too busy to answer in time. Nothing was changed; try again shortly.
problem-storage_full = The database has no space left to write. Nothing was changed; try again later.
problem-database_read_only = The database takes no writes right now. Nothing was changed; try again later.
problem-overloaded-connections = The server has more requests than database connections right now. Try again shortly.

## src/api/problems.rs
problem-not_found-path_segment = No such resource ({ $error }).
problem-invalid_query-query_string = Invalid query string: { $error }
problem-unsupported_media_type-json = Send the body as application/json.
problem-payload_too_large-json = The body is larger than { $limit } bytes.
problem-invalid_body-shape = The body does not match the expected shape: { $error }
problem-malformed_json = The body is not valid JSON: { $error }
problem-bad_request-unreadable = Cannot read the body: { $error }
problem-route_not_found-path = No route matches { $path }.
problem-invalid_characters = The path or query contains control characters.
problem-invalid_field-identifier = { $field } must be 1 to 100 printable characters

## src/api/auth.rs
problem-rate_limited-attempts = Too many attempts of this kind. Try again after Retry-After seconds.
problem-email_taken = an account with this email already exists
problem-invalid_credentials = email or password is wrong
problem-account_locked = Too many failed sign-ins: sign-in from here is paused. Try again after Retry-After seconds.
problem-account_disabled = This account has been disabled. Contact support.
problem-invalid_token-used_or_expired = the token is invalid, used or expired
problem-invalid_current_password = The current password is wrong. Wrong guesses count as failed sign-ins.
problem-refresh_token_reused = the refresh token was already used; every session of that login is revoked
problem-invalid_field-register_role = role must be 'investor' or 'sponsor'
problem-invalid_field-sign_in_password_long = password is too long

## src/api/body_deadline.rs
problem-body_timeout = The request body did not arrive within { $ms } ms.

## src/api/health.rs
problem-database_unavailable-not_ready = The database does not answer.

## src/api/extractors.rs
problem-unauthorized = Sign in and send the access token as 'Authorization: Bearer <token>'.
problem-token_expired = The access token has expired.
problem-invalid_token-access_token = The access token is not valid.
problem-session_revoked = This session has ended (signed out, password changed or account disabled). Sign in again.
problem-forbidden-only_investors = Only investors may do this.
problem-forbidden-only_sponsors = Only sponsors may do this.
problem-forbidden-only_operators = Only operators may do this.

## src/api/documents.rs
problem-file_too_large = A document may be at most { $limit } bytes.
problem-bad_request-upload_unreadable = The body could not be read: { $error }
problem-storage_unavailable = The document store cannot be reached; nothing was kept. Try again.
problem-invalid_field-link_version = must be a version number
problem-not_found-version_number = No such version.
problem-invalid_link-partial = A signed link carries expires, key and signature together.

## src/api/language.rs
problem-invalid_field-locale = { $field } must be en or zh-CN
problem-invalid_field-time_zone = { $field } must be an IANA time zone such as Asia/Shanghai or UTC

## src/api/streams.rs
problem-too_many_streams = This server follows as many live streams as it may. Try again shortly, or read the figures with GET /offerings/{"{"}id{"}"}.
problem-invalid_last_event_id = Last-Event-ID must be the id of an event this stream sent (a non-negative integer).

## src/api/query.rs, src/api/pagination.rs
problem-invalid_query-too_long = { $name } must be at most { $max_chars } characters
problem-invalid_query-limit = limit must be between 1 and { $max }

## src/api/statements.rs
problem-unsupported_media_type-csv = Send the statement as text/csv.
problem-payload_too_large-statement = A statement may be at most { $limit } bytes.

## src/api/idempotency.rs
problem-idempotency_key_required = Send an Idempotency-Key header (e.g. a UUID) with this request.
problem-invalid_idempotency_key = The Idempotency-Key must be 1 to 255 visible ASCII characters.

## src/api/webhooks.rs
problem-webhook_not_configured = BANK_WEBHOOK_SECRET is not set on this server.
problem-invalid_signature = The X-Bank-Signature does not match the body.
problem-invalid_body-bank_notification = Not a bank notification: { $error }
problem-invalid_field-returned_without_original = a deposit_returned notification names the transfer it returns
problem-invalid_field-original_not_returned = only a deposit_returned notification has original_bank_txn_id
problem-invalid_field-bank_kind = kind must be deposit, withdrawal, withdrawal_returned or deposit_returned
problem-invalid_field-bank_amount = amount must be a positive number of minor units

## src/api/unreconciled.rs, src/api/unallocated.rs
problem-invalid_query-unreconciled_status = status must be open, assigned or written_off
problem-invalid_field-match_exactly_one = name exactly one of withdrawal_id (for a payout), deposit_id or unallocated_deposit_id (for a returned deposit)
problem-invalid_field-match_one_of = name withdrawal_id, deposit_id or unallocated_deposit_id
problem-invalid_field-write_off_reason = reason must say why the movement is written off
problem-invalid_field-write_off_reason_long = reason must be at most 500 printable characters
problem-invalid_query-unallocated_status = status must be open, credited or returned
problem-invalid_field-note_long = note must be at most 500 printable characters

## src/api/profiles.rs
problem-invalid_query-kyc_status = status must be pending, approved or rejected
problem-invalid_field-kyc_decision = decision must be approved or rejected
problem-invalid_field-kyc_reason = a rejection needs a reason
problem-invalid_field-kyc_submitted_at = submitted_at is required: the submitted_at of the profile as you reviewed it (GET /api/v1/operator/kyc)

## src/api/offerings.rs
problem-invalid_query-offering_status = unknown status { $status }
problem-invalid_query-offering_sort = sort must be closes_at, raised or created_at, with '-' for descending

## src/api/me.rs, src/api/users.rs
problem-invalid_token-account_gone = The account no longer exists.
problem-invalid_field-current_password_long = current_password is too long
problem-not_found-user_id = No user has this id.
problem-own_account = Operators cannot disable their own account.

## src/api/material_changes.rs, src/api/wallet.rs, src/api/ledger.rs
problem-forbidden-material_change_declarer = Material changes are declared by the offering's sponsor or an operator.
problem-forbidden-operator_wallet = Operators have no virtual account.
problem-no_seal_yet = The ledger has no seal yet: nothing has been posted and sealed.

## src/api/updates.rs
problem-invalid_field-update_body_format = must be text or markdown
problem-invalid_field-update_audience = must be public or investors
