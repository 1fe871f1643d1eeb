"""`python -m sosa.router`: decide every command with the rules, effectively once."""

from __future__ import annotations

import sys

from sosa.infra import tracing
from sosa.infra.logs import configure_logging
from sosa.infra.serving import serve
from sosa.router.app import create_app
from sosa.router.settings import RouterSettings

if __name__ == "__main__":
    settings = RouterSettings()
    configure_logging(settings.log_level, service="router")
    tracing.setup("sosa-router", settings)
    sys.exit(serve(create_app(settings), host=settings.host, port=settings.router_port))
