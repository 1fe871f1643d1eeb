"""No HTTP input gets a 5xx: intake and the notifier, running as processes, answer every malformed
or out-of-range input with a 4xx, and a malformed parameter with a 422 problem naming it.

- Fuzzing: schemathesis against the OpenAPI documents of both services, authenticated as an
  operator (the bootstrap key), a bounded number of cases per operation: path and query
  parameters, the headers the documents declare (`Idempotency-Key`) and bodies, valid and not,
  every time among them also without offset or in years 1-9999 (tests/e2e/fuzz_hooks.py).
  Passes when no answer is a 5xx and every answer matches its documented schema.
  Left out: the live stream (an answer that never ends: its `Last-Event-ID` and query have the
  table below) and the two operations that take a webhook URL (the SSRF guard resolves the host
  name: fuzzed names would make DNS queries off this machine; their validation is covered in
  tests/e2e/test_notifier_ssrf.py).
- The inputs an attack run answered with a 5xx (issue #22) and their kin, one row each: times
  without offset or outside 1900-2200, ids PostgreSQL cannot hold, counts past any bound,
  cursors that were tampered with, headers of the wrong shape.
- Every forged bearer token (tests/e2e/forged_tokens.py) is a 401 on both services.
- Headers every route reads that no document can declare (trace context, X-Forwarded-For, CORS,
  Authorization itself) with hostile values: never a 5xx.

One stack for the whole module: nothing here depends on what another test stored.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sosa.intake.views.list_filters import ListFilters
from tests.e2e.credentials import BOOTSTRAP_OPERATOR_KEY
from tests.e2e.forged_tokens import BAD_TOKENS
from tests.e2e.stack import Stack
from tests.e2e.test_walking_skeleton import DPAS_REQUEST

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.db]
MAX_EXAMPLES = int(os.environ.get("SOSA_FUZZ_MAX_EXAMPLES", "25"))
EXCLUDED = {
    "notifier": [
        "--exclude-path=/v1/stream",
        "--exclude-operation-id=create_endpoint_v1_endpoints_post",
        "--exclude-operation-id=patch_endpoint_v1_endpoints__endpoint_id__patch",
    ],
    "intake": [],
}
OPERATOR = {"Authorization": f"Bearer {BOOTSTRAP_OPERATOR_KEY}"}
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
"""Times of any year, with extreme offsets or none, for every `date-time` it generates."""


def fuzz(url: str, service: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run schemathesis; what it keeps between runs stays in `workdir`."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks=not_a_server_error,response_schema_conformance",
        f"--max-examples={MAX_EXAMPLES}",
        "--phases=examples,coverage,fuzzing",
        "--mode=all",  # valid and invalid values of every parameter, header and body
        "--generation-allow-x00=true",  # NUL bytes: PostgreSQL refuses them in text
        "--generation-deterministic",
        "--generation-with-security-parameters=false",
        f"--header=Authorization: Bearer {BOOTSTRAP_OPERATOR_KEY}",
        "--request-timeout=10",
        "--continue-on-failure",
        "--no-color",
        *EXCLUDED[service],
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=workdir,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )


@pytest.mark.timeout(900)
@pytest.mark.parametrize("service", ["intake", "notifier"])
async def test_fuzzing_finds_no_server_error_and_no_answer_off_its_schema(
    shared_stack: Stack, tmp_path: Path, service: str
) -> None:
    result = await asyncio.to_thread(fuzz, shared_stack.url(service), service, tmp_path)
    report = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, report
    assert "No issues found" in result.stdout or "passed" in result.stdout, report


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


def _cursor(**fields: Any) -> str:
    """A cursor as a client could forge one, for the list with no filters (its key is public)."""
    raw = {"r": "2026-12-01T15:00:00+00:00", "i": "x", "q": ListFilters().key(), **fields}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def _order_cursor(**fields: Any) -> str:
    """A work order's cursor as a client could forge one, for acme-valves' work order."""
    raw = {
        "p": 1,
        "d": "2027-03-01",
        "r": "2026-12-01T15:00:00+00:00",
        "i": "x",
        "n": 1,
        "q": "acme-valves",
        **fields,
    }
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Bad:
    """One bad input: where it goes, and the parameter the 422 must name."""

    service: str
    method: str
    path: str
    names: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str | bytes] = field(default_factory=dict)
    body: Any = None


def query(
    service: str,
    path: str,
    name: str,
    value: str,
    *,
    method: str = "GET",
    body: Any = None,
    good: dict[str, str] | None = None,
) -> Bad:
    """Query parameter `name` is `value`; the `good` ones are fine."""
    return Bad(service, method, path, name, params={**(good or {}), name: value}, body=body)


def header(
    service: str, path: str, name: str, value: str | bytes, *, method: str = "GET", body: Any = None
) -> Bad:
    return Bad(service, method, path, name, headers={name: value}, body=body)


def in_path(service: str, method: str, path: str, name: str, body: Any = None) -> Bad:
    return Bad(service, method, path, name, body=body)


def in_body(service: str, path: str, name: str, body: dict[str, Any]) -> Bad:
    return Bad(service, "POST", path, name, body=body)


NO_OFFSET = "2026-12-01T09:00:00"
YEAR_1 = "0001-01-01T00:00:00+14:00"  # cannot even be converted to UTC
YEAR_9999 = "9999-12-31T23:59:59-14:00"  # nor this one
BEFORE_1900 = "1899-12-31T23:59:59Z"
AFTER_2200 = "2201-01-01T00:00:00Z"
SINCE = "2026-12-01T00:00:00+00:00"
NUL = "a\x00b"  # PostgreSQL refuses a NUL byte in text
TOO_MANY = str(10**30)
INTAKE, NOTIFIER = "intake", "notifier"
LIST, EVALUATE = "/v1/priority-requests", "/v1/priority-requests/evaluate"
WORK_ORDER = "/v1/suppliers/acme-valves/work-order"
CANCEL = {"issued_by": "dod-navsea", "reason": "No longer needed."}
DELIVERIES, RECOVER = "/v1/deliveries", "/v1/deliveries/recover"
REJECT_TOO_BUSY = {"supplier_party_id": "acme-valves", "kind": "reject", "reason": "TOO_BUSY"}
MONTH_FIRST = {"required_delivery_dates": ["03/01/2027"]}  # 1 March or 3 January?
TYPO = ["request.routd"]
UNREACHED = "http://10.1.2.3/hook"  # the body is refused before the SSRF guard looks at it
MAILBOX = "ops@example.com"

INTAKE_ROWS = {
    # times without offset or outside 1900-2200 (#22: years 1 and 9999 were 500s)
    "analytics-since-year-1": query(INTAKE, "/v1/analytics/concentration", "since", YEAR_1),
    "analytics-until-year-9999": query(INTAKE, "/v1/analytics/rates", "until", YEAR_9999),
    "analytics-since-no-offset": query(INTAKE, "/v1/analytics/answer-times", "since", NO_OFFSET),
    "analytics-since-before-1900": query(
        INTAKE, "/v1/analytics/redundancy-gaps", "since", BEFORE_1900
    ),
    "analytics-until-after-2200": query(
        INTAKE, "/v1/analytics/counter-offers", "until", AFTER_2200
    ),
    "analytics-until-not-after-since": query(
        INTAKE, "/v1/analytics/rates", "until", SINCE, good={"since": SINCE}
    ),
    "analytics-group-by-unknown": query(INTAKE, "/v1/analytics/rates", "group_by", "moon"),
    "list-due-before-year-1": query(INTAKE, LIST, "due_before", YEAR_1),
    "list-due-before-year-9999": query(INTAKE, LIST, "due_before", YEAR_9999),
    "list-due-before-no-offset": query(INTAKE, LIST, "due_before", NO_OFFSET),
    "evaluate-as-of-year-1": query(
        INTAKE, EVALUATE, "as_of", YEAR_1, method="POST", body=DPAS_REQUEST
    ),
    "evaluate-as-of-year-9999": query(
        INTAKE, EVALUATE, "as_of", YEAR_9999, method="POST", body=DPAS_REQUEST
    ),
    # rating syntax at the edge (15 CFR 700.12(a)(1)); what a symbol means stays the rules'
    "submit-rating-dq": in_body(INTAKE, LIST, "rating", {**DPAS_REQUEST, "rating": "DQ-A1"}),
    "submit-rating-no-digit": in_body(INTAKE, LIST, "rating", {**DPAS_REQUEST, "rating": "DO-A"}),
    "evaluate-rating-dq": in_body(INTAKE, EVALUATE, "rating", {**DPAS_REQUEST, "rating": "DQ-A1"}),
    # what the edge can refuse without the request's state (#26): an unknown reason code, a
    # date that is not YYYY-MM-DD, a rating with no program digit, wherever they enter
    "respond-reason-unknown": in_body(INTAKE, f"{LIST}/x/responses", "reason", REJECT_TOO_BUSY),
    "respond-reason-lower-rated": in_body(
        INTAKE,
        f"{LIST}/x/responses",
        "reason",
        {**REJECT_TOO_BUSY, "reason": "CONFLICT_WITH_UNRATED_OR_LOWER_RATED"},
    ),
    "submit-date-month-first": in_body(
        INTAKE, LIST, "required_delivery_dates.0", {**DPAS_REQUEST, **MONTH_FIRST}
    ),
    "evaluate-date-month-first": in_body(
        INTAKE, EVALUATE, "required_delivery_dates.0", {**DPAS_REQUEST, **MONTH_FIRST}
    ),
    "amend-date-month-first": in_body(
        INTAKE,
        f"{LIST}/x/amendments",
        "new_delivery_dates.0",
        {
            "issued_by": "dod-navsea",
            "kind": "schedule_change",
            "new_delivery_dates": ["03/01/2027"],
        },
    ),
    "amend-rating-no-digit": in_body(
        INTAKE,
        f"{LIST}/x/amendments",
        "new_rating",
        {"issued_by": "dod-navsea", "kind": "rating_change", "new_rating": "DO-A"},
    ),
    "authorize-rating-no-digit": in_body(
        INTAKE,
        f"{LIST}/x/authorization",
        "rating",
        {"authority_party_id": "doc-bis", "authorized": True, "reference": "R-1", "rating": "DO-A"},
    ),
    "evaluate-as-of-no-offset": query(
        INTAKE, EVALUATE, "as_of", NO_OFFSET, method="POST", body=DPAS_REQUEST
    ),
    "evaluate-as-of-after-2200": query(
        INTAKE, EVALUATE, "as_of", AFTER_2200, method="POST", body=DPAS_REQUEST
    ),
    # a decision no message may carry: a deadline that as_of pushes past 2200 (a delivery date
    # of the year 9999 is the rules' to refuse, with its citation: tests/unit/rules)
    "evaluate-deadline-past-2200": query(
        INTAKE, EVALUATE, "as_of", "2200-12-20T00:00:00Z", method="POST", body=DPAS_REQUEST
    ),
    # cursors, counts, ids
    "list-cursor-year-1": query(INTAKE, LIST, "cursor", _cursor(r=YEAR_1)),
    "list-cursor-year-9999": query(INTAKE, LIST, "cursor", _cursor(r=YEAR_9999)),
    "list-cursor-nul-id": query(INTAKE, LIST, "cursor", _cursor(i=NUL)),
    "list-cursor-garbage": query(INTAKE, LIST, "cursor", "%%%"),
    "list-limit-huge": query(INTAKE, LIST, "limit", TOO_MANY),
    # the figures' row limit (#24): 1 to 10,000
    "analytics-limit-zero": query(INTAKE, "/v1/analytics/concentration", "limit", "0"),
    "analytics-limit-over-max": query(INTAKE, "/v1/analytics/redundancy-gaps", "limit", "10001"),
    "analytics-limit-huge": query(INTAKE, "/v1/analytics/concentration", "limit", TOO_MANY),
    # the work order's page (#24): limit 1 to 1,000, a cursor of this supplier's work order
    "work-order-limit-zero": query(INTAKE, WORK_ORDER, "limit", "0"),
    "work-order-limit-over-max": query(INTAKE, WORK_ORDER, "limit", "1001"),
    "work-order-limit-huge": query(INTAKE, WORK_ORDER, "limit", TOO_MANY),
    "work-order-limit-garbage": query(INTAKE, WORK_ORDER, "limit", "ten"),
    "work-order-cursor-garbage": query(INTAKE, WORK_ORDER, "cursor", "%%%"),
    "work-order-cursor-year-9999": query(INTAKE, WORK_ORDER, "cursor", _order_cursor(r=YEAR_9999)),
    "work-order-cursor-nul-id": query(INTAKE, WORK_ORDER, "cursor", _order_cursor(i=NUL)),
    "work-order-cursor-precedence": query(INTAKE, WORK_ORDER, "cursor", _order_cursor(p=7)),
    "work-order-cursor-position-huge": query(INTAKE, WORK_ORDER, "cursor", _order_cursor(n=10**30)),
    "work-order-cursor-other-supplier": query(
        INTAKE, WORK_ORDER, "cursor", _order_cursor(q="other-firm")
    ),
    "list-supplier-nul": query(INTAKE, LIST, "supplier", NUL),
    "list-rating-unknown": query(INTAKE, LIST, "rating", "ZZ-Q9"),
    "parties-after-nul": query(INTAKE, "/v1/parties", "after", NUL),
    "dashboard-working-days-huge": query(INTAKE, "/v1/dashboard/summary", "working_days", TOO_MANY),
    "request-id-nul": in_path(INTAKE, "GET", f"{LIST}/a%00b", "request_id"),
    "request-id-too-long": in_path(INTAKE, "GET", f"{LIST}/{'r' * 200}", "request_id"),
    "command-id-nul": in_path(INTAKE, "GET", f"{LIST}/x/commands/a%00b", "command_id"),
    "command-request-id-nul": in_path(
        INTAKE, "POST", f"{LIST}/a%00b/cancellation", "request_id", CANCEL
    ),
    "party-id-nul": in_path(INTAKE, "GET", "/v1/parties/a%00b", "party_id"),
    "party-id-space": in_path(INTAKE, "PATCH", "/v1/parties/a%20b", "party_id", {}),
    "key-id-nul": in_path(INTAKE, "DELETE", "/v1/parties/sosa-operators/api-keys/a%00b", "key_id"),
    # headers
    "idempotency-key-non-ascii": header(
        INTAKE, LIST, "Idempotency-Key", b"\xff\xfe", method="POST", body=DPAS_REQUEST
    ),
    "idempotency-key-too-long": header(
        INTAKE, LIST, "Idempotency-Key", "k" * 256, method="POST", body=DPAS_REQUEST
    ),
    "idempotency-key-space": header(
        INTAKE, f"{LIST}/x/cancellation", "Idempotency-Key", "a b", method="POST", body=CANCEL
    ),
}
NOTIFIER_ROWS = {
    # times (#22: no offset in /v1/deliveries?since= was a 500; years 1 and 9999 in the
    # failures and in recover too)
    "deliveries-since-no-offset": query(NOTIFIER, DELIVERIES, "since", NO_OFFSET),
    "deliveries-since-year-1": query(NOTIFIER, DELIVERIES, "since", YEAR_1),
    "deliveries-until-year-9999": query(NOTIFIER, DELIVERIES, "until", YEAR_9999),
    "deliveries-until-no-offset": query(NOTIFIER, DELIVERIES, "until", NO_OFFSET),
    "failures-since-year-1": query(NOTIFIER, "/v1/delivery-failures", "since", YEAR_1),
    "failures-since-year-9999": query(NOTIFIER, "/v1/delivery-failures", "since", YEAR_9999),
    "failures-since-no-offset": query(NOTIFIER, "/v1/delivery-failures", "since", NO_OFFSET),
    "recover-since-year-1": in_body(NOTIFIER, RECOVER, "since", {"since": YEAR_1}),
    "recover-until-year-9999": in_body(
        NOTIFIER, RECOVER, "until", {"since": SINCE, "until": YEAR_9999}
    ),
    "recover-since-no-offset": in_body(NOTIFIER, RECOVER, "since", {"since": NO_OFFSET}),
    "recover-since-before-1900": in_body(NOTIFIER, RECOVER, "since", {"since": BEFORE_1900}),
    "recover-request-id-nul": in_body(
        NOTIFIER, RECOVER, "request_id", {"since": SINCE, "request_id": NUL}
    ),
    # ids and counts
    # an event type no message has would never fire (#26); refusals found after parsing name
    # their field too, as intake's do
    "endpoint-event-type-typo": in_body(
        NOTIFIER, "/v1/endpoints", "event_types.0", {"url": UNREACHED, "event_types": TYPO}
    ),
    "recipient-event-type-typo": in_body(
        NOTIFIER, "/v1/email-recipients", "event_types.0", {"address": MAILBOX, "event_types": TYPO}
    ),
    "endpoint-url-private": in_body(NOTIFIER, "/v1/endpoints", "url", {"url": "http://10.1.2.3/x"}),
    "recover-window-too-long": in_body(
        NOTIFIER, RECOVER, "until", {"since": SINCE, "until": "2027-06-01T00:00:00+00:00"}
    ),
    "deliveries-request-id-nul": query(NOTIFIER, DELIVERIES, "request_id", NUL),
    "deliveries-party-id-nul": query(NOTIFIER, DELIVERIES, "party_id", NUL),
    "deliveries-limit-huge": query(NOTIFIER, DELIVERIES, "limit", TOO_MANY),
    "deliveries-status-unknown": query(NOTIFIER, DELIVERIES, "status", "lost"),
    "endpoints-party-id-nul": query(NOTIFIER, "/v1/endpoints", "party_id", NUL),
    "recipients-party-id-nul": query(NOTIFIER, "/v1/email-recipients", "party_id", NUL),
    "delivery-id-nul": in_path(NOTIFIER, "GET", f"{DELIVERIES}/a%00b", "delivery_id"),
    "retry-delivery-id-nul": in_path(NOTIFIER, "POST", f"{DELIVERIES}/a%00b/retry", "delivery_id"),
    "endpoint-id-nul": in_path(NOTIFIER, "GET", "/v1/endpoints/a%00b", "endpoint_id"),
    "endpoint-id-too-long": in_path(
        NOTIFIER, "DELETE", f"/v1/endpoints/{'e' * 200}", "endpoint_id"
    ),
    "rotate-endpoint-id-nul": in_path(
        NOTIFIER, "POST", "/v1/endpoints/a%00b/secret/rotate", "endpoint_id"
    ),
    "recipient-id-nul": in_path(
        NOTIFIER, "PATCH", "/v1/email-recipients/a%00b", "recipient_id", {}
    ),
    # the live stream, refused before it starts (#22: 5,000 digits and a non-ASCII byte were 500s)
    "last-event-id-5000-digits": header(NOTIFIER, "/v1/stream", "Last-Event-ID", "9" * 5000),
    "last-event-id-superscript-two": header(NOTIFIER, "/v1/stream", "Last-Event-ID", b"\xb2"),
    "last-event-id-non-ascii-byte": header(NOTIFIER, "/v1/stream", "Last-Event-ID", b"1\xff"),
    "last-event-id-past-bigint": header(NOTIFIER, "/v1/stream", "Last-Event-ID", str(2**63)),
    "last-event-id-negative": header(NOTIFIER, "/v1/stream", "Last-Event-ID", "-1"),
    "last-event-id-not-a-number": header(NOTIFIER, "/v1/stream", "Last-Event-ID", "evt-7"),
    "last-event-id-empty": header(NOTIFIER, "/v1/stream", "Last-Event-ID", ""),
    "last-event-id-query-huge": query(NOTIFIER, "/v1/stream", "last_event_id", TOO_MANY),
    "last-event-id-query-negative": query(NOTIFIER, "/v1/stream", "last_event_id", "-5"),
    "last-event-id-query-5000-digits": query(NOTIFIER, "/v1/stream", "last_event_id", "9" * 5000),
}
ROWS = {**INTAKE_ROWS, **NOTIFIER_ROWS}


@pytest.mark.parametrize("bad", ROWS.values(), ids=ROWS.keys())
async def test_a_bad_parameter_or_header_is_a_422_naming_it(
    shared_stack: Stack, client: httpx.AsyncClient, bad: Bad
) -> None:
    async with client.stream(
        bad.method,
        shared_stack.url(bad.service) + bad.path,
        params=bad.params,
        headers={**OPERATOR, **bad.headers},
        json=bad.body,
    ) as response:  # streamed: a live stream that starts anyway fails here, and is closed
        assert response.status_code == 422, response.headers
        await response.aread()
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert bad.names in {error["field"] for error in problem["errors"]}, problem


@pytest.mark.parametrize("forge", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_every_forged_token_is_a_401_on_both_services(
    shared_stack: Stack, client: httpx.AsyncClient, forge: Callable[[], str]
) -> None:
    token = forge()
    for service in ("intake", "notifier"):
        response = await client.get(
            f"{shared_stack.url(service)}/v1/me",
            headers={"Authorization": f"Bearer {token}".encode()},
        )
        assert response.status_code == 401, (service, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


TRACEPARENT = f"00-{'a' * 32}-{'b' * 16}-01"
UNDECLARED_HEADERS = {
    "traceparent-5000-chars": ({"traceparent": "00-" + "f" * 5000}, 200),
    "traceparent-non-ascii": ({"traceparent": b"00-\xff\xfe-01"}, 200),
    "tracestate-garbage": ({"traceparent": TRACEPARENT, "tracestate": "=,=" * 500}, 200),
    "x-forwarded-for-garbage": ({"X-Forwarded-For": b"\xff, ::::, 999.1.1.1, " + b"1" * 4000}, 200),
    "origin-non-ascii": ({"Origin": b"http://\xff\xfe"}, 200),
    "accept-nonsense": ({"Accept": b"*/*;q=nope, \xe9/\xe9"}, 200),
    "authorization-scheme-only": ({"Authorization": "Bearer"}, 401),
    "authorization-non-ascii": ({"Authorization": b"Bearer \xff\xfe"}, 401),
    "authorization-many-spaces": ({"Authorization": "Bearer    x   y"}, 401),
}  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "status"), UNDECLARED_HEADERS.values(), ids=UNDECLARED_HEADERS.keys()
)
async def test_headers_read_but_not_declared_never_give_a_5xx(
    shared_stack: Stack,
    client: httpx.AsyncClient,
    headers: dict[str, str | bytes],
    status: int,
) -> None:
    """Tracing, proxies, CORS and credentials read these on every route: the documents cannot
    declare them for the fuzzing, so here are the hostile values."""
    for service in ("intake", "notifier"):
        response = await client.get(
            f"{shared_stack.url(service)}/v1/me", headers={**OPERATOR, **headers}
        )
        assert response.status_code == status, (service, response.text)
