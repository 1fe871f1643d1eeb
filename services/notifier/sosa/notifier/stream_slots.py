"""How many live streams each party has open in this notifier process, and the cap on them.

An open stream costs a poll of the database every `stream_poll_s` and a connection; without a
cap one party could open dozens and take the process's CPU (80 streams took it to 31 %). The
count is per process: behind a load balancer a party may hold the cap on each replica.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class StreamSlot:
    """One open stream's place; giving it back twice gives it back once."""

    slots: StreamSlots
    party_id: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.slots.give_back(self.party_id)


@dataclass(slots=True)
class StreamSlots:
    open: dict[str, int] = field(default_factory=dict)

    def take(self, party_id: str, limit: int) -> StreamSlot | None:
        """A slot for one more stream of `party_id`, or None when it has `limit` open."""
        if self.open.get(party_id, 0) >= limit:
            return None
        self.open[party_id] = self.open.get(party_id, 0) + 1
        return StreamSlot(self, party_id)

    def give_back(self, party_id: str) -> None:
        left = self.open.get(party_id, 0) - 1
        if left > 0:
            self.open[party_id] = left
        else:
            self.open.pop(party_id, None)
