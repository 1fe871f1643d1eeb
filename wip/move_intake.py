#!/usr/bin/env python3
# ruff: noqa: S603, T201 - a one-off developer tool: it runs git and ruff, and reports on stdout
"""Lay intake out by capability (issue #24 item 4): move its flat modules into four packages.

Run from the root of a sosa checkout, once the branches in flight have merged:

    python3 wip/move_intake.py            # move, rewrite, then ruff --fix and format
    python3 wip/move_intake.py --dry-run  # say what it would do, change nothing

It is re-runnable: a module already moved is not moved again, and the rewriting of imports and
paths only touches what still names an old module, so a second run changes nothing, and a run
after a later merge rewrites only what that merge brought in with the old names.

Target layout (`services/intake/sosa/intake/`; old module -> new module):

commands/  the one accept path: every command built before I/O and stored with its outbox row,
           idempotency key and audit entry by group commit
    submissions.py     -> commands/submissions.py
    lifecycle.py       -> commands/follow_ups.py      (the commands after a submission; the name
                                                       no longer overlaps decisions/lifecycle)
    posture_change.py  -> commands/posture_change.py
    writes.py          -> commands/writes.py
    idempotency.py     -> commands/idempotency.py
    command_log.py     -> commands/command_log.py
    evaluation.py      -> commands/evaluation.py      (the dry run)
    schemas.py         -> commands/answers.py         (the 202 answers of the write side)

views/     the read model and what reads it: views, timelines, listing, who may see a request
    views.py           -> views/models.py             (the read side's HTTP shapes)
    read_model.py      -> views/read_model.py
    view_changes.py    -> views/changes.py
    timeline.py        -> views/timeline.py
    request_queries.py -> views/queries.py
    listing.py         -> views/listing.py
    list_filters.py    -> views/list_filters.py
    cursor.py          -> views/cursor.py
    access.py          -> views/access.py
    ratings.py         -> views/ratings.py
    links.py           -> views/links.py
    work_order.py      -> views/work_order.py

parties/   parties, their attributes and keys, and the registry facts commands are checked against
    party_registry.py   -> parties/registry.py
    party_attributes.py -> parties/attributes.py
    party_facts.py      -> parties/facts.py
    party_schemas.py    -> parties/schemas.py

insights/  figures over the read model: analytics, the dashboard, the pipeline watch
    analytics.py          -> insights/analytics.py
    dashboard.py          -> insights/dashboard.py
    resilience_figures.py -> insights/resilience_figures.py
    pipeline_watch.py     -> insights/pipeline_watch.py

Staying where they are: api/ (the HTTP routes), app.py, runtime.py, settings.py, tables.py,
audit.py, audit_checkpoints.py, __main__.py, migrations/, static/.

What it does, in order:
1. `git mv` each old module that still exists to its new place (views.py first: the package
   views/ takes its name), creating each package's `__init__.py` with its docstring;
2. in every file git tracks (Python, Markdown, TOML, shell, YAML, JSON, INI, text), rewrites
   - `from sosa.intake import a, b` (one line or parenthesised) so that each moved name is
     imported from its package, under its old name when it was renamed
     (`from sosa.intake.views import models as views`);
   - dotted names `sosa.intake.<old>` (imports, `python -m`, patch targets, prose) to the new
     dotted name; `sosa.intake.views`, which names the new package too, only in an import of the
     old module's names or before one of its classes (prose that meant the old module: by hand);
   - paths `sosa/intake/<old>.py` and `intake/<old>.py` to the new path;
3. runs `uv run ruff check --fix` and `uv run ruff format` on the Python files it changed (to
   sort the imports it split), when `uv` is on PATH.
Then run `make lint typecheck arch` and the tests; docs/architecture.md ("Intake's layout")
describes this layout as the one intake is moving to: say there that it has moved.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT_PACKAGE = Path("services/intake/sosa/intake")

MOVES: tuple[tuple[str, str], ...] = (
    ("views", "views.models"),  # first: the package views/ takes the module's name
    ("submissions", "commands.submissions"),
    ("lifecycle", "commands.follow_ups"),
    ("posture_change", "commands.posture_change"),
    ("writes", "commands.writes"),
    ("idempotency", "commands.idempotency"),
    ("command_log", "commands.command_log"),
    ("evaluation", "commands.evaluation"),
    ("schemas", "commands.answers"),
    ("read_model", "views.read_model"),
    ("view_changes", "views.changes"),
    ("timeline", "views.timeline"),
    ("request_queries", "views.queries"),
    ("listing", "views.listing"),
    ("list_filters", "views.list_filters"),
    ("cursor", "views.cursor"),
    ("access", "views.access"),
    ("ratings", "views.ratings"),
    ("links", "views.links"),
    ("work_order", "views.work_order"),
    ("party_registry", "parties.registry"),
    ("party_attributes", "parties.attributes"),
    ("party_facts", "parties.facts"),
    ("party_schemas", "parties.schemas"),
    ("analytics", "insights.analytics"),
    ("dashboard", "insights.dashboard"),
    ("resilience_figures", "insights.resilience_figures"),
    ("pipeline_watch", "insights.pipeline_watch"),
)

PACKAGES: dict[str, str] = {
    "commands": "Intake's one accept path: every command (submit, the commands after it, the "
    "posture PUT)\nbuilt before any I/O and stored with its outbox row, idempotency key and audit "
    "entry by group\ncommit (`writes.store_all`); and the dry run.",
    "views": "Intake's read model and what reads it: each request's view and timeline, built "
    "only from\n`sosa.outcomes.v1`; the list and its cursors; who may see a request "
    "(`access`); a supplier's\nwork order.",
    "parties": "Parties as intake keeps them: the registry, their attributes and API keys, and "
    "the facts\ncommands are checked against.",
    "insights": "Figures over the read model: the resilience analytics, the operations "
    "dashboard, and the\npipeline watch (consumer lag, dead letters).",
}

TEXT_SUFFIXES = {".py", ".md", ".toml", ".sh", ".cfg", ".ini", ".yml", ".yaml", ".json", ".txt"}
OLD = dict(MOVES)
LEAVES: dict[str, set[str]] = {}
for _new in OLD.values():
    _package, _leaf = _new.split(".")
    LEAVES.setdefault(_package, set()).add(_leaf)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def tracked_text_files() -> list[Path]:
    names = run("git", "ls-files", "-z").split("\0")
    return [Path(n) for n in names if n and Path(n).suffix in TEXT_SUFFIXES and Path(n).is_file()]


def move_files(dry_run: bool) -> list[str]:
    done: list[str] = []
    for package, doc in PACKAGES.items():
        init = ROOT_PACKAGE / package / "__init__.py"
        if not init.exists():
            done.append(f"create {init}")
            if not dry_run:
                # views.py must leave first: the package directory takes its name
                if package == "views" and (ROOT_PACKAGE / "views.py").is_file():
                    temporary = ROOT_PACKAGE / "_views_module.py"
                    run("git", "mv", str(ROOT_PACKAGE / "views.py"), str(temporary))
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text(f'"""{doc}"""\n', encoding="utf-8")
                run("git", "add", str(init))
    for old, new in MOVES:
        source = ROOT_PACKAGE / f"{old}.py"
        if old == "views" and (ROOT_PACKAGE / "_views_module.py").is_file():
            source = ROOT_PACKAGE / "_views_module.py"
        target = ROOT_PACKAGE / (new.replace(".", "/") + ".py")
        if not source.is_file():
            continue
        if target.exists():
            sys.exit(f"both {source} and {target} exist: merge them by hand, then run again")
        done.append(f"git mv {source} {target}")
        if not dry_run:
            run("git", "mv", str(source), str(target))
    return done


def _dotted_pattern(old: str) -> re.Pattern[str]:
    """`sosa.intake.<old>` as a whole dotted name, never a prefix of a longer one."""
    guard = ""
    if old in LEAVES:
        # `sosa.intake.views` names the package once moved: rewrite only what can name the old
        # module alone, an import of its names (not `from sosa.intake.views import access`,
        # which this script writes) or one of its classes (`sosa.intake.views.RequestView`)
        leaves = "(?:" + "|".join(sorted(LEAVES[old])) + r")\b"
        guard = r"(?=\s+import\s+(?!\(?\s*" + leaves + r")|\.[A-Z])"
    return re.compile(r"(?<![\w.])sosa\.intake\." + re.escape(old) + r"(?![\w])" + guard)


DOTTED = [(_dotted_pattern(old), f"sosa.intake.{new}") for old, new in MOVES]
PATHS = [
    (
        re.compile(r"(?<![\w.])sosa/intake/" + re.escape(old) + r"\.py\b"),
        f"sosa/intake/{new.replace('.', '/')}.py",
    )
    for old, new in MOVES
] + [
    (
        re.compile(r"(?<![\w/.])intake/" + re.escape(old) + r"\.py\b"),
        f"intake/{new.replace('.', '/')}.py",
    )
    for old, new in MOVES
]
FROM_INTAKE = re.compile(
    r"^(?P<indent>[ \t]*)from sosa\.intake import (?P<names>\([^)]*\)|[^\n(]+?)[ \t]*$",
    re.MULTILINE,
)


def _split_import(match: re.Match[str]) -> str:
    indent = match["indent"]
    names = [n.strip() for n in match["names"].strip("()").replace("\n", " ").split(",")]
    kept: list[str] = []
    moved: list[str] = []
    for entry in filter(None, names):
        name, _, alias = (part.strip() for part in entry.partition(" as "))
        if name not in OLD:
            kept.append(entry)
            continue
        package, leaf = OLD[name].split(".")
        bound = alias or name
        suffix = f" as {bound}" if bound != leaf else ""
        moved.append(f"{indent}from sosa.intake.{package} import {leaf}{suffix}")
    if not moved:
        return match[0]
    lines = [f"{indent}from sosa.intake import {', '.join(kept)}"] if kept else []
    return "\n".join(lines + moved)


def rewrite(text: str) -> str:
    text = FROM_INTAKE.sub(_split_import, text)
    for pattern, new in DOTTED + PATHS:
        text = pattern.sub(new, text)
    return text


def rewrite_files(dry_run: bool) -> list[Path]:
    changed: list[Path] = []
    for path in tracked_text_files():
        before = path.read_text(encoding="utf-8", errors="surrogateescape")
        after = rewrite(before)
        if after != before:
            changed.append(path)
            if not dry_run:
                path.write_text(after, encoding="utf-8", errors="surrogateescape")
    return changed


def tidy(python_files: list[Path]) -> None:
    """Sort the imports it split and format; then name the lines the longer names made too long
    (in prose and comments: shorten them by hand)."""
    uv = shutil.which("uv") or shutil.which("uv", path=".tools/bin")
    if not python_files or uv is None:
        if python_files:
            print("uv not found (PATH or .tools/bin): run `make format lint` yourself")
        return
    names = [str(p) for p in python_files]
    subprocess.run([uv, "run", "ruff", "check", "--fix", "--quiet", *names], check=False)
    subprocess.run([uv, "run", "ruff", "format", "--quiet", *names], check=False)
    long_lines = subprocess.run(
        [uv, "run", "ruff", "check", "--select", "E501", "--output-format", "concise", *names],
        check=False,
        capture_output=True,
        text=True,
    ).stdout
    if "E501" in long_lines:
        print("lines now too long, to shorten by hand:")
        print("\n".join(line for line in long_lines.splitlines() if "E501" in line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change; change nothing"
    )
    args = parser.parse_args()
    if not (ROOT_PACKAGE / "app.py").is_file() or not Path(".git").exists():
        sys.exit("run from the root of a sosa checkout (services/intake/sosa/intake/app.py)")
    moves = move_files(args.dry_run)
    if args.dry_run and moves:
        # the rewriting below reads files where they are now; say it and stop
        print("\n".join(moves))
        print(f"{len(moves)} move(s); imports and paths would then be rewritten")
        return
    changed = rewrite_files(args.dry_run)
    if not args.dry_run:
        tidy([p for p in changed if p.suffix == ".py" and p.exists()])
    for line in moves:
        print(line)
    for path in changed:
        print(f"rewrote {path}")
    print(f"{len(moves)} move(s), {len(changed)} file(s) rewritten")


if __name__ == "__main__":
    main()
