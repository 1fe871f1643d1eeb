"""`python -m sosa.notifier`: consume outcomes, deliver signed webhooks, serve the endpoints API."""

from __future__ import annotations

import logging
import sys

from sosa.infra import collector, tracing
from sosa.infra.logs import configure_logging
from sosa.infra.serving import serve
from sosa.notifier.app import create_app
from sosa.notifier.settings import NotifierSettings

if __name__ == "__main__":
    settings = NotifierSettings()
    configure_logging(settings.log_level, service="notifier")
    # every failed attempt is logged once, with its outcome ("delivery attempt"; a delivered one
    # at DEBUG: the delivery log keeps it); httpx's own line for each request would log it twice
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    tracing.setup("sosa-notifier", settings)
    app = create_app(settings)
    collector.settle()  # what the imports and the app made lives as long as the process (#25)
    sys.exit(serve(app, host=settings.host, port=settings.notifier_port))
