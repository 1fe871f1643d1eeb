"""`python -m sosa.intake`: serve intake's API with its relay and read-model workers."""

from __future__ import annotations

import sys

from sosa.infra import collector, tracing
from sosa.infra.logs import configure_logging
from sosa.infra.serving import serve
from sosa.intake.app import create_app
from sosa.intake.settings import IntakeSettings

if __name__ == "__main__":
    settings = IntakeSettings()
    configure_logging(settings.log_level, service="intake")
    tracing.setup("sosa-intake", settings)
    app = create_app(settings)
    collector.settle()  # what the imports and the app made lives as long as the process (#25)
    sys.exit(serve(app, host=settings.host, port=settings.intake_port))
