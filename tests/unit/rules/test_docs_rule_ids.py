"""Every rule id the documentation mentions exists in the catalog (#26): a sample output or a
walkthrough naming a rule that was renamed or never was misleads whoever checks it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sosa.rules import CATALOG, RuleId

ROOT = Path(__file__).parents[3]
DOCS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"])
IDS = {str(r) for r in RuleId}
# a rule id begins like one of the catalog's; `SOSA_` alone also begins every setting
# (SOSA_TOPIC_PREFIX), so there the second word must be one a SOSA rule id has
FIRST = sorted({i.split("_")[0] for i in IDS} - {"SOSA"})
SOSA_SECOND = sorted({i.split("_")[1] for i in IDS if i.startswith("SOSA_")})
MENTION = re.compile(
    rf"\b(?:(?:{'|'.join(FIRST)})|SOSA_(?:{'|'.join(SOSA_SECOND)}))_[A-Z0-9_]*[A-Z0-9]\b"
)


def mentioned(text: str) -> set[str]:
    return set(MENTION.findall(text))


def test_the_pattern_finds_rule_ids_and_not_settings() -> None:
    text = (
        "`DPAS_700_13_A1_ACCEPTED`, SOSA_VOLUNTARY_PATH; SOSA_TOPIC_PREFIX, SOSA_RATE_LIMIT_BURST"
    )
    assert mentioned(text) == {"DPAS_700_13_A1_ACCEPTED", "SOSA_VOLUNTARY_PATH"}
    assert mentioned("| DPAS_700_13_C_ACCEPT_OR_REJECT: …") == {"DPAS_700_13_C_ACCEPT_OR_REJECT"}
    assert set(CATALOG) == set(RuleId)


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_rule_id_a_document_mentions_exists(doc: Path) -> None:
    unknown = mentioned(doc.read_text("utf-8")) - IDS
    assert unknown == set(), f"{doc.name} names rule ids the catalog does not have"
