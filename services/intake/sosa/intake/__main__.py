"""`python -m sosa.intake`: serve intake's API with its relay and read-model workers."""

from __future__ import annotations

import sys

import uvicorn

from sosa.infra.logs import configure_logging
from sosa.intake.app import create_app
from sosa.intake.settings import IntakeSettings


def main() -> int:
    settings = IntakeSettings()
    configure_logging(settings.log_level, service="intake")
    app = create_app(settings)
    uvicorn.run(
        app, host=settings.host, port=settings.intake_port, log_config=None, access_log=False
    )
    return 1 if getattr(app.state, "workers", None) and app.state.workers.failed else 0


if __name__ == "__main__":
    sys.exit(main())
