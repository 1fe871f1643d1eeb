"""`python -m sosa.intake`: serve intake's API with its relay and read-model workers."""

from __future__ import annotations

import sys

from sosa.infra import tracing
from sosa.infra.logs import configure_logging
from sosa.infra.serving import serve
from sosa.intake.app import create_app
from sosa.intake.settings import IntakeSettings

if __name__ == "__main__":
    settings = IntakeSettings()
    configure_logging(settings.log_level, service="intake")
    tracing.setup("sosa-intake", settings)
    sys.exit(serve(create_app(settings), host=settings.host, port=settings.intake_port))
