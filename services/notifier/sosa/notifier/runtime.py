"""What the notifier's routes and workers share while the process runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sosa.infra.clock import Clock
from sosa.notifier.secret_box import SecretBox
from sosa.notifier.settings import NotifierSettings
from sosa.notifier.stream_slots import StreamSlots


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: NotifierSettings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    secret_box: SecretBox
    """Seals webhook signing secrets before they are stored (`sosa.notifier.secret_box`)."""
    wake_dispatcher: Callable[[], None] = lambda: None
    stream_slots: StreamSlots = field(default_factory=StreamSlots)
    """The live streams open in this process, per party."""
