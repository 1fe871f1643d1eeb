"""Authentication and limits of the public APIs, on a small app wired as intake and the notifier
wire theirs: API keys, the bootstrap key, JWTs; 401, 413, 422 and 429 as problem+json."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from sosa.contracts.parties import Role
from sosa.infra import api_keys, bearer_tokens, problems
from sosa.infra.api_settings import ApiSettings
from sosa.infra.auth import Authenticator, CallerDep, StoredKey
from sosa.infra.bearer_tokens import InvalidTokenError, verifier_from
from sosa.infra.body_limit import BodyLimit
from sosa.infra.metrics import AUTH_FAILURES, AUTH_THROTTLED
from sosa.infra.rate_limits import RateLimiter
from tests.e2e.credentials import AUDIENCE, ISSUER, jwks_file, token
from tests.e2e.forged_tokens import BAD_TOKENS, signed

PEPPER = "pepper-for-tests"
BOOTSTRAP = "b" * 40


class Keys:
    def __init__(self) -> None:
        self.stored: dict[str, StoredKey] = {}
        self.disabled_parties: set[str] = set()

    def issue(self, party: str, *roles: Role, active: bool = True) -> str:
        key_id, key = api_keys.new_key()
        self.stored[key_id] = StoredKey(
            party, api_keys.hash_key(key, PEPPER), frozenset(roles), active
        )
        return key

    async def find(self, key_id: str) -> StoredKey | None:
        return self.stored.get(key_id)

    async def disabled(self, party_id: str) -> bool:
        return party_id in self.disabled_parties


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


def build(keys: Keys, **overrides: Any) -> FastAPI:
    settings = ApiSettings(
        auth_pepper=PEPPER,
        bootstrap_operator_key=BOOTSTRAP,
        jwks_file=jwks_file(),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        max_body_bytes=2048,
        **overrides,
    )
    app = FastAPI()
    problems.install(app)
    app.state.authenticator = Authenticator(settings, keys, service="intake")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.get("/me")
    async def me(caller: CallerDep) -> dict[str, Any]:
        return {"party": caller.party_id, "roles": sorted(caller.roles), "via": caller.via}

    @app.post("/echo")
    async def echo(body: Body, caller: CallerDep) -> dict[str, str]:
        return {"party": caller.party_id, "length": str(len(body.text))}

    return app


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
async def client(keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build(keys))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def test_no_credential_is_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = await client.get("/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"


async def test_an_api_key_authenticates_its_party(keys: Keys, client: httpx.AsyncClient) -> None:
    key = keys.issue("acme-valves", Role.SUPPLIER)
    answer = await client.get("/me", headers=bearer(key))
    assert answer.json() == {"party": "acme-valves", "roles": ["supplier"], "via": "api_key"}


async def test_a_wrong_revoked_or_unknown_key_is_401_and_never_echoed(
    keys: Keys, client: httpx.AsyncClient
) -> None:
    good = keys.issue("acme-valves", Role.SUPPLIER)
    revoked = keys.issue("old-firm", Role.SUPPLIER, active=False)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    unknown = api_keys.new_key()[1]
    for key in (tampered, revoked, unknown):
        response = await client.get("/me", headers=bearer(key))
        assert response.status_code == 401
        assert key not in response.text
        assert key.split("_", 2)[-1] not in response.text  # the random part ("_" allowed)


async def test_the_bootstrap_key_is_an_operator(client: httpx.AsyncClient) -> None:
    answer = (await client.get("/me", headers=bearer(BOOTSTRAP))).json()
    assert answer == {"party": "sosa-operators", "roles": ["operator"], "via": "bootstrap"}


async def test_a_jwt_from_the_issuer_authenticates_party_and_roles(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/me", headers=bearer(token("us-dod-ibp", "determination_authority", "nonsense"))
    )
    assert answer.json() == {
        "party": "us-dod-ibp",
        "roles": ["determination_authority"],
        "via": "bearer",
    }


async def test_a_jwt_of_a_disabled_party_is_401_as_its_api_key_is(
    keys: Keys, client: httpx.AsyncClient
) -> None:
    key = keys.issue("us-dod-ibp", Role.DETERMINATION_AUTHORITY)
    jwt = token("us-dod-ibp", "determination_authority")
    keys.disabled_parties.add("us-dod-ibp")
    keys.stored = {k: replace(v, active=False) for k, v in keys.stored.items()}
    for credential in (jwt, key):
        refused = await client.get("/me", headers=bearer(credential))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    keys.disabled_parties.clear()  # enabled again: the same token works
    assert (await client.get("/me", headers=bearer(jwt))).status_code == 200


async def test_a_kept_token_is_refused_once_its_party_is_disabled(
    keys: Keys, client: httpx.AsyncClient
) -> None:
    """The token is verified once and kept (#25); its party's status is read on every call."""
    jwt = token("us-dod-ibp", "determination_authority")
    assert (await client.get("/me", headers=bearer(jwt))).status_code == 200
    keys.disabled_parties.add("us-dod-ibp")
    assert (await client.get("/me", headers=bearer(jwt))).status_code == 401
    keys.disabled_parties.clear()
    assert (await client.get("/me", headers=bearer(jwt))).status_code == 200


async def test_a_verified_token_is_kept_until_its_exp_then_verified_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = verifier_from(
        ApiSettings(jwks_file=jwks_file(), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    )
    assert verifier is not None
    decoded: list[str] = []
    decode = bearer_tokens.jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(bearer_tokens.jwt, "decode", counting)
    now = [time.time()]
    monkeypatch.setattr(bearer_tokens, "time", SimpleNamespace(time=lambda: now[0]))
    jwt = token("acme-valves", "supplier", ttl_s=600)
    other = token("us-dod-ibp", "determination_authority", ttl_s=600)
    for _ in range(3):
        assert await verifier.verify(jwt) == ("acme-valves", frozenset({Role.SUPPLIER}))
    assert decoded == [jwt]
    assert (await verifier.verify(other))[0] == "us-dod-ibp"
    assert decoded == [jwt, other]
    now[0] += 601  # past the tokens' exp: verified again (pyjwt reads the real clock: valid)
    assert (await verifier.verify(jwt))[0] == "acme-valves"
    assert decoded == [jwt, other, jwt]


async def test_a_token_that_failed_is_not_kept() -> None:
    verifier = verifier_from(
        ApiSettings(jwks_file=jwks_file(), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    )
    assert verifier is not None
    expired = token("acme-valves", "supplier", ttl_s=-60)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            await verifier.verify(expired)


async def test_a_key_store_without_the_registry_accepts_the_issuers_word() -> None:
    class OnlyKeys:  # a service with no copy of the registry (the router)
        async def find(self, key_id: str) -> StoredKey | None:
            return None

    settings = ApiSettings(auth_pepper=PEPPER, jwks_file=jwks_file(), jwt_issuer=ISSUER)
    authenticator = Authenticator(settings, OnlyKeys(), service="router")
    caller = await authenticator.authenticate(token("us-dod-ibp", "determination_authority"))
    assert caller.party_id == "us-dod-ibp"


async def test_still_valid_follows_revocation_and_disabling(keys: Keys) -> None:
    authenticator: Authenticator = build(keys).state.authenticator
    key = keys.issue("acme-valves", Role.SUPPLIER)
    jwt = token("acme-valves", "supplier")
    assert await authenticator.still_valid(key)
    assert await authenticator.still_valid(jwt)
    assert await authenticator.still_valid(BOOTSTRAP)
    keys.stored = {k: replace(v, active=False) for k, v in keys.stored.items()}
    assert not await authenticator.still_valid(key)
    keys.disabled_parties.add("acme-valves")
    assert not await authenticator.still_valid(jwt)
    assert not await authenticator.still_valid(token("acme-valves", "supplier", ttl_s=-60))


@pytest.mark.parametrize("forge", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_every_bad_jwt_is_401_with_a_challenge_and_never_echoed(
    client: httpx.AsyncClient, forge: Callable[[], str]
) -> None:
    bad = forge()
    # as bytes: a token may hold what an HTTP header may carry but httpx would not encode
    response = await client.get("/me", headers={"Authorization": f"Bearer {bad}".encode()})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert bad not in response.text


# a token that is merely too long is refused before it is verified (MAX_CREDENTIAL_CHARS)
VERIFIED = {name: forge for name, forge in BAD_TOKENS.items() if name != "huge"}


@pytest.mark.parametrize("forge", VERIFIED.values(), ids=VERIFIED.keys())
async def test_the_verifier_refuses_every_bad_jwt_with_its_own_error(
    forge: Callable[[], str],
) -> None:
    """Never another exception: that would be a 500 wherever a token is verified."""
    verifier = verifier_from(
        ApiSettings(jwks_file=jwks_file(), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    )
    assert verifier is not None
    with pytest.raises(InvalidTokenError):
        await verifier.verify(forge())


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["supplier", "nonsense"], ["supplier"]),
        ("supplier requester", ["requester", "supplier"]),
        (5, []),
        ({"operator": True}, []),
        ([["operator"]], []),
        (None, []),
    ],
)
async def test_a_roles_claim_of_any_shape_gives_only_the_known_roles_it_lists(
    client: httpx.AsyncClient, roles: Any, expected: list[str]
) -> None:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "p", "exp": int(time.time()) + 60}
    response = await client.get("/me", headers=bearer(signed({**claims, "sosa_roles": roles})))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == expected


async def test_a_body_over_the_limit_is_413(keys: Keys, client: httpx.AsyncClient) -> None:
    headers = bearer(keys.issue("dod-navsea", Role.REQUESTER))
    big = {"text": "x" * 4096}
    declared = await client.post("/echo", json=big, headers=headers)
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * 512

    chunked = await client.post("/echo", content=chunks(), headers=headers)
    assert chunked.status_code == 413
    fits = await client.post("/echo", json={"text": "x" * 100}, headers=headers)
    assert fits.status_code == 200


@pytest.mark.parametrize("declared", [b"9" * 5000, b"0" * 5000 + b"1", b"12x", b"\xc2\xb2"])
async def test_a_content_length_that_is_no_size_or_thousands_of_digits_is_413(
    declared: bytes,
) -> None:
    """int() refuses strings of 4,300 digits and more: the middleware must not ask it."""
    sent: list[dict[str, Any]] = []

    async def app(*_: Any) -> None:
        raise AssertionError("the body was let through")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", declared)]}
    await BodyLimit(app, max_bytes=2048)(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_an_unknown_field_is_422_naming_it(keys: Keys, client: httpx.AsyncClient) -> None:
    headers = bearer(keys.issue("dod-navsea", Role.REQUESTER))
    response = await client.post("/echo", json={"text": "a", "extra": 1}, headers=headers)
    assert response.status_code == 422
    assert "extra" in {e["field"] for e in response.json()["errors"]}


async def test_a_party_over_its_rate_is_429_with_retry_after(keys: Keys) -> None:
    app = build(keys, rate_limit_per_s=0.5, rate_limit_burst=3)
    fast = bearer(keys.issue("busy", Role.REQUESTER))
    calm = bearer(keys.issue("calm", Role.REQUESTER))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        codes = [(await client.get("/me", headers=fast)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = await client.get("/me", headers=fast)
        assert refused.headers["retry-after"] == "2"
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await client.get("/me", headers=calm)).status_code == 200  # per party


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_an_address_that_fails_too_often_is_429_even_with_a_good_key(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    app = build(keys, auth_failure_limit=10, auth_failure_window_s=60)
    good = keys.issue("acme-valves", Role.SUPPLIER)
    wrong = [api_keys.new_key()[1] for _ in range(10)]
    failures = AUTH_FAILURES.labels("intake", "api_key")
    throttled = AUTH_THROTTLED.labels("intake")
    failed_before, throttled_before = failures._value.get(), throttled._value.get()
    async with _client(app, "203.0.113.7") as attacker, _client(app, "198.51.100.2") as other:
        assert (await attacker.get("/me")).status_code == 401  # no credential: no guess
        for key in wrong:
            assert (await attacker.get("/me", headers=bearer(key))).status_code == 401
        for credential in (good, BOOTSTRAP, wrong[0]):
            refused = await attacker.get("/me", headers=bearer(credential))
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert credential not in refused.text
        assert (await attacker.get("/me")).status_code == 429  # every request of the address
        assert (await other.get("/me", headers=bearer(good))).status_code == 200
    assert failures._value.get() - failed_before == 10
    assert throttled._value.get() - throttled_before == 4
    warnings = [r for r in caplog.records if "failed to authenticate" in r.getMessage()]
    assert len(warnings) == 1
    assert "203.0.113.7" in warnings[0].getMessage()
    assert all(key not in caplog.text for key in [*wrong, good])


async def test_successes_do_not_count_and_forwarded_for_is_believed_only_from_proxies(
    keys: Keys,
) -> None:
    app = build(keys, auth_failure_limit=2, auth_trusted_proxies=["10.0.0.0/8"])
    good = bearer(keys.issue("acme-valves", Role.SUPPLIER))
    bad = bearer(api_keys.new_key()[1])
    async with _client(app, "10.1.2.3") as proxy, _client(app, "192.0.2.9") as direct:
        for _ in range(5):
            assert (await direct.get("/me", headers=good)).status_code == 200
        spoofed = {**bad, "X-Forwarded-For": "198.51.100.1"}
        assert [(await direct.get("/me", headers=spoofed)).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]  # the header of an untrusted peer is ignored: counted against 192.0.2.9
        via = {"X-Forwarded-For": "198.51.100.1, 10.9.9.9"}
        codes = [(await proxy.get("/me", headers={**bad, **via})).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        other = {**good, "X-Forwarded-For": "198.51.100.2"}
        assert (await proxy.get("/me", headers=other)).status_code == 200


def test_the_bucket_refills() -> None:
    limiter = RateLimiter(per_s=1, burst=2)
    assert [limiter.take("p", 0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert limiter.take("p", 1.0) == 0.0


def test_keys_are_random_and_only_their_hash_is_kept() -> None:
    key_id, key = api_keys.new_key()
    assert api_keys.key_id_of(key) == key_id
    # 256 bits (the random part may itself contain "_")
    assert len(key.removeprefix(f"{api_keys.PREFIX}{key_id}_")) == 43
    stored = api_keys.hash_key(key, PEPPER)
    assert key not in stored
    assert stored.startswith("hmac-sha256:")
    assert api_keys.matches(key, stored, PEPPER)
    assert not api_keys.matches(key, stored, "another-pepper")
    assert api_keys.new_key() != api_keys.new_key()
