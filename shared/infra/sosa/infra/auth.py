"""Who is calling: the FastAPI dependency that authenticates every API call of intake and the
notifier, and rate-limits it per party.

A caller shows one credential, `Authorization: Bearer <credential>`:

- an API key (`sosa_<key id>_<secret>`), looked up by key id in the service's own copy of the
  parties' credentials and checked against its keyed hash;
- the bootstrap operator key of the deployment (`SOSA_BOOTSTRAP_OPERATOR_KEY`), if one is set;
- a JWT, verified against the configured JWKS (`sosa.infra.bearer_tokens`), refused when the
  party it names is registered and disabled.

Every request reads the service's own copy of the parties (intake's registry, the notifier's copy
kept from `sosa.parties.v1`), so a revocation or a disabling counts from the moment the copy has
it. A service may keep what it read for `cache_s` seconds (`KeysInTables`; intake does, for
`SOSA_AUTH_CACHE_S`, and forgets it all whenever it changes a party itself): a change made
elsewhere then counts within that bound. A live stream asks `Authenticator.still_valid` again
every few seconds.

No credential, or one that does not check, is answered 401 with `WWW-Authenticate: Bearer`; the
credential itself never appears in an answer or a log line. A party over its rate gets 429 with
`Retry-After`. So does every request from a client address that failed to authenticate too often
(`sosa.infra.auth_failures`), before its credential is looked at.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated, Final, Protocol, runtime_checkable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.contracts.parties import Role
from sosa.infra import api_keys
from sosa.infra.api_settings import ApiSettings
from sosa.infra.auth_failures import FailureLimiter, client_address
from sosa.infra.bearer_tokens import InvalidTokenError, TokenVerifier, verifier_from
from sosa.infra.kept_reads import KeptReads
from sosa.infra.metrics import AUTH_FAILURES, AUTH_THROTTLED
from sosa.infra.rate_limits import RateLimiter

log = logging.getLogger(__name__)
MAX_CREDENTIAL_CHARS: Final = 8192
"""Longer than any API key or JWT this service accepts (a header line of 8 KiB is what proxies
let through): refused before it is hashed or parsed."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated party and its roles."""

    party_id: str
    roles: frozenset[Role]
    via: str
    """api_key, bearer or bootstrap: how it authenticated (for the audit log)."""

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def operator(self) -> bool:
        return Role.OPERATOR in self.roles


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What a service knows of one API key: whose it is and whether it still works."""

    party_id: str
    key_hash: str
    roles: frozenset[Role]
    active: bool
    """False once revoked, or when its party is disabled."""


class KeyStore(Protocol):
    async def find(self, key_id: str) -> StoredKey | None: ...


@runtime_checkable
class PartyStatus(Protocol):
    """A key store that also knows the registry's parties (KeysInTables does): with one, a
    bearer token naming a disabled party is refused too. A service without a copy of the
    registry cannot tell, and accepts the issuer's word."""

    async def disabled(self, party_id: str) -> bool:
        """Whether `party_id` is a registered party that is disabled (an unknown party is not:
        a bearer token may name a party the issuer knows and the registry does not)."""
        ...


class KeysInTables:
    """A KeyStore on a service's own `api_keys` and `parties` tables: intake's registry and the
    notifier's copy of it have the same columns.

    With `cache_s` > 0, what a lookup read (a key, or whether a party is disabled; a key or
    party not found included) is kept for that long (`sosa.infra.kept_reads`), so that a busy
    caller costs a database read per `cache_s` rather than per request. `forget()` drops
    everything kept: the service calls it when it changes a party or a key itself, so that its
    own changes count at once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        keys: Table,
        parties: Table,
        cache_s: float = 0.0,
    ) -> None:
        self._sessions = sessions
        self._keys = keys
        self._parties = parties
        self._found: KeptReads[str, StoredKey | None] = KeptReads(cache_s)
        self._disabled: KeptReads[str, bool] = KeptReads(cache_s)

    def forget(self) -> None:
        """Drop every lookup kept: the next call reads the tables again."""
        self._found.forget()
        self._disabled.forget()

    async def find(self, key_id: str) -> StoredKey | None:
        return await self._found.get(key_id, lambda: self._find(key_id))

    async def disabled(self, party_id: str) -> bool:
        return await self._disabled.get(party_id, lambda: self._read_disabled(party_id))

    async def _find(self, key_id: str) -> StoredKey | None:
        keys, parties = self._keys, self._parties
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(keys.c.key_hash, keys.c.revoked_at, parties)
                    .join(parties, parties.c.party_id == keys.c.party_id)
                    .where(keys.c.key_id == key_id)
                )
            ).one_or_none()
        if row is None:
            return None
        return StoredKey(
            party_id=row.party_id,
            key_hash=row.key_hash,
            roles=frozenset(Role(r) for r in row.roles),
            active=row.revoked_at is None and not row.disabled,
        )

    async def _read_disabled(self, party_id: str) -> bool:
        async with self._sessions() as session:
            value = await session.scalar(
                select(self._parties.c.disabled).where(self._parties.c.party_id == party_id)
            )
        return bool(value)


class NoKeys:
    """A KeyStore for a service that keeps no copy of the party registry (the router): there,
    only the bootstrap operator key and bearer JWTs authenticate; every API key is unknown."""

    async def find(self, key_id: str) -> StoredKey | None:
        return None


class Unauthenticated(HTTPException):
    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})
        self.reason = reason
        """missing, api_key, bearer or unsupported: the metric's label, never the credential."""


