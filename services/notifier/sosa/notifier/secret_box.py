"""Webhook signing secrets encrypted at rest (Fernet, from the `cryptography` package).

`SOSA_WEBHOOK_SECRET_KEYS` is a list of Fernet keys (32 url-safe base64 bytes each, e.g. from
`python -m sosa.notifier.secret_box new-key`): the first encrypts, every one decrypts
(`MultiFernet`), so a key is rotated by putting a new one first and keeping the old ones until
`reseal` (run at every start, or `python -m sosa.notifier.secret_box reseal`) has re-encrypted
every row with the first; then the old key can go.

A stored secret is `fernet:<token>`. A row written before encryption holds the plain `whsec_…`:
it still signs, and the migration `0006` (or `reseal`) encrypts it. With no key configured the
notifier stores secrets in plain text and says so at every start: never deploy it that way.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)
PREFIX = "fernet:"


class SecretBoxError(Exception):
    """A stored secret that no configured key decrypts (a key removed too early)."""


class SecretBox:
    def __init__(self, keys: Sequence[SecretStr | str]) -> None:
        plain = [k.get_secret_value() if isinstance(k, SecretStr) else k for k in keys]
        self._fernets = [Fernet(key.encode()) for key in plain if key]
        self._all = MultiFernet(self._fernets) if self._fernets else None

    @property
    def encrypts(self) -> bool:
        return self._all is not None

    def seal(self, secret: str) -> str:
        """What to store for `secret`: encrypted with the first key (plain when none is set)."""
        if self._all is None:
            return secret
        return PREFIX + self._all.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored value holds (a plain legacy row is itself)."""
        if not stored.startswith(PREFIX):
            return stored
        if self._all is None:
            raise SecretBoxError(
                "an encrypted webhook secret, and SOSA_WEBHOOK_SECRET_KEYS is empty"
            )
        try:
            return self._all.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretBoxError(
                "a webhook secret no key of SOSA_WEBHOOK_SECRET_KEYS decrypts"
            ) from None

    def current(self, stored: str) -> bool:
        """Whether `stored` is as `seal` writes it now: encrypted with the first key."""
        if self._all is None:
            return True
        if not stored.startswith(PREFIX):
            return False
        try:
            self._fernets[0].decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        return self.seal(self.open(stored))


async def reseal(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, tables: Sequence[Table]
) -> int:
    """Encrypt every plain secret, and re-encrypt with the first key every one sealed with an
    older key. Each row is rewritten only if it still holds what was read (a rotation in
    between wins). Returns how many rows were rewritten."""
    if not box.encrypts:
        log.warning(
            "SOSA_WEBHOOK_SECRET_KEYS is empty: webhook signing secrets are stored in plain text"
        )
        return 0
    changed = 0
    for table in tables:
        key = next(iter(table.primary_key.columns))
        async with sessions() as session, session.begin():
            rows = (await session.execute(select(key, table.c.secret))).all()
            for row_id, stored in rows:
                if box.current(stored):
                    continue
                result = await session.execute(
                    update(table)
                    .where(key == row_id, table.c.secret == stored)
                    .values(secret=box.reseal(stored))
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
    if changed:
        log.info("webhook secrets re-encrypted with the first key", extra={"rows": changed})
    return changed


def _main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "new-key":
        print(Fernet.generate_key().decode())  # noqa: T201 - the command's output
        return 0
    if command == "reseal":
        from sosa.infra import db
        from sosa.notifier import tables
        from sosa.notifier.settings import NotifierSettings

        settings = NotifierSettings()

        async def run() -> int:
            engine = db.create_engine(settings.notifier_database_url)
            try:
                box = SecretBox(settings.webhook_secret_keys)
                targets = [tables.endpoints, tables.endpoint_secrets]
                return await reseal(db.sessionmaker(engine), box, targets)
            finally:
                await engine.dispose()

        print(f"re-encrypted {asyncio.run(run())} secret(s)")  # noqa: T201
        return 0
    print("usage: python -m sosa.notifier.secret_box new-key | reseal", file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
