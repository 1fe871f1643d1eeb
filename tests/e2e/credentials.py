"""Credentials for tests that run the services as processes.

One RSA key per test session signs JWTs for any party and roles; its JWKS is written to a file
that every service started by `stack_env` trusts (`SOSA_JWKS_FILE`). `ActingParty` authenticates
each request as the party its body names, so tests that play several parties through one client
still go through authentication and authorization like a real caller.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from collections.abc import Generator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://issuer.sosa.test"
AUDIENCE = "sosa"
KID = "tests-1"
OPERATOR = "sosa-operators"
BOOTSTRAP_OPERATOR_KEY = secrets.token_urlsafe(32)


@cache
def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def jwks_file() -> Path:
    public = json.loads(RSAAlgorithm.to_jwk(_private_key().public_key()))
    path = Path(tempfile.mkdtemp(prefix="sosa-jwks-")) / "jwks.json"
    path.write_text(json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    return path


def auth_env() -> dict[str, str]:
    """What the services need to trust the tests' tokens and bootstrap key."""
    return {
        "SOSA_JWKS_FILE": str(jwks_file()),
        "SOSA_JWT_ISSUER": ISSUER,
        "SOSA_JWT_AUDIENCE": AUDIENCE,
        "SOSA_BOOTSTRAP_OPERATOR_KEY": BOOTSTRAP_OPERATOR_KEY,
        "SOSA_BOOTSTRAP_OPERATOR_PARTY": OPERATOR,
        "SOSA_RATE_LIMIT_PER_S": "1000",
        "SOSA_RATE_LIMIT_BURST": "10000",
    }


def token(party: str, *roles: str, ttl_s: int = 3600, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": party,
        "sosa_roles": list(roles),
        "iat": now,
        "exp": now + ttl_s,
        **claims,
    }
    return jwt.encode(payload, _private_key(), algorithm="RS256", headers={"kid": KID})


def bearer(party: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(party, *roles)}"}


def operator_headers() -> dict[str, str]:
    """An operator's credential: what the router's test clock (`/v1/clock/advance`) requires."""
    return bearer(OPERATOR, "operator")


def acting(method: str, path: str, body: Any) -> tuple[str, tuple[str, ...]]:
    """The party (and roles) that would send this request: the one its body names."""
    if method != "POST" or not isinstance(body, dict):
        return OPERATOR, ("operator",)
    what = path.rstrip("/").rsplit("/", 1)[-1]
    requester = body.get("requester")
    if isinstance(requester, dict) and isinstance(requester.get("party_id"), str):
        return requester["party_id"], ("requester",)
    if what == "responses" and isinstance(body.get("supplier_party_id"), str):
        return body["supplier_party_id"], ("supplier",)
    if what in {"amendments", "cancellation"} and isinstance(body.get("issued_by"), str):
        roles = ("requester", "rating_authority") if body.get("by_commerce") else ("requester",)
        return body["issued_by"], roles
    if what in {"determination", "authorization"} and isinstance(
        body.get("authority_party_id"), str
    ):
        role = "determination_authority" if what == "determination" else "rating_authority"
        return body["authority_party_id"], (role,)
    if isinstance(body.get("party_id"), str):  # the notifier's subscriptions
        return body["party_id"], ("requester", "supplier")
    return OPERATOR, ("operator",)


_PARTY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class ActingParty(httpx.Auth):
    """Authenticate each request as the party its body names (operators for reads)."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:
            body = None
        party, roles = acting(request.method, request.url.path, body)
        if not _PARTY.match(party):  # a malformed party id: let validation answer (422)
            party, roles = OPERATOR, ("operator",)
        request.headers["Authorization"] = f"Bearer {token(party, *roles)}"
        yield request
