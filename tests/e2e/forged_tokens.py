"""Bearer tokens that must not authenticate, one row each: every one is a 401, never a 500.

Each row builds its token when called (some sign with the tests' RSA key of
`tests.e2e.credentials`, whose JWKS the services trust). Used in process
(tests/unit/infra/test_auth.py) and against the running services (tests/e2e/test_fuzz_openapi.py).
A new way to get a token wrong is one more row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.e2e.credentials import AUDIENCE, ISSUER, KID, _private_key, token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    """Claims that would authenticate an operator, with `overrides` (None: left out)."""
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "forger",
        "sosa_roles": ["operator"],
        "exp": int(time.time()) + 3600,
        **overrides,
    }
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict[str, Any], *, key: Any = None, alg: str = "RS256", kid: str = KID) -> str:
    """`claims` signed as given, even where pyjwt's encoder would refuse them (an `exp` that is
    no number, an `iss` that is a list)."""
    return jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(),
        key if key is not None else _private_key(),
        algorithm=alg,
        headers={"kid": kid, "typ": "JWT"},
    )


def signed_raw(payload: bytes) -> str:
    """`payload` as it is (not even a JSON object), signed with the tests' key."""
    return jwt.api_jws.PyJWS().encode(
        payload, _private_key(), algorithm="RS256", headers={"kid": KID}
    )


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{_json(header)}.{_json(claims)}.{_b64(signature)}"


@cache
def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public_pem() -> bytes:
    return (
        _private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _hs256_keyed_with_the_public_key() -> str:
    """Algorithm confusion: an HMAC token keyed with the issuer's public key."""
    header = _json({"alg": "HS256", "typ": "JWT", "kid": KID})
    claims = _json(_claims())
    signature = hmac.new(_public_pem(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


def _rs256_header_swapped_to(alg: str) -> str:
    """A good RS256 token whose header now names another algorithm, same kid (an RSA key)."""
    _, claims, signature = token("forger", "operator").split(".")
    return f"{_json({'alg': alg, 'typ': 'JWT', 'kid': KID})}.{claims}.{signature}"


def _flipped_signature() -> str:
    head, claims, signature = token("forger", "operator").split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0xFF
    return f"{head}.{claims}.{_b64(bytes(raw))}"


def _claims_swapped() -> str:
    """A supplier's good token with the claims of an operator: the signature no longer holds."""
    head, _, signature = token("forger", "supplier").split(".")
    return f"{head}.{_json(_claims())}.{signature}"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    # claims that do not hold
    "expired": lambda: token("forger", "operator", ttl_s=-120),
    "no-exp": lambda: signed(_claims(exp=None)),
    "exp-not-a-number": lambda: signed(_claims(exp="tomorrow")),
    "not-yet-valid": lambda: signed(_claims(nbf=int(time.time()) + 3600)),
    "wrong-audience": lambda: token("forger", "operator", aud="other"),
    "audience-not-a-string": lambda: signed(_claims(aud={"sosa": True})),
    "wrong-issuer": lambda: token("forger", "operator", iss="https://evil.example"),
    "issuer-a-list": lambda: signed(_claims(iss=[ISSUER])),
    "party-malformed": lambda: token("has spaces", "operator"),
    "party-missing": lambda: signed(_claims(sub=None)),
    "party-not-a-string": lambda: signed(_claims(sub=["forger"])),
    # signatures that do not check
    "bad-signature": _flipped_signature,
    "claims-swapped": _claims_swapped,
    "empty-signature": lambda: token("forger", "operator").rsplit(".", 1)[0] + ".",
    "unknown-kid": lambda: signed(_claims(), kid="nobody"),
    "kid-not-a-string": lambda: unsigned({"alg": "RS256", "kid": ["x"]}, _claims(), b"x"),
    # algorithms this service never accepts, or that are not the key's
    "alg-none": lambda: unsigned({"alg": "none", "typ": "JWT", "kid": KID}, _claims()),
    "alg-missing": lambda: unsigned({"typ": "JWT", "kid": KID}, _claims(), b"x"),
    "alg-not-a-string": lambda: unsigned({"alg": ["RS256"], "kid": KID}, _claims(), b"x"),
    "alg-unknown": lambda: _rs256_header_swapped_to("XX999"),
    "hs256-shared-secret": lambda: jwt.encode(_claims(), "s" * 32, algorithm="HS256"),
    "hs256-keyed-with-public-key": _hs256_keyed_with_the_public_key,
    "es256-header-on-rsa-key": lambda: _rs256_header_swapped_to("ES256"),
    "eddsa-header-on-rsa-key": lambda: _rs256_header_swapped_to("EdDSA"),
    "ps256-header-on-rsa-key": lambda: _rs256_header_swapped_to("PS256"),
    "es256-signed-by-an-ec-key-under-the-rsa-kid": lambda: signed(
        _claims(), key=_ec_key(), alg="ES256"
    ),
    "eddsa-signed-under-the-rsa-kid": lambda: signed(
        _claims(), key=ed25519.Ed25519PrivateKey.generate(), alg="EdDSA"
    ),
    # not a JWT at all
    "garbage": lambda: "not.a.jwt",
    "garbage-base64": lambda: "!!!.@@@.###",
    "two-segments": lambda: "eyJhbGciOiJSUzI1NiJ9.e30",
    "header-not-json": lambda: f"{_b64(b'{nope')}.{_json(_claims())}.{_b64(b'x')}",
    "header-an-array": lambda: f"{_b64(b'[1, 2]')}.{_json(_claims())}.{_b64(b'x')}",
    "claims-an-array": lambda: signed_raw(b"[1, 2]"),
    "non-ascii": lambda: "\u00e9t\u00e9.\u00e9t\u00e9.\u00e9t\u00e9",
    "huge": lambda: token("forger", "operator", padding="x" * 20_000),
}
