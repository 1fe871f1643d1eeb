"""Which of a party's channels get a new message, and stable delivery ids."""

from __future__ import annotations

from sosa.notifier.channels import Channel, first_choice

HOOK = Channel("webhook", "e1", "all", None)
ONLY_ROUTED = Channel("webhook", "e2", "all", ["request.routed"])
MAIL = Channel("email", "m1", "fallback", None)


def test_usual_channels_first_fallbacks_only_when_there_are_none() -> None:
    assert first_choice([HOOK, MAIL], "request.reminder") == [HOOK]
    assert first_choice([ONLY_ROUTED, MAIL], "request.reminder") == [MAIL]
    assert first_choice([ONLY_ROUTED, MAIL], "request.routed") == [ONLY_ROUTED]
    assert first_choice([], "request.routed") == []


def test_delivery_ids_are_stable_per_message_and_channel() -> None:
    assert HOOK.delivery_id("evt") == HOOK.delivery_id("evt")
    assert HOOK.delivery_id("evt") != MAIL.delivery_id("evt")
    assert HOOK.delivery_id("evt") != HOOK.delivery_id("evt2")
