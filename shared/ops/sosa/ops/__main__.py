"""`python -m sosa.ops`: the same as the `sosa` command."""

from sosa.ops.cli import app

app()
