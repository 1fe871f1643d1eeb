"""`Idempotency-Key` on real databases (PostgreSQL and SQLite): a key is remembered with its
answer exactly when the transaction that stores the command commits; a concurrent request with
the same key waits for the first and replays its answer (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.contracts.requests import PriorityRequestDetails
from sosa.intake import idempotency
from sosa.intake.idempotency import Key, Replay, Ticket
from sosa.intake.schemas import SubmissionAccepted
from sosa.intake.submissions import accept_submission
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, count
from tests.unit.intake.builders import T0

pytestmark = pytest.mark.db
PARTY = "dod-navsea"
DETAILS = PriorityRequestDetails.model_validate(DPAS_REQUEST)
KEY = Key("key-1", "POST /v1/priority-requests")


async def submit_once(
    sessions: Sessions,
    key: Key,
    details: PriorityRequestDetails = DETAILS,
    *,
    party_id: str = PARTY,
) -> SubmissionAccepted:
    """What the submit route does in its transaction."""
    async with sessions() as session, session.begin():
        ticket = await idempotency.claim(session, key, party_id=party_id, body=details, now=T0)
        accepted = await accept_submission(session, details, now=T0, source="/t")
        await idempotency.remember(session, ticket, status_code=202, body=accepted)
    return accepted


async def test_the_same_request_again_replays_the_first_answer_and_stores_nothing(
    sessions: Sessions,
) -> None:
    first = await submit_once(sessions, KEY)
    with pytest.raises(Replay) as replay:
        await submit_once(sessions, KEY)
    response = replay.value.response
    assert response.status_code == 202
    assert SubmissionAccepted.model_validate_json(response.body) == first
    assert response.headers["location"] == first.links["self"]
    assert response.headers["idempotent-replayed"] == "true"
    assert (await count(sessions, "commands"), await count(sessions, "idempotency_keys")) == (1, 1)


async def test_the_same_key_for_another_request_is_refused(sessions: Sessions) -> None:
    await submit_once(sessions, KEY)
    other = PriorityRequestDetails.model_validate({**DPAS_REQUEST, "contract_number": "N-2"})
    with pytest.raises(RequestValidationError) as refused:
        await submit_once(sessions, KEY, other)
    assert refused.value.errors()[0]["loc"] == ("header", "Idempotency-Key")
    with pytest.raises(RequestValidationError):
        await submit_once(sessions, Key(KEY.value, "POST /v1/priority-requests/r/cancellation"))
    assert await count(sessions, "commands") == 1


async def test_keys_are_kept_per_party(sessions: Sessions) -> None:
    await submit_once(sessions, KEY)
    await submit_once(sessions, KEY, party_id="another-party")
    assert (await count(sessions, "commands"), await count(sessions, "idempotency_keys")) == (2, 2)


async def test_a_key_whose_transaction_rolled_back_is_not_remembered(sessions: Sessions) -> None:
    async def claim_then_fail() -> None:
        async with sessions() as session, session.begin():
            ticket = await idempotency.claim(session, KEY, party_id=PARTY, body=DETAILS, now=T0)
            assert ticket == Ticket(PARTY, KEY.value)
            raise LookupError("404: the route found no such request")

    with pytest.raises(LookupError):
        await claim_then_fail()
    assert await count(sessions, "idempotency_keys") == 0
    await submit_once(sessions, KEY)  # the retry is handled afresh
    assert await count(sessions, "commands") == 1


async def test_no_key_no_memory(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        assert await idempotency.claim(session, None, party_id=PARTY, body=DETAILS, now=T0) is None
        await idempotency.remember(session, None, status_code=202, body=an_answer())
    assert await count(sessions, "idempotency_keys") == 0


def an_answer() -> SubmissionAccepted:
    return SubmissionAccepted.model_validate(
        {
            "request_id": "r",
            "command_id": "c",
            "state": "received",
            "received_at": T0.isoformat(),
            "links": {"self": "/v1/priority-requests/r"},
        }
    )


@pytest.mark.parametrize("first_commits", [True, False])
async def test_a_concurrent_request_with_the_key_waits_for_the_first(
    engine: AsyncEngine, sessions: Sessions, first_commits: bool
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no concurrent claim")
    release = asyncio.Event()

    async def first() -> SubmissionAccepted:
        async with sessions() as session, session.begin():
            ticket = await idempotency.claim(session, KEY, party_id=PARTY, body=DETAILS, now=T0)
            accepted = await accept_submission(session, DETAILS, now=T0, source="/t")
            await idempotency.remember(session, ticket, status_code=202, body=accepted)
            await release.wait()
            if not first_commits:
                raise LookupError("rolled back")
        return accepted

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.3)  # the first holds the key, uncommitted
    second = asyncio.create_task(submit_once(sessions, KEY))
    await asyncio.sleep(0.5)
    assert not second.done(), "the second must wait for the first's transaction"
    release.set()
    if first_commits:
        accepted = await holder
        with pytest.raises(Replay) as replay:
            await second
        assert SubmissionAccepted.model_validate_json(replay.value.response.body) == accepted
    else:
        with pytest.raises(LookupError):
            await holder
        await second  # the key was free again: the second is stored
    assert await count(sessions, "commands") == 1
