"""Traces, metrics and logs: one trace from an outbox row to the calls back to core, the
series on `/metrics`, and JSON log lines that never carry a secret."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import httpx
import obstore
import pytest
from obstore.store import LocalStore
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from tradeloop_contracts import Event, ImportRequested, UserEventData
from tradeloop_contracts.bus import Bus
from tradeloop_contracts.telemetry import capture_spans

from tests.factories import event_of, generic_csv, import_requested
from tests.processes import running_workers, start_worker, wait_until, worker_environment
from tests.stub_core import CLIENT_SECRET, StubCore
from workers.core import CoreClient
from workers.imports.job import ImportJob
from workers.imports.parse_process import ParseProcess
from workers.imports.storage import open_object_store
from workers.relay import OutboxRelay
from workers.telemetry import traces_url

pytestmark = pytest.mark.anyio
BAD_ROW = b"2024-03-04 09:59:00,AAPL,BUY,10,abc,E-bad\n"


def upstream_traceparent() -> tuple[str, str, str]:
    """A sampled W3C traceparent as core's request would write it, with its two ids."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def staged_import(stub_core: StubCore, store: LocalStore, rows: int) -> ImportRequested:
    """An import core knows, whose raw file has `rows` valid executions and one bad row."""
    request = import_requested()
    obstore.put(store, request.object_key, generic_csv(rows) + BAD_ROW)
    stub_core.add_import(request)
    return request


def sample(exposition: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of the sample `name` whose labels include `labels`, or None."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and labels.items() <= found.labels.items():
                return float(found.value)
    return None


async def handle_one(bus: Bus, job: ImportJob) -> None:
    """Consume the import family as group `workers` until one event was handled."""
    stop = asyncio.Event()

    async def handle(event: Event[UserEventData]) -> None:
        await job.handle(event)
        stop.set()

    consuming = bus.consume(
        group="workers", consumer="one", families=["import"], handler=handle, stop=stop
    )
    await asyncio.wait_for(consuming, 10)


def parent_of(span: ReadableSpan) -> str | None:
    return format(span.parent.span_id, "016x") if span.parent else None


class TestOneTrace:
    async def test_an_outbox_row_is_relayed_handled_and_sent_back_to_core_in_its_trace(
        self,
        core: CoreClient,
        stub_core: StubCore,
        bus: Bus,
        object_store: LocalStore,
        parser: ParseProcess,
    ) -> None:
        traceparent, trace_id, request_span_id = upstream_traceparent()
        request = staged_import(stub_core, object_store, rows=3)
        stub_core.add_to_outbox(event_of(request).model_copy(update={"traceparent": traceparent}))

        with capture_spans("workers") as exporter:
            await OutboxRelay(core, bus).relay_once()
            polled = len(stub_core.traceparents)
            await handle_one(bus, ImportJob(core, object_store, parser))
        spans = exporter.get_finished_spans()

        assert {format(span.context.trace_id, "032x") for span in spans} == {trace_id}
        [publish] = [span for span in spans if span.kind == SpanKind.PRODUCER]
        [consume] = [span for span in spans if span.kind == SpanKind.CONSUMER]
        assert parent_of(publish) == request_span_id
        assert parent_of(consume) == format(publish.context.span_id, "016x")
        calls = [span for span in spans if span.kind == SpanKind.CLIENT]
        assert calls
        assert {parent_of(call) for call in calls} == {format(consume.context.span_id, "016x")}
        # Core is told the trace on every call of the import; the relay's polling is
        # not sampled, so core does not trace it either.
        handling = stub_core.traceparents[polled:]
        assert handling
        assert all(header and header.split("-")[1] == trace_id for header in handling)
        assert all(header and header.endswith("-00") for header in stub_core.traceparents[:polled])


class TestSettings:
    @pytest.mark.parametrize(
        ("base_url", "expected"),
        [
            ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces"),
            ("https://collector.example/otlp/", "https://collector.example/otlp/v1/traces"),
            ("", None),
        ],
    )
    def test_the_traces_endpoint_is_a_base_url(self, base_url: str, expected: str | None) -> None:
        assert traces_url(base_url) == expected


class TestAWorkerProcess:
    def test_it_logs_json_lines_without_secrets_in_the_trace_and_counts_what_it_did(
        self, stub_core: StubCore, tmp_path: Path
    ) -> None:
        traceparent, trace_id, _ = upstream_traceparent()
        store = open_object_store((tmp_path / "objects").as_uri())
        assert isinstance(store, LocalStore)
        request = staged_import(stub_core, store, rows=4)
        stub_core.add_to_outbox(event_of(request).model_copy(update={"traceparent": traceparent}))
        environment = worker_environment(
            stub_core=stub_core,
            bus_url=f"sqlite:///{tmp_path}/bus.db",
            folder=tmp_path,
            log_level="debug",
        )
        with running_workers() as started:
            worker = start_worker(started, environment, tmp_path, "telemetry")
            wait_until(lambda: request.import_id in stub_core.finished, 30, "the import")
            base = f"http://127.0.0.1:{worker.port}"
            assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            assert worker.terminate() == 0

        series = {"format": "generic_csv", "outcome": "completed"}
        assert sample(metrics, "import_duration_seconds_bucket", {**series, "le": "60.0"}) == 1
        rows = {"format": "generic_csv"}
        assert sample(metrics, "import_rows_total", {**rows, "outcome": "accepted"}) == 4
        assert sample(metrics, "import_rows_total", {**rows, "outcome": "rejected"}) == 1
        group = {"stream": "import", "group": "workers"}
        assert sample(metrics, "bus_handler_duration_seconds_count", group) == 1
        assert sample(metrics, "bus_consumer_lag", group) is not None
        assert sample(metrics, "bus_dead_letters", group) == 0
        readyz = {"service": "workers", "route": "/readyz", "status": "200"}
        assert sample(metrics, "http_requests_total", readyz) == 1

        output = worker.output()
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert {line["service"] for line in lines} == {"workers"}
        [finished] = [
            line for line in lines if f"import {request.import_id} completed" in line["message"]
        ]
        assert (finished["trace_id"], finished["user_id"]) == (trace_id, str(request.user_id))
        planted = [CLIENT_SECRET, *stub_core.tokens]
        assert len(planted) > 1
        assert not [secret for secret in planted if secret in output]
