"""`Idempotency-Key` on real databases (PostgreSQL and SQLite): a key is remembered with its
answer exactly when the transaction that stores the command commits; a request whose key is
taken stores nothing and replays the first answer, whether the first was committed before or is
an earlier write of the same group commit; a concurrent request with the same key waits for the
first (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.exceptions import RequestValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from sosa.contracts.requests import PriorityRequestDetails
from sosa.intake import tables
from sosa.intake.commands import idempotency
from sosa.intake.commands.answers import SubmissionAccepted
from sosa.intake.commands.idempotency import Key, Replay
from sosa.intake.commands.writes import store_all
from tests.e2e.test_walking_skeleton import DPAS_REQUEST
from tests.integration.intake.seeding import Sessions, count, store, submission_of
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
    """What the submit route does: store the write; when its key was taken, replay."""
    write = submission_of(details, now=T0, key=key, party_id=party_id)
    if not await store(sessions, write):
        async with sessions() as session:
            await idempotency.replay_taken(session, key, party_id=party_id, body=details)
    return write.answer


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


async def test_a_key_stored_in_the_first_form_still_replays_after_the_upgrade(
    sessions: Sessions,
) -> None:
    """A key stored before #25 holds the first form of the fingerprint (hex, no version): a
    retry of the same request replays its answer, another request under it is still a 422."""
    first = await submit_once(sessions, KEY)
    async with sessions() as session, session.begin():
        await session.execute(
            update(tables.idempotency_keys).values(
                fingerprint=idempotency.fingerprint_v1(KEY.operation, DETAILS)
            )
        )
    with pytest.raises(Replay) as replay:
        await submit_once(sessions, KEY)
    assert SubmissionAccepted.model_validate_json(replay.value.response.body) == first
    other = PriorityRequestDetails.model_validate({**DPAS_REQUEST, "contract_number": "N-2"})
    with pytest.raises(RequestValidationError) as refused:
        await submit_once(sessions, KEY, other)
    assert refused.value.errors()[0]["loc"] == ("header", "Idempotency-Key")
    assert (await count(sessions, "commands"), await count(sessions, "idempotency_keys")) == (1, 1)


async def test_keys_are_kept_per_party(sessions: Sessions) -> None:
    await submit_once(sessions, KEY)
    await submit_once(sessions, KEY, party_id="another-party")
    assert (await count(sessions, "commands"), await count(sessions, "idempotency_keys")) == (2, 2)


async def test_a_key_whose_transaction_rolled_back_is_not_remembered(sessions: Sessions) -> None:
    async def store_then_fail() -> None:
        async with sessions() as session, session.begin():
            write = submission_of(DETAILS, now=T0, key=KEY)
            assert await store_all(session, [write]) == [write]
            raise LookupError("the transaction failed after the rows were written")

    with pytest.raises(LookupError):
        await store_then_fail()
    assert await count(sessions, "idempotency_keys") == 0
    await submit_once(sessions, KEY)  # the retry is handled afresh
    assert await count(sessions, "commands") == 1


async def test_no_key_no_memory(sessions: Sessions) -> None:
    await store(sessions, submission_of(DETAILS, now=T0))
    async with sessions() as session:
        await idempotency.replay_known(session, None, party_id=PARTY, body=DETAILS)
    assert await count(sessions, "idempotency_keys") == 0


async def test_the_same_key_twice_in_one_group_commit_stores_the_first_only(
    sessions: Sessions,
) -> None:
    first = submission_of(DETAILS, now=T0, key=KEY)
    again = submission_of(DETAILS, now=T0, key=KEY)
    other = submission_of(DETAILS, now=T0, key=Key("key-2", KEY.operation))
    assert await store(sessions, first, again, other) == [first, other]
    with pytest.raises(Replay) as replay:
        async with sessions() as session:
            await idempotency.replay_taken(session, KEY, party_id=PARTY, body=DETAILS)
    assert SubmissionAccepted.model_validate_json(replay.value.response.body) == first.answer
    assert (await count(sessions, "commands"), await count(sessions, "idempotency_keys")) == (2, 2)


@pytest.mark.parametrize("first_commits", [True, False])
async def test_a_concurrent_request_with_the_key_waits_for_the_first(
    engine: AsyncEngine, sessions: Sessions, first_commits: bool
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no concurrent claim")
    release = asyncio.Event()

    async def first() -> SubmissionAccepted:
        async with sessions() as session, session.begin():
            write = submission_of(DETAILS, now=T0, key=KEY)
            assert await store_all(session, [write]) == [write]
            await release.wait()
            if not first_commits:
                raise LookupError("rolled back")
        return write.answer

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
