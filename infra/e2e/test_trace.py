"""One import is one trace: the upload through the edge, core's job and its outbox
event, the worker that parses the file, and core again storing what it found, all in
one tree of spans under the client's own. The dashboard's trace reaches ai-coach and,
through it, core. Reads the spans the system exported to
E2E_SPANS_FILE (run_tests points every service at a local OTLP receiver); without that
setting it is deselected."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from .traces import Span, broken_links, in_trace, passes_through, read_spans, service_paths
from .traders import Trader

IMPORT_ROUTE = ("e2e", "edge-bff", "core-api", "workers", "core-api")
DASHBOARD_ROUTE = ("e2e", "edge-bff", "ai-coach", "core-api")
IMPORT_SECONDS = 30.0
SPANS_SECONDS = 15.0


def _executions_csv() -> bytes:
    run = uuid.uuid4().hex[:12]
    return (
        "Time,Symbol,Side,Quantity,Price,Commission,Execution ID\n"
        f"2026-09-01T10:00:00-04:00,AAPL,BUY,10,180.00,1.00,{run}-o\n"
        f"2026-09-01T10:05:00-04:00,AAPL,SELL,10,181.25,1.00,{run}-c\n"
    ).encode()


def _finished_import(api: httpx.Client, trader: Trader, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + IMPORT_SECONDS
    while True:
        answer = api.get(f"/api/v1/imports/{job_id}", headers=trader.bearer)
        job: dict[str, Any] = answer.raise_for_status().json()
        if job["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def _client_span(name: str) -> tuple[Span, dict[str, str]]:
    """This test's own span, the trace's root, like a browser that sends `traceparent`;
    and the header that carries it."""
    span = Span(secrets.token_hex(16), secrets.token_hex(8), None, name, "client", "e2e", 0, 0)
    return span, {"traceparent": f"00-{span.trace_id}-{span.span_id}-01"}


def _settled_trace(root: Span, route: tuple[str, ...]) -> list[Span]:
    """The root and the spans received in its trace once they make the whole route, or
    as far as they got when SPANS_SECONDS ran out: services export in batches, a child
    often before its parent."""
    spans_file = Path(os.environ["E2E_SPANS_FILE"])
    deadline = time.monotonic() + SPANS_SECONDS
    while True:
        trace = [root, *in_trace(read_spans(spans_file), root.trace_id)]
        whole = passes_through(trace, route) and not broken_links(trace)
        if whole or time.monotonic() > deadline:
            return trace
        time.sleep(0.3)


@pytest.mark.spans
def test_one_import_is_one_connected_trace(api: httpx.Client, trader: Trader) -> None:
    upload_span, traceparent = _client_span("upload")
    upload = api.post(
        "/api/v1/imports",
        files={"file": ("executions.csv", _executions_csv(), "text/csv")},
        data={"account_id": trader.account_id},
        headers={
            **trader.bearer,
            **traceparent,
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    assert upload.status_code == 202, upload.text
    job = _finished_import(api, trader, upload.json()["id"])
    assert job["status"] == "completed", job

    trace = _settled_trace(upload_span, IMPORT_ROUTE)
    assert trace[1:], f"no span of trace {upload_span.trace_id} reached the receiver"
    assert broken_links(trace) == []
    assert passes_through(trace, IMPORT_ROUTE), sorted(service_paths(trace))
    # HTTP calls both ways, and the outbox event published and consumed on the bus.
    assert {span.kind for span in trace} >= {"client", "server", "producer", "consumer"}


@pytest.mark.spans
def test_the_dashboard_is_one_trace_through_the_coach(api: httpx.Client, trader: Trader) -> None:
    dashboard_span, traceparent = _client_span("dashboard")
    dashboard = api.get("/api/v1/dashboard", headers={**trader.session, **traceparent})
    assert dashboard.status_code == 200, dashboard.text
    assert dashboard.json()["partial"] == [], dashboard.json()

    trace = _settled_trace(dashboard_span, DASHBOARD_ROUTE)
    assert broken_links(trace) == []
    assert passes_through(trace, DASHBOARD_ROUTE), sorted(service_paths(trace))
