#!/usr/bin/env python3
"""Seeds a fresh crowdfund server for the contract check, through its API.

Makes what the three roles' runs need to reach past their first refusal: a
verified investor with approved KYC and money deposited (confirmed by the
bank's signed webhook), a verified sponsor with an open offering and a
draft, a subscription, money in suspense and an unreconciled payout for the
operator's lists. The operator exists already (`crowdfund create-operator`).

Prints shell assignments (INVESTOR_TOKEN=..., OFFERING_ID=...) for
`.ci/contract` to evaluate. Standard library only.
"""

import argparse
import email
import hashlib
import hmac
import json
import pathlib
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone


class Api:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def call(self, method, path, body=None, token=None, headers=None, expect=(200,)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        if status not in expect:
            sys.exit(f"seed: {method} {path} answered {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def keyed(self, path, body, token, expect=(200, 201)):
        return self.call("POST", path, body, token, {"Idempotency-Key": str(uuid.uuid4())}, expect)


def verification_token(mail_dir, to, timeout=20.0):
    """The token of the newest verification mail to `to` (the relay writes .eml files)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(pathlib.Path(mail_dir).glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes())
            if to not in str(msg.get("To", "")) or "Confirm your email" not in str(msg.get("Subject", "")):
                continue
            for part in msg.walk():
                payload = part.get_payload(decode=True)
                if payload:
                    found = re.search(r"verify-email\?token=([\w-]+)", payload.decode(errors="replace"))
                    if found:
                        return found.group(1)
        time.sleep(0.1)
    sys.exit(f"seed: no verification mail to {to} in {mail_dir}")


def webhook(api, secret, body):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        api.base_url + "/api/v1/webhooks/bank",
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json", "X-Bank-Signature": signature},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--mail-dir", required=True)
    parser.add_argument("--bank-secret", required=True)
    parser.add_argument("--operator-email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    api = Api(args.base_url)

    def signed_up(address, role, name):
        api.call("POST", "/api/v1/auth/register", {
            "email": address, "password": args.password, "display_name": name, "role": role,
        }, expect=(201,))
        token = verification_token(args.mail_dir, address)
        api.call("POST", "/api/v1/auth/verify-email", {"token": token})
        return signed_in(address)

    def signed_in(address):
        login = api.call("POST", "/api/v1/auth/login", {"email": address, "password": args.password})
        me = api.call("GET", "/api/v1/me", token=login["access_token"])
        return me["id"], login["access_token"]

    operator_id, operator = signed_in(args.operator_email)
    investor_id, investor = signed_up("investor@contract.example.com", "investor", "Ada Investor")
    sponsor_id, sponsor = signed_up("sponsor@contract.example.com", "sponsor", "Solar Sponsor")

    profile = api.call("PUT", "/api/v1/me/investor-profile", {
        "legal_name": "Ada Investor", "country": "US", "annual_income": 0, "net_worth": 0,
        "accredited": True, "external_investments_12m": 0,
    }, token=investor)
    api.call("POST", f"/api/v1/operator/investors/{investor_id}/kyc", {
        "decision": "approved", "submitted_at": profile["updated_at"],
    }, token=operator)

    deposit = api.keyed("/api/v1/me/deposits", {"amount": 1_000_000}, investor)
    credited = webhook(api, args.bank_secret, {
        "bank_txn_id": "SEED-DEP-1", "reference": deposit["reference"],
        "amount": 1_000_000, "kind": "deposit",
    })
    if credited["outcome"] != "credited":
        sys.exit(f"seed: the deposit was not credited: {credited}")
    # Money in that matches nothing, and money out that matches nothing: one
    # item in each of the operator's queues.
    webhook(api, args.bank_secret, {
        "bank_txn_id": "SEED-IN-1", "reference": "NO-SUCH-REF", "amount": 1234, "kind": "deposit",
    })
    webhook(api, args.bank_secret, {
        "bank_txn_id": "SEED-OUT-1", "reference": "NO-SUCH-REF", "amount": 4321, "kind": "withdrawal",
    })

    closes_at = (datetime.now(timezone.utc) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    terms = {
        "title": "Solar Farm Cooperative", "summary": "Community-owned solar panels",
        "description": "Seeded for the contract check.", "security_type": "common_equity",
        "price_per_share": 1000, "target_amount": 100_000_000, "closes_at": closes_at,
    }
    offering = api.call("POST", "/api/v1/offerings", terms, token=sponsor, expect=(201,))
    api.call("POST", f"/api/v1/offerings/{offering['id']}/submit", token=sponsor)
    api.call("POST", f"/api/v1/operator/offerings/{offering['id']}/approve", token=operator)
    draft = api.call("POST", "/api/v1/offerings", dict(terms, title="A Draft"), token=sponsor, expect=(201,))
    subscription = api.keyed(f"/api/v1/offerings/{offering['id']}/subscriptions", {"shares": 3}, investor)

    for name, value in {
        "OPERATOR_ID": operator_id, "OPERATOR_TOKEN": operator,
        "INVESTOR_ID": investor_id, "INVESTOR_TOKEN": investor,
        "SPONSOR_ID": sponsor_id, "SPONSOR_TOKEN": sponsor,
        "OFFERING_ID": offering["id"], "DRAFT_ID": draft["id"],
        "SUBSCRIPTION_ID": subscription["id"],
    }.items():
        if not re.fullmatch(r"[\w.-]+", value):
            sys.exit(f"seed: unexpected {name}: {value!r}")
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
