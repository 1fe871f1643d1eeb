"""The version of the rule set and of the regulation text it encodes; every decision carries it."""

from __future__ import annotations

from typing import Final

REGULATION_VERSION: Final = "15CFR700@2024-08-21"
"""15 CFR 700 as amended by 89 FR 58965 (FR Doc 2024-15370), effective 21 Aug 2024."""

RULESET_VERSION: Final = f"sosa-rules/2026.12-1 ({REGULATION_VERSION})"
"""Bump when a rule, a default data file or a rule id changes meaning."""
