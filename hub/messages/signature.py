"""The signature the hub puts on every message it pushes to a receiver's endpoint.

`X-MSIX-Signature: t=<unix seconds>,v1=<hex>` where `v1` is HMAC-SHA256, keyed with the secret the
hub gave the receiver when it registered the endpoint, over `<t>.` followed by the request body.
The time bounds a replay by whoever saw one push; the body is signed as sent (no canonicalisation
to get wrong). Receivers check it with `verify_push_signature` (or the same four lines in their
own language) before they trust a push.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-MSIX-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)


def sign_push(secret: str, data: bytes, *, now: datetime) -> str:
    """The `X-MSIX-Signature` value for one push of `data`."""
    stamp = int(now.timestamp())
    return f"t={stamp},v1={_mac(secret, stamp, data)}"


def verify_push_signature(
    secret: str,
    data: bytes,
    header: str | None,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """True when `header` signs `data` with `secret` and its time is within `tolerance` of now."""
    if not header:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp_text, mac = parts.get("t", ""), parts.get("v1", "")
    if not stamp_text.isdigit() or not mac:
        return False
    stamp = int(stamp_text)
    if abs(now.timestamp() - stamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(mac, _mac(secret, stamp, data))


def _mac(secret: str, stamp: int, data: bytes) -> str:
    return hmac.new(secret.encode(), f"{stamp}.".encode() + data, hashlib.sha256).hexdigest()