class Authenticator:
    """Turns a presented credential into a Caller, or refuses it."""

    def __init__(self, settings: ApiSettings, keys: KeyStore, *, service: str) -> None:
        self._keys = keys
        self._parties = keys if isinstance(keys, PartyStatus) else None
        self._service = service
        self._pepper = settings.auth_pepper.get_secret_value()
        bootstrap = settings.bootstrap_operator_key
        self._bootstrap_hash = (
            api_keys.hash_key(bootstrap.get_secret_value(), self._pepper) if bootstrap else None
        )
        self._bootstrap_party = settings.bootstrap_operator_party
        self._tokens: TokenVerifier | None = verifier_from(settings)
        self._limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        self._failures = FailureLimiter(settings.auth_failure_limit, settings.auth_failure_window_s)
        self._trusted_proxies = tuple(settings.auth_trusted_proxies)

    async def caller_of(self, request: Request, credential: str | None) -> Caller:
        """The authenticated, admitted caller of `request`: 429 first if its address failed to
        authenticate too often (the credential is then not checked, so a good one does not show
        itself), 401 if the credential is missing or does not check, 429 if the party is over
        its rate."""
        address = client_address(
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            self._trusted_proxies,
        )
        wait = self._failures.blocked(address, time.monotonic())
        if wait:
            AUTH_THROTTLED.labels(self._service).inc()
            raise HTTPException(
                429,
                "too many failed authentications from this address",
                headers={"Retry-After": str(int(wait))},
            )
        try:
            if not credential:
                raise Unauthenticated(
                    "authenticate with Authorization: Bearer <API key or token>", "missing"
                )
            caller = await self.authenticate(credential)
        except Unauthenticated as refused:
            AUTH_FAILURES.labels(self._service, refused.reason).inc()
            # No credential is no guess: only a presented credential that fails is counted.
            if refused.reason != "missing" and self._failures.fail(address, time.monotonic()):
                log.warning(
                    "client address %s failed to authenticate %d times within %gs; throttled",
                    address,
                    self._failures.limit,
                    self._failures.window_s,
                )
            raise
        self.admit(caller)
        return caller

    async def authenticate(self, credential: str) -> Caller:
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise Unauthenticated(
                f"the credential is longer than {MAX_CREDENTIAL_CHARS} characters", "unsupported"
            )
        if self._bootstrap_hash and api_keys.matches(
            credential, self._bootstrap_hash, self._pepper
        ):
            return Caller(self._bootstrap_party, frozenset({Role.OPERATOR}), "bootstrap")
        key_id = api_keys.key_id_of(credential)
        if key_id is not None:
            stored = await self._keys.find(key_id)
            if (
                stored is None
                or not stored.active
                or not api_keys.matches(credential, stored.key_hash, self._pepper)
            ):
                raise Unauthenticated("unknown or revoked API key", "api_key")
            return Caller(stored.party_id, stored.roles, "api_key")
        if self._tokens is None:
            raise Unauthenticated(
                "not an API key, and this service accepts no bearer tokens", "unsupported"
            )
        try:
            party, roles = await self._tokens.verify(credential)
        except InvalidTokenError as exc:
            raise Unauthenticated(str(exc), "bearer") from None
        if self._parties is not None and await self._parties.disabled(party):
            raise Unauthenticated("the token's party is disabled", "bearer")
        return Caller(party, roles, "bearer")

    async def still_valid(self, credential: str) -> bool:
        """Whether `credential` would still be accepted now: what an open stream asks again and
        again, so that a key revoked, a party disabled or a token expired since it was opened
        ends it. Neither rate-limited nor counted as a failure."""
        try:
            await self.authenticate(credential)
        except Unauthenticated:
            return False
        return True

    def admit(self, caller: Caller) -> None:
        """Take one token of the caller's bucket; 429 with Retry-After when it is empty."""
        wait = self._limiter.take(caller.party_id, time.monotonic())
        if wait:
            raise HTTPException(
                429,
                f"party {caller.party_id} is over its rate limit",
                headers={"Retry-After": str(int(wait))},
            )


bearer = HTTPBearer(
    auto_error=False,
    description="An API key issued by an operator (`sosa_…`), or an OAuth2 JWT from the "
    "configured issuer.",
)


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The dependency: the authenticated, admitted caller of this request."""
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.caller_of(
        request, credentials.credentials if credentials is not None else None
    )


CallerDep = Annotated[Caller, Depends(current_caller)]
