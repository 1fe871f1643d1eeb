"""`sosa`: what operators run against a deployment (reads the same SOSA_* settings)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import typer

from sosa.contracts import topics
from sosa.infra.settings import CommonSettings
from sosa.ops import asyncapi, dead_letters, figures_table, overdue, timeline, topic_reader
from sosa.ops.records import describe

T = TypeVar("T")

app = typer.Typer(help="Operate a sosa deployment.", no_args_is_help=True)
dlq = typer.Typer(help="Dead-letter topics: inspect and replay.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")


@dlq.command("list")
def list_dead_letters(
    topic: str = typer.Option(topics.REQUESTS, help="The topic whose dead letters to show."),
    limit: int = typer.Option(50, min=1, max=10_000),
) -> None:
    """Show dead letters: where each came from and why it failed."""
    _with_dead_letters(topic)
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
    _with_dead_letters(topic)
    count = asyncio.run(dead_letters.replay(CommonSettings(), topic))
    typer.echo(f"replayed {count} dead letter(s) to {topic}")


DEAD_LETTERED = tuple(t for t in topics.ALL if topics.dead_letter(t) in topics.ALL)
"""The contract topics whose consumers keep dead letters."""


def _with_dead_letters(topic: str) -> None:
    """Refuse, before any Kafka client starts, a topic that has no dead-letter topic."""
    if topic not in DEAD_LETTERED:
        typer.echo(
            f"no dead-letter topic for {topic!r}: dead letters are kept for "
            f"{', '.join(DEAD_LETTERED)} (--topic names one of them, without prefix)",
            err=True,
        )
        raise typer.Exit(2)


@app.command("asyncapi")
def asyncapi_document() -> None:
    """Print the AsyncAPI 3.0 document of the topics, generated from the contracts
    (`uv run sosa asyncapi > docs/asyncapi.json`)."""
    typer.echo(asyncapi.render(), nl=False)


@app.command("tail")
def tail(
    topic: str = typer.Argument(help="A contract topic, e.g. sosa.outcomes.v1 (prefix added)."),
    from_beginning: bool = typer.Option(False, "--from-beginning", help="Start at the start."),
    follow: bool = typer.Option(True, "--follow/--no-follow", help="Wait for new records."),
    request: str | None = typer.Option(None, "--request", help="Only this request's records."),
    limit: int | None = typer.Option(None, min=1, help="Stop after this many records."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Print a topic's records readably, one line each: time, partition/offset, type, request,
    and what happened (Ctrl-C stops)."""
    settings = CommonSettings()

    async def run() -> None:
        shown = 0
        async for record in topic_reader.records(
            settings,
            settings.topic(topic),
            from_beginning=from_beginning,
            follow=follow,
            key=request,
        ):
            entry = describe(record)
            typer.echo(entry.json() if as_json else entry.line())
            shown += 1
            if limit is not None and shown >= limit:
                return

    _run(run())


