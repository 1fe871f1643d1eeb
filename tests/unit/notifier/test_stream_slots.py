"""The cap on a party's open streams: counted per party, each place given back once."""

from __future__ import annotations

from sosa.notifier.stream_slots import StreamSlots


def test_a_party_gets_at_most_the_limit_and_each_place_back_once() -> None:
    slots = StreamSlots()
    first, second = slots.take("acme", 2), slots.take("acme", 2)
    assert first is not None
    assert second is not None
    assert slots.take("acme", 2) is None
    assert slots.take("dod", 2) is not None  # another party's own count
    first.release()
    first.release()  # the stream's end and the response's background both give it back
    assert slots.open["acme"] == 1
    third = slots.take("acme", 2)
    assert third is not None
    assert slots.take("acme", 2) is None
    second.release()
    third.release()
    assert "acme" not in slots.open  # no entry kept for a party with none open
