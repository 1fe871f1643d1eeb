"""The notifier's settings refuse values that would break a guarantee."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sosa.notifier.settings import NotifierSettings


@pytest.mark.parametrize("linger", ["-0.01", "1.01", "60"])
def test_the_recording_linger_is_refused_outside_0_to_1_s(
    monkeypatch: pytest.MonkeyPatch, linger: str
) -> None:
    """An answered attempt waits the linger before it is recorded; one that waited long would be
    sent again after a crash and its delivery log would lag as long."""
    monkeypatch.setenv("SOSA_RECORD_LINGER_S", linger)
    with pytest.raises(ValidationError, match="record_linger_s"):
        NotifierSettings()


@pytest.mark.parametrize("linger", ["0", "0.05", "1"])
def test_the_recording_linger_is_taken_within_0_to_1_s(
    monkeypatch: pytest.MonkeyPatch, linger: str
) -> None:
    monkeypatch.setenv("SOSA_RECORD_LINGER_S", linger)
    assert NotifierSettings().record_linger_s == float(linger)
