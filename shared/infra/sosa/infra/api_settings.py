"""Settings of the services that serve a public API (intake, notifier): authentication and limits.

Every one is a `SOSA_*` environment variable (listed in .env.example). The same pepper and the
same bootstrap key must be given to intake and the notifier, so that one API key works on both.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator

from sosa.infra.settings import CommonSettings


class ApiSettings(CommonSettings):
    # --- API keys ---
    auth_pepper: SecretStr = Field(
        default=SecretStr(""),
        description="Server secret keying the HMAC-SHA256 of API keys (same on intake and "
        "notifier). Empty: a fixed label is used; set it in production.",
    )
    bootstrap_operator_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="A key that authenticates as the bootstrap operator, so that a fresh "
        "deployment can create its first parties. Only its hash is kept in memory.",
    )
    bootstrap_operator_party: str = Field(
        default="sosa-operators", description="The party the bootstrap key authenticates as."
    )

    # --- OAuth2 bearer JWTs (off unless a JWKS is configured) ---
    jwks_url: str | None = Field(default=None, description="JWKS of the trusted issuer.")
    jwks_file: Path | None = Field(default=None, description="A local JWKS (tests, development).")
    jwt_issuer: str | None = Field(default=None, description="Required `iss` of tokens.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of tokens.")
    jwt_party_claim: str = Field(default="sub", description="The claim naming the party.")
    jwt_roles_claim: str = Field(default="sosa_roles", description="The claim listing roles.")
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)

    # --- limits ---
    rate_limit_per_s: float = Field(
        default=20.0, gt=0, description="Requests per second per party (token bucket refill)."
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="Token bucket size per party.")
    auth_failure_limit: int = Field(
        default=10,
        ge=1,
        description="Failed authentications a client address may make per window; past it, "
        "its every request is 429 (credential unchecked) until the window frees a slot.",
    )
    auth_failure_window_s: float = Field(
        default=60.0, gt=0, description="The window of SOSA_AUTH_FAILURE_LIMIT, in seconds."
    )
    auth_trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Reverse proxies whose X-Forwarded-For is believed for the client address "
        "(networks, e.g. 10.0.0.0/8). Empty: the connection's peer is the client address.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )

    @field_validator(
        "bootstrap_operator_key",
        "jwks_url",
        "jwks_file",
        "jwt_issuer",
        "jwt_audience",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """`SOSA_JWKS_URL=` (as in .env.example) means not configured."""
        return None if value == "" else value
