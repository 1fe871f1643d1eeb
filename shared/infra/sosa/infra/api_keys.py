"""API keys: made with 256 bits of randomness, shown once, kept only as a keyed hash (pure).

A key reads `sosa_<key id>_<secret>`. The key id is public (it names the key in lists, logs and
revocations) and finds the stored hash; the hash is HMAC-SHA256 of the whole key under the
server's pepper. With 256 random bits no dictionary or brute force applies, so a slow KDF would
add latency and nothing else; the pepper makes a leaked hash table useless without the server's
configuration too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

PREFIX: Final = "sosa_"
_FIXED_LABEL: Final = b"sosa-api-key-v1"
_KEY = re.compile(r"^sosa_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
HASH_SCHEME: Final = "hmac-sha256:"


def new_key() -> tuple[str, str]:
    """A fresh (key id, key)."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, or None."""
    match = _KEY.match(key)
    return match.group(1) if match else None


def hash_key(key: str, pepper: str) -> str:
    """What is stored and published for `key`."""
    digest = hmac.new(pepper.encode() or _FIXED_LABEL, key.encode(), hashlib.sha256).hexdigest()
    return f"{HASH_SCHEME}{digest}"


def matches(key: str, stored_hash: str, pepper: str) -> bool:
    """Whether `key` is the key behind `stored_hash` (constant time)."""
    return hmac.compare_digest(hash_key(key, pepper), stored_hash)
