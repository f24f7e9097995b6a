"""Systempay's documented signature rule, written here independently of eopayment: the
values of every ``vads_*`` field, sorted by field name, joined with "+", then "+" and the
shop's key; SHA-1 in hexadecimal, or HMAC-SHA-256 (keyed with the shop's key) in base64.

Used by the tests and by the Systempay-like simulator to sign what "the bank" sends.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

TEST_KEY = "TESTKEY1234567890"
SITE_ID = "12345678"


def sign(fields: dict[str, str], key: str = TEST_KEY, algo: str = "hmac_sha256") -> str:
    values = [str(fields[name]) for name in sorted(fields) if name.startswith("vads_")]
    message = "+".join([*values, key]).encode("utf-8")
    if algo == "sha1":
        return hashlib.sha1(message).hexdigest()
    return base64.b64encode(hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()).decode("ascii")


RESULTS = {  # vads_trans_status, vads_result, vads_auth_result
    "paid": ("AUTHORISED", "00", "00"),
    "refused": ("REFUSED", "05", "05"),
    "cancelled": ("ABANDONED", "17", ""),
}


def notification_fields(request_fields: dict[str, str], *, outcome: str = "paid", amount: str | None = None,
                        currency: str | None = None, auth_number: str = "445401", trans_uuid: str | None = None,
                        key: str = TEST_KEY, algo: str = "hmac_sha256") -> dict[str, str]:
    """What Systempay posts to the shop's notification URL (and, in return mode POST, what the
    browser posts back) for the form the shop sent (``request_fields``)."""
    status, result, auth_result = RESULTS[outcome]
    fields = {name: value for name, value in request_fields.items()
              if name.startswith("vads_") and name not in ("vads_url_return", "vads_url_check", "vads_return_mode")}
    fields.update({
        "vads_amount": amount if amount is not None else request_fields["vads_amount"],
        "vads_currency": currency if currency is not None else request_fields.get("vads_currency", "978"),
        "vads_trans_status": status, "vads_result": result, "vads_auth_result": auth_result,
        "vads_extra_result": "" if outcome == "cancelled" else "00",
        "vads_auth_number": auth_number if outcome == "paid" else "",
        "vads_auth_mode": "FULL", "vads_card_brand": "CB", "vads_card_number": "497010XXXXXX0000",
        "vads_trans_uuid": trans_uuid or secrets.token_hex(16), "vads_url_check_src": "PAY",
        "vads_effective_creation_date": request_fields.get("vads_trans_date", ""), "vads_hash": secrets.token_hex(32),
    })
    fields["signature"] = sign(fields, key, algo)
    return fields


def body(fields: dict[str, str]) -> str:
    return urlencode(fields)
