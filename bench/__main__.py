"""`python -m bench` (what `make bench` runs through scripts/bench.sh): runs the scenarios on the
real broker and PostgreSQL, prints a table and appends one JSON record to var/bench/results.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from bench.measure import machine
from bench.scenarios import SCENARIOS, Config, Result
from bench.targets import table
from tests.e2e.stack import PREFIXES_USED, delete_topics_of
from tests.faults.infra import ROOT

OUT = ROOT / "var" / "bench"
QUICK = {
    "warmup": 10,
    "accept_seconds": 3.0,
    "e2e_seconds": 4.0,
    "catchup_seconds": 3.0,
    "fanout_seconds": 4.0,
    "fanout_backlog_seconds": 2.0,
    "readside_sizes": (10_000,),
    "readside_repeats": 3,
    "readside_submit_seconds": 4.0,
}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="any of a b c d e (default: all)")
    parser.add_argument(
        "--sizes",
        default=os.environ.get("SOSA_BENCH_READSIDE_SIZES", ""),
        help="scenario e's sizes, e.g. 10000,100000 (default 10000,100000,1000000; "
        "also SOSA_BENCH_READSIDE_SIZES)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--no-record", action="store_true", help="do not append to results.jsonl")
    parser.add_argument("--note", default="", help="a remark stored with the record")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - SCENARIOS.keys()
    if unknown:
        parser.error(f"no scenario {', '.join(sorted(unknown))}; choose from a b c d e")
    try:
        args.sizes = tuple(int(n) for n in args.sizes.replace(" ", "").split(",") if n)
    except ValueError:
        parser.error(f"--sizes: whole numbers separated by commas, not {args.sizes!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    logs = OUT / "logs"
    shutil.rmtree(logs, ignore_errors=True)  # the latest run's service logs only
    cfg = Config(
        kafka=os.environ.get("SOSA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        postgres_admin_url=os.environ.get(
            "SOSA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:55432/postgres"
        ),
        logs=logs,
        **(QUICK if args.quick else {}),  # type: ignore[arg-type]
    )
    if args.sizes:
        cfg = dataclasses.replace(cfg, readside_sizes=args.sizes)
    return asyncio.run(run(cfg, args.scenarios or list(SCENARIOS), args))


async def run(cfg: Config, names: list[str], args: argparse.Namespace) -> int:
    host = await machine(cfg.postgres_admin_url)
    print_header(host, cfg)
    results: list[Result] = []
    errors: dict[str, str] = {}
    try:
        for name in names:
            try:
                results.append(await SCENARIOS[name](cfg))
            except Exception as exc:
                traceback.print_exc()
                errors[name] = f"{type(exc).__name__}: {exc}"
            else:
                print_result(results[-1])
    finally:
        try:
            print(f"[bench] deleted {await delete_topics_of(cfg.kafka, PREFIXES_USED)} topics")
        except Exception as exc:
            print(f"[bench] could not delete the topics: {exc!r}", file=sys.stderr)
    host["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    targets = [t for r in results for t in r.targets]
    if targets:
        print("\ntargets (#25), each figure beside its anchor measured in this run:")
        print(table(targets))
    print(
        f"\nload average: at start {host['load_average_at_start']},"
        f" at end {host['load_average_at_end']}"
    )
    if not args.no_record:
        record(host, cfg, results, errors, quick=args.quick, note=args.note)
    for name, error in errors.items():
        print(f"[bench] scenario {name} failed: {error}", file=sys.stderr)
    return 1 if errors or not all_once(results) else 0


MUST_BE_ZERO = (
    "lost",
    "duplicated",
    "webhooks_missing",
    "steady_webhooks_missing",
    "backlog_webhooks_missing",
)
"""Figures of a sound run: a benchmark that lost, doubled or missed something measured a fault."""


def all_once(results: Iterable[Result]) -> bool:
    unsound = {r.scenario: [k for k in MUST_BE_ZERO if r.figures.get(k)] for r in results}
    for scenario, keys in unsound.items():
        if keys:
            print(f"[bench] {scenario}: not zero: {', '.join(keys)}", file=sys.stderr)
    return not any(unsound.values())


# --- output ----------------------------------------------------------------------------------


def print_header(host: dict[str, Any], cfg: Config) -> None:
    print(f"sosa benchmarks, commit {host['commit']}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(
        f"machine: {host['cores']} cores ({host['cpu']}), {host['ram_gib']} GiB RAM, "
        f"Python {host['python']}, Kafka {host['kafka']}, PostgreSQL {host['postgresql']}"
    )
    print(f"settings: {json.dumps(cfg.settings(), default=str)}")
    print(f"broker {cfg.kafka}; load average at start {host['load_average_at_start']}")


def print_result(result: Result) -> None:
    print(f"\n{result.scenario}  ({result.seconds:.0f} s in all)")
    print(f"  {result.setup}")
    for name, value in result.figures.items():
        if isinstance(value, dict) and name.startswith("anchor_"):
            print(f"  {name}:")
            for inner, figure in value.items():
                print(f"    {inner:<34} {shown(figure)}")
        else:
            print(f"  {name:<36} {shown(value)}")


def shown(value: Any) -> str:
    if isinstance(value, dict) and "count" in value:
        return (
            "  ".join(f"{k.removesuffix('_ms')} {v:>7}" for k, v in value.items() if k != "count")
            + f"  ms  (n={value['count']})"
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def record(
    host: dict[str, Any],
    cfg: Config,
    results: list[Result],
    errors: dict[str, str],
    **extra: Any,
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    line = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": host,
        "settings": cfg.settings(),
        "results": [r.record() for r in results],
        "errors": errors,
        **extra,
    }
    with (OUT / "results.jsonl").open("a") as out:
        out.write(json.dumps(line, default=str) + "\n")
    print(f"[bench] appended to {(OUT / 'results.jsonl').relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
