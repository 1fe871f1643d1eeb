"""`python -m sosa.router`: decide every command with the rules, effectively once."""

from __future__ import annotations

import sys

import uvicorn

from sosa.infra.logs import configure_logging
from sosa.router.app import create_app
from sosa.router.settings import RouterSettings


def main() -> int:
    settings = RouterSettings()
    configure_logging(settings.log_level, service="router")
    app = create_app(settings)
    uvicorn.run(
        app, host=settings.host, port=settings.router_port, log_config=None, access_log=False
    )
    return 1 if getattr(app.state, "workers", None) and app.state.workers.failed else 0


if __name__ == "__main__":
    sys.exit(main())
