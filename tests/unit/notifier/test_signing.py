"""Signatures made here verify with the Standard Webhooks reference library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sosa.notifier.signing import new_secret, signed_headers


def test_signature_verifies_with_the_reference_library() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    body = '{"type":"request.routed"}'
    headers = signed_headers(secret, message_id="evt-1", sent_at=now, body=body)
    assert headers["webhook-id"] == "evt-1"
    assert Webhook(secret).verify(body, headers) == {"type": "request.routed"}


def test_a_changed_body_fails_verification() -> None:
    secret = new_secret()
    headers = signed_headers(secret, message_id="evt-1", sent_at=datetime.now(UTC), body="{}")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"x":1}', headers)


def test_secrets_are_fresh_and_prefixed() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second


def test_during_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    body = '{"type":"request.routed"}'
    headers = signed_headers([new, old], message_id="evt-1", sent_at=datetime.now(UTC), body=body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers) == {"type": "request.routed"}
    assert Webhook(new).verify(body, headers) == {"type": "request.routed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
