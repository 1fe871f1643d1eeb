"""Standard Webhooks signatures (HMAC-SHA256 over `id.timestamp.body`, `whsec_` secrets).

During a secret rotation's grace period an attempt is signed with the new secret and with each
rotated-out one that has not expired: `webhook-signature` then holds several space-delimited
`v1,…` signatures, and a receiver that still knows only the old secret keeps verifying.
"""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@functools.lru_cache(maxsize=4096)
def _signer(secret: str) -> Webhook:
    """One signer per secret, kept: building one decodes the secret (no churn per attempt)."""
    return Webhook(secret)


def signed_headers(
    secret: str | Sequence[str], *, message_id: str, sent_at: datetime, body: str
) -> dict[str, str]:
    """The webhook headers for one attempt; the id stays the same across retries."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    signature = " ".join(_signer(key).sign(message_id, sent_at, body) for key in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
