"""The operators' CLI says clearly what it cannot do, before it reaches intake or Kafka (#26):
an unknown figure, a topic that keeps no dead letters. Exit code 2, as for any bad argument."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sosa.ops.cli import app

# nothing listens here: reaching it would fail differently (and slowly)
UNREACHABLE = {"SOSA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "SOSA_OPERATOR_API_KEY": "k"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=UNREACHABLE)
    return result.exit_code, result.output


def test_an_unknown_figure_names_the_figures() -> None:
    code, output = run("analytics", "answer-time", "--intake-url", "http://127.0.0.1:9")
    assert code == 2
    assert "no figure 'answer-time': one of concentration, redundancy-gaps, rates" in output
    assert "404" not in output


@pytest.mark.parametrize("command", ["list", "replay"])
def test_a_topic_without_dead_letters_is_refused_before_kafka(command: str) -> None:
    code, output = run("dlq", command, "--topic", "nope")
    assert code == 2
    assert "no dead-letter topic for 'nope'" in output
    assert "sosa.requests.v1, sosa.outcomes.v1, sosa.parties.v1" in output
