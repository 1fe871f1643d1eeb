"""The URLs intake's answers link to: the one place their paths are spelled."""

from __future__ import annotations

PREFIX = "/v1/priority-requests"


def request_link(request_id: str) -> str:
    return f"{PREFIX}/{request_id}"


def command_link(request_id: str, command_id: str) -> str:
    return f"{PREFIX}/{request_id}/commands/{command_id}"