@app.command("timeline")
def request_timeline(
    request_id: str = typer.Argument(help="The request id."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """A request's whole history: each command, followed by the outcomes it caused, each
    followed by the notifier's attempts to tell the parties of it."""
    steps = _run(timeline.read(CommonSettings(), request_id))
    if not steps:
        typer.echo(f"no record of request {request_id}", err=True)
        raise typer.Exit(1)
    for step in steps:
        if as_json:
            typer.echo(json.dumps({"kind": step.kind, **json.loads(step.entry.json())}))
        else:
            typer.echo(timeline.line(step))
    if not as_json:
        typer.echo(f"{len(steps)} record(s) for request {request_id}")


@app.command("overdue")
def list_overdue(
    within: int = typer.Option(
        2,
        min=0,
        max=60,
        help="Also list routed requests due within "
        "this many working days (0: by the end of today).",
    ),
    intake_url: str = typer.Option("http://127.0.0.1:8000", envvar="SOSA_INTAKE_URL"),
    api_key: str = typer.Option(
        "",
        envvar="SOSA_OPERATOR_API_KEY",
        help="An operator's API key or token.",
        show_default=False,
    ),
    at: str | None = typer.Option(None, help="As of this instant (ISO 8601; UTC if no zone)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Requests overdue or due soon, from intake's read API, the latest deadline last."""
    api_key = _key_or_fail(api_key)
    moment = _instant(at) if at else datetime.now(UTC)
    try:
        found = _run(overdue.fetch(intake_url, api_key, at=moment, within=within))
    except httpx.HTTPStatusError as exc:
        typer.echo(f"intake answered {exc.response.status_code}: {exc.response.text}", err=True)
        raise typer.Exit(1) from exc
    except httpx.HTTPError as exc:
        typer.echo(f"intake at {intake_url} unreachable: {exc!r}", err=True)
        raise typer.Exit(1) from exc
    for standing in found:
        typer.echo(json.dumps(standing.as_dict()) if as_json else standing.line())
    if not as_json:
        late = sum(s.late for s in found)
        typer.echo(f"{late} overdue, {len(found) - late} due within {within} working day(s)")


posture_cli = typer.Typer(
    help="The posture of the arrangement: peacetime, emergency or armed conflict.",
    no_args_is_help=True,
)
app.add_typer(posture_cli, name="posture")
IntakeUrl = typer.Option("http://127.0.0.1:8000", envvar="SOSA_INTAKE_URL")


def _key_or_fail(api_key: str) -> str:
    if not api_key:
        raise typer.BadParameter(
            "pass --api-key or set SOSA_OPERATOR_API_KEY", param_hint="api-key"
        )
    return api_key


def _call(method: str, url: str, api_key: str, **kwargs: Any) -> Any:
    """One call to intake's API; its problem document is shown when it refuses."""
    try:
        answer = httpx.request(
            method, url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10, **kwargs
        )
    except httpx.HTTPError as exc:
        typer.echo(f"intake at {url} unreachable: {exc!r}", err=True)
        raise typer.Exit(1) from exc
    if answer.status_code >= 400:
        typer.echo(f"intake answered {answer.status_code}: {answer.text}", err=True)
        raise typer.Exit(1)
    return answer.json()


def _posture_line(entry: dict[str, Any]) -> str:
    s = entry["settings"]
    since = (
        f" since {entry['set_at']} by {entry['set_by']}: {entry['reason']}"
        if entry["set_at"]
        else ""
    )
    target = s["voluntary_target_working_days"]
    return (
        f"{entry['scope']:<7} {entry['posture']:<15} voluntary target "
        f"{target if target is not None else 'partner own'}, reminders at "
        f"{','.join(f'{f:g}' for f in s['reminder_fractions'])}, early escalation "
        f"{s['escalation_margin_working_days']} wd, retry x{s['retry_interval_factor']:g}{since}"
    )


@posture_cli.command("show")
def show_posture(
    intake_url: str = IntakeUrl,
    api_key: str = typer.Option("", envvar="SOSA_OPERATOR_API_KEY", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="The API's answer as it is."),
) -> None:
    """The postures in force: the global one, then each partner's own."""
    found = _call("GET", f"{intake_url}/v1/posture", _key_or_fail(api_key))
    if as_json:
        typer.echo(json.dumps(found))
        return
    for entry in [found["global"], *found["partners"]]:
        typer.echo(_posture_line(entry))
    typer.echo(found["dpas_limits_unchanged"])


@posture_cli.command("set")
def set_posture(
    posture: str = typer.Argument(help="peacetime, emergency or armed_conflict."),
    reason: str = typer.Option(..., "--reason", help="Why (audited, sent to every party)."),
    partner: str = typer.Option(
        "global", "--partner", help="A partner's country code; `global` for every partner."
    ),
    intake_url: str = IntakeUrl,
    api_key: str = typer.Option("", envvar="SOSA_OPERATOR_API_KEY", show_default=False),
) -> None:
    """Set the posture of every partner, or of one (operators)."""
    answer = _call(
        "PUT",
        f"{intake_url}/v1/posture/{partner}",
        _key_or_fail(api_key),
        json={"posture": posture, "reason": reason},
    )
    typer.echo(
        f"{answer['scope']}: {answer['previous']} -> {answer['posture']} "
        f"(command {answer['command_id']}, received {answer['received_at']})"
    )


FIGURES = ("concentration", "redundancy-gaps", "rates", "answer-times", "counter-offers")


@app.command("analytics")
def show_analytics(
    figure: str = typer.Argument(
        help="concentration, redundancy-gaps, rates, answer-times or counter-offers."
    ),
    by: str | None = typer.Option(None, help="program or item (concentration, gaps)."),
    group_by: str | None = typer.Option(None, help="partner_country, supplier, rating_level."),
    since: str | None = typer.Option(None, help="Requests received from then (ISO 8601)."),
    until: str | None = typer.Option(None, help="Requests received before then (ISO 8601)."),
    limit: int | None = typer.Option(
        None,
        min=1,
        max=10_000,
        help="At most this many rows and shares (concentration, gaps); intake's default: 100 "
        "in JSON, all in CSV.",
    ),
    as_csv: bool = typer.Option(False, "--csv", help="CSV, as the API exports it."),
    as_json: bool = typer.Option(False, "--json", help="The API's JSON answer, as it is."),
    intake_url: str = IntakeUrl,
    api_key: str = typer.Option("", envvar="SOSA_OPERATOR_API_KEY", show_default=False),
) -> None:
    """A resilience figure from intake's API, over the requests the key's party may see."""
    if figure not in FIGURES:
        typer.echo(f"no figure {figure!r}: one of {', '.join(FIGURES)}", err=True)
        raise typer.Exit(2)
    params = {"by": by, "group_by": group_by, "format": "csv"}
    params |= {"since": _instant(since, "--since").isoformat() if since else None}
    params |= {"until": _instant(until, "--until").isoformat() if until else None}
    params |= {"limit": str(limit) if limit else None}
    chosen = {k: v for k, v in params.items() if v and (k != "format" or as_csv)}
    url = f"{intake_url}/v1/analytics/{figure}"
    key = _key_or_fail(api_key)
    if as_csv:
        answer = httpx.get(
            url, params=chosen, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        if answer.status_code >= 400:
            typer.echo(f"intake answered {answer.status_code}: {answer.text}", err=True)
            raise typer.Exit(1)
        typer.echo(answer.text, nl=False)
        return
    found = _call("GET", url, key, params=chosen)
    if as_json:
        typer.echo(json.dumps(found))
        return
    period = found["period"]
    typer.echo(
        f"{found['figure']} over {found['requests']} request(s) received "
        f"{period['since'] or 'from the first'} to {period['until'] or 'now'}, "
        f"computed at {found['computed_at']}"
    )
    typer.echo(f"method: {found['method']}")
    for line in figures_table.table(found["rows"]):
        typer.echo(line)
    if found.get("total_rows", len(found["rows"])) > len(found["rows"]):
        typer.echo(f"(the first {len(found['rows'])} of {found['total_rows']} rows: --limit)")


def _instant(text: str, option: str = "--at") -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run `work`; Ctrl-C ends it quietly (exit 0), a missing topic with a message."""
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except topic_reader.NoSuchTopicError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


if __name__ == "__main__":
    app()
