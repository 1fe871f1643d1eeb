"""`python -m sosa.notifier`: consume outcomes, deliver signed webhooks, serve the endpoints API."""

from __future__ import annotations

import sys

import uvicorn

from sosa.infra.logs import configure_logging
from sosa.notifier.app import create_app
from sosa.notifier.settings import NotifierSettings


def main() -> int:
    settings = NotifierSettings()
    configure_logging(settings.log_level, service="notifier")
    app = create_app(settings)
    uvicorn.run(
        app, host=settings.host, port=settings.notifier_port, log_config=None, access_log=False
    )
    return 1 if getattr(app.state, "workers", None) and app.state.workers.failed else 0


if __name__ == "__main__":
    sys.exit(main())
