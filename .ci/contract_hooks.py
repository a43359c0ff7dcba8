"""A sharper companion to Schemathesis's `positive_data_acceptance` check.

Loaded by .ci/schemathesis.toml. That check, as configured there, lets a
request the schema admits be refused with 400 or 422, because this API
refuses some well-formed requests by rules no schema can state (a breached
password, too little money, a cursor the server did not make, a key used
for another request). This check takes back what that gives away: a
request the schema admits must never be refused as malformed.
"""

import json

import schemathesis

# The codes that mean "this request is not well formed": the ones a request
# that the schema admits must never get.
MALFORMED = {
    "bad_request",
    "malformed_json",
    "invalid_body",
    "invalid_query",
    "invalid_characters",
    "unsupported_media_type",
    "payload_too_large",
    "idempotency_key_required",
    "invalid_idempotency_key",
}


@schemathesis.check
def schema_valid_request_is_well_formed(ctx, response, case):
    """A request generated valid by the schema is not refused as malformed."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 413, 415, 422):
        return None
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None
    if code in MALFORMED:
        raise AssertionError(
            f"A request the schema admits was refused as malformed: {response.status_code} `{code}`"
        )
    return None
