"""Webhook signing secrets at rest: sealed with the first Fernet key, opened with any; a plain
legacy row still opens; a key rotation re-seals; a wrong key is an error, never a wrong secret."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from sosa.notifier.secret_box import PREFIX, SecretBox, SecretBoxError
from sosa.notifier.signing import new_secret

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
SECRET = new_secret()


@pytest.mark.parametrize(
    ("sealed_with", "opened_with", "opens", "current"),
    [
        ([NEW], [NEW], True, True),
        ([OLD], [NEW, OLD], True, False),  # rotation: opens, and is due for re-sealing
        ([NEW], [NEW, OLD], True, True),
        ([OLD], [NEW], False, False),  # the old key removed before re-sealing: an error
        ([OTHER], [NEW, OLD], False, False),
    ],
)
def test_sealed_secrets_open_with_any_configured_key(
    sealed_with: list[str], opened_with: list[str], opens: bool, current: bool
) -> None:
    stored = SecretBox(sealed_with).seal(SECRET)
    assert stored.startswith(PREFIX)
    assert SECRET not in stored
    assert SECRET.removeprefix("whsec_") not in stored
    box = SecretBox([SecretStr(k) for k in opened_with])
    assert box.current(stored) is current
    if opens:
        assert box.open(stored) == SECRET
        assert box.current(box.reseal(stored))
    else:
        with pytest.raises(SecretBoxError):
            box.open(stored)


def test_each_seal_differs_and_fits_the_column() -> None:
    box = SecretBox([NEW])
    first, second = box.seal(SECRET), box.seal(SECRET)
    assert first != second  # a random IV: equal secrets do not show as equal rows
    assert len(first) <= 200


def test_plain_legacy_rows_open_as_themselves_and_are_due_for_sealing() -> None:
    box = SecretBox([NEW])
    assert box.open(SECRET) == SECRET
    assert not box.current(SECRET)
    assert box.open(box.reseal(SECRET)) == SECRET


def test_without_a_key_secrets_stay_plain_and_sealed_ones_cannot_open() -> None:
    box = SecretBox([])
    assert not box.encrypts
    assert box.seal(SECRET) == SECRET
    assert box.current(SECRET)
    with pytest.raises(SecretBoxError):
        box.open(SecretBox([NEW]).seal(SECRET))


def test_a_malformed_key_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        SecretBox(["not-a-key"])
