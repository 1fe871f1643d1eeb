"""`sosa`: what operators run against a deployment (reads the same SOSA_* settings)."""

from __future__ import annotations

import asyncio

import typer

from sosa.contracts import topics
from sosa.infra.settings import CommonSettings
from sosa.ops import dead_letters

app = typer.Typer(help="Operate a sosa deployment.", no_args_is_help=True)
dlq = typer.Typer(help="Dead-letter topics: inspect and replay.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")


@dlq.command("list")
def list_dead_letters(
    topic: str = typer.Option(topics.REQUESTS, help="The topic whose dead letters to show."),
    limit: int = typer.Option(50, min=1, max=10_000),
) -> None:
    """Show dead letters: where each came from and why it failed."""
    letters = asyncio.run(dead_letters.read(CommonSettings(), topic, limit=limit))
    for letter in letters:
        by = f"  by={letter.consumer}" if letter.consumer else ""
        typer.echo(
            f"{letter.partition}/{letter.offset}  key={letter.key}  type={letter.event_type}  "
            f"from={letter.original}{by}\n    {letter.error}"
        )
    typer.echo(f"{len(letters)} dead letter(s) on {topics.dead_letter(topic)}")


@dlq.command("replay")
def replay_dead_letters(
    topic: str = typer.Option(topics.REQUESTS, help="The topic whose dead letters to replay."),
) -> None:
    """Send dead letters back to their original topic, each once (fix the cause first); of the
    copies several consumers made of one record, one is sent back."""
    count = asyncio.run(dead_letters.replay(CommonSettings(), topic))
    typer.echo(f"replayed {count} dead letter(s) to {topic}")


if __name__ == "__main__":
    app()
