"""The event types a subscription may name are exactly those of the messages the notifier sends
(`fanout.event_type`), plus `request.*` (#26): a typo is refused, and no type is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from sosa.contracts.states import RequestState
from sosa.notifier import fanout, notices
from sosa.notifier.api.subscription_schemas import EndpointIn, RecipientIn
from sosa.notifier.event_types import DESCRIPTIONS, EventType, as_stored

SOURCES = Path(notices.__file__).parent


def _kinds_notified() -> set[str]:
    """Every `kind=` the notifier's modules pass to `notices.notify_operators`."""
    found: set[str] = set()
    for module in SOURCES.glob("*.py"):
        found |= set(
            re.findall(r'notify_operators\([^)]*?kind="([a-z_]+)"', module.read_text(), re.S)
        )
    return found


NOTICE_KINDS = _kinds_notified()


def test_every_type_a_message_can_have_is_subscribable_and_nothing_else() -> None:
    sent = {f"request.{state}" for state in RequestState} | set(fanout._OTHER_TYPES.values())
    sent |= {f"{notices.PREFIX}{kind}" for kind in NOTICE_KINDS}
    assert {t.value for t in EventType} == sent | {"request.*", "operator.*"}
    assert set(DESCRIPTIONS) == set(EventType)
    for subscribed in EventType:
        assert any(fanout.wants([subscribed.value], t) for t in sent)


@pytest.mark.parametrize("model", [EndpointIn, RecipientIn])
def test_a_type_no_message_has_is_refused_naming_the_entry(model: type) -> None:
    body = {"url": "https://hooks.example/x", "address": "ops@example.com"}
    fields = {k: v for k, v in body.items() if k in model.model_fields}
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**fields, "event_types": ["request.routed", "request.routd"]})
    assert [e["loc"] for e in refused.value.errors()] == [("event_types", 1)]
    accepted = model.model_validate({**fields, "event_types": ["request.routed", "request.*"]})
    assert as_stored(accepted.event_types) == ["request.routed", "request.*"]
    assert type(as_stored(accepted.event_types)[0]) is str
