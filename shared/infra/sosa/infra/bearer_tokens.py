"""OAuth2 bearer JWTs verified statelessly against a configured JWKS (pyjwt).

A token is accepted when its signature checks against a key of the JWKS (by `kid`), with an
allowed asymmetric algorithm that is the key's own (a JWK's `alg`, else its type's: RS256 for
RSA, ES256/384/512 by curve, EdDSA), and its `exp`, `iss` and `aud` hold. The party comes from one
claim (`sub` by default), its roles from another (`sosa_roles`): the issuer is trusted to say both.
Revoking a token is the issuer's business (short lifetimes); a disabled party is refused by
`sosa.infra.auth`, which knows the registry, on every call.

A token verified once is kept, with what it says, until its `exp` (up to `KEPT_TOKENS` tokens,
the least recently used forgotten first): a client that sends the same token with each request
has its signature checked once, not per request (#25). Only a token that verified is kept, keyed
by its whole text (signature included); after its `exp` it is verified again, and refused.

Whatever is wrong with a token (its encoding, header, algorithm, key, signature or claims) is an
InvalidTokenError, so that the caller answers 401: no token can make verification fail otherwise.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cachetools import LRUCache

from sosa.contracts.parties import Role

_PARTY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_SYMMETRIC = frozenset({"HS256", "HS384", "HS512", "none"})
KEPT_TOKENS = 10_000
"""How many verified tokens are kept until their `exp` (about 2 MB of them)."""


class InvalidTokenError(Exception):
    """The token is not one this service accepts. The message never contains the token."""


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks_url: str | None,
        jwks_file: Path | None,
        issuer: str | None,
        audience: str | None,
        party_claim: str,
        roles_claim: str,
        algorithms: Iterable[str],
        leeway_s: float,
    ) -> None:
        self._algorithms = [a for a in algorithms if a not in _SYMMETRIC]
        self._issuer = issuer
        self._audience = audience
        self._party_claim = party_claim
        self._roles_claim = roles_claim
        self._leeway = leeway_s
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._file_keys = (
            jwt.PyJWKSet.from_dict(json.loads(jwks_file.read_text())) if jwks_file else None
        )
        # token -> (its exp, party, roles)
        self._verified: LRUCache[str, tuple[float, str, frozenset[Role]]] = LRUCache(KEPT_TOKENS)

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        """The JWK (not its bare key: pyjwt then refuses a token whose `alg` is not the key's)."""
        if self._client is not None:
            # PyJWKClient fetches over blocking HTTP (cached): keep it off the event loop
            return await asyncio.to_thread(self._client.get_signing_key_from_jwt, token)
        kid = jwt.get_unverified_header(token).get("kid")
        assert self._file_keys is not None
        for key in self._file_keys.keys:
            if kid is None or key.key_id == kid:
                return key
        raise InvalidTokenError("no key of the JWKS has this token's kid")

    async def verify(self, token: str) -> tuple[str, frozenset[Role]]:
        """(party id, roles) of a valid token; InvalidTokenError otherwise, whatever the fault.
        A token that verified is kept until its `exp`, then verified again."""
        kept = self._verified.get(token)
        if kept is not None:
            expires, party, roles = kept
            if time.time() < expires:
                return party, roles
            del self._verified[token]
        party, roles, expires = await self._verify(token)
        self._verified[token] = (expires, party, roles)
        return party, roles

    async def _verify(self, token: str) -> tuple[str, frozenset[Role], float]:
        try:
            claims = jwt.decode(
                token,
                await self._signing_key(token),
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp"], "verify_aud": self._audience is not None},
            )
        except InvalidTokenError:
            raise
        except Exception as exc:
            raise InvalidTokenError(f"invalid bearer token: {type(exc).__name__}") from None
        party = claims.get(self._party_claim)
        if not isinstance(party, str) or not _PARTY.match(party):
            raise InvalidTokenError(f"the token's {self._party_claim!r} claim names no party")
        return party, self._roles(claims.get(self._roles_claim, [])), float(claims["exp"])

    @staticmethod
    def _roles(raw: Any) -> frozenset[Role]:
        """The known roles a roles claim lists (a list, or a space-separated string); anything
        else lists none."""
        if isinstance(raw, str):
            raw = raw.split()
        if not isinstance(raw, list):
            return frozenset()
        known = {role.value for role in Role}
        return frozenset(Role(r) for r in raw if isinstance(r, str) and r in known)


def verifier_from(settings: Any) -> TokenVerifier | None:
    """The verifier the settings describe, or None when no JWKS is configured."""
    if settings.jwks_url is None and settings.jwks_file is None:
        return None
    return TokenVerifier(
        jwks_url=settings.jwks_url,
        jwks_file=settings.jwks_file,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        party_claim=settings.jwt_party_claim,
        roles_claim=settings.jwt_roles_claim,
        algorithms=settings.jwt_algorithms,
        leeway_s=settings.jwt_leeway_s,
    )
