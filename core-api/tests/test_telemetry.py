"""Telemetry: RED and core's own series at /metrics, spans that continue the caller's trace
into the outbox, JSON log lines without secrets, readiness of each dependency."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tradeloop_contracts.telemetry import capture_spans

from core_api.app import create_app
from core_api.cli import alembic_config
from core_api.config import Settings
from tests.conftest import Trader, events_of

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


def sample(metrics: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of the series `name` with exactly `labels`, or None when it is absent."""
    for family in text_string_to_metric_families(metrics):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None


def accounts_counted(client: TestClient, status: str) -> float:
    labels = {"service": "core-api", "method": "GET", "route": "/v1/accounts", "status": status}
    return sample(client.get("/metrics").text, "http_requests_total", labels) or 0.0


def accounts_timed(client: TestClient) -> float:
    labels = {"service": "core-api", "method": "GET", "route": "/v1/accounts"}
    metrics = client.get("/metrics").text
    return sample(metrics, "http_request_duration_seconds_count", labels) or 0.0


class TestMetrics:
    def test_each_request_is_counted_and_timed_by_its_route_template(
        self, client: TestClient, trader: Trader
    ) -> None:
        before_ok, before_refused = accounts_counted(client, "200"), accounts_counted(client, "401")
        before_timed = accounts_timed(client)

        client.get("/v1/accounts", headers=trader.headers)
        client.get("/v1/accounts", headers=trader.headers)
        client.get("/v1/accounts")
        response = client.get("/metrics")

        assert response.headers["content-type"].startswith("text/plain")
        assert accounts_counted(client, "200") == before_ok + 2
        assert accounts_counted(client, "401") == before_refused + 1
        assert accounts_timed(client) == before_timed + 3

    def test_the_pool_of_the_database_is_exposed_by_state(self, client: TestClient) -> None:
        assert client.get("/readyz").status_code == 200
        metrics = client.get("/metrics").text

        for state in ("in_use", "idle"):
            labels = {"service": "core-api", "state": state}
            assert sample(metrics, "db_pool_connections", labels) is not None

    def test_each_sealing_key_shows_how_often_it_sealed(
        self, client: TestClient, trader: Trader
    ) -> None:
        def sealed() -> float | None:
            metrics = client.get("/metrics").text
            return sample(metrics, "sealing_key_encryptions", {"key_id": "dev-1"})

        before = sealed()
        response = client.post(
            "/v1/broker-connections",
            json={
                "broker": "alpaca",
                "environment": "paper",
                "label": "Alpaca paper",
                "account_id": str(trader.account_id),
                "api_key_id": "PKMETRICSKEY",
                "api_secret": "metrics-secret",
            },
            headers=trader.headers,
        )

        assert response.status_code == 201, response.text
        assert before is not None
        # The key id and the secret are sealed one by one.
        assert sealed() == before + 2


class TestTracing:
    def test_a_request_continues_the_callers_trace_into_the_events_it_writes(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        with capture_spans("core-api") as exporter:
            response = client.post(
                "/v1/journal/entries",
                json={"day": "2026-03-02", "body": "Waited for the setup."},
                headers={**trader.headers, "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"},
            )

        assert response.status_code == 201, response.text
        [span] = [s for s in exporter.get_finished_spans() if s.name == "POST /v1/journal/entries"]
        assert span.kind == SpanKind.SERVER
        assert format(span.context.trace_id, "032x") == TRACE_ID
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == CALLER_SPAN_ID
        assert span.attributes is not None
        assert span.attributes["http.response.status_code"] == 201
        own = f"00-{TRACE_ID}-{format(span.context.span_id, '016x')}-01"
        assert response.headers["traceparent"] == own
        [event] = events_of(session, trader.id, "journal.entry_saved.v1")
        assert event["traceparent"] == own

    def test_a_request_without_a_caller_starts_its_own_trace(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        with capture_spans("core-api") as exporter:
            client.post(
                "/v1/journal/entries",
                json={"day": "2026-03-03", "body": "No trade today."},
                headers=trader.headers,
            )

        [span] = [s for s in exporter.get_finished_spans() if s.name == "POST /v1/journal/entries"]
        assert span.parent is None
        [event] = events_of(session, trader.id, "journal.entry_saved.v1")
        assert event["traceparent"].split("-")[1] == format(span.context.trace_id, "032x")


@contextmanager
def served(settings: Settings) -> Iterator[TestClient]:
    """A client of an app on its own engine, disposed of afterwards."""
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.core.engine.dispose()


class TestReadiness:
    def test_a_database_that_does_not_answer_is_named(self, tmp_path: Path) -> None:
        settings = Settings(
            database_url=f"postgresql://postgres@127.0.0.1:{closed_port()}/core",
            data_dir=tmp_path,
        )
        with served(settings) as client:
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Not answering: database."

    def test_an_object_store_that_does_not_answer_is_named(
        self, database_url: str, tmp_path: Path
    ) -> None:
        objects = tmp_path / "objects"
        settings = Settings(
            database_url=database_url, data_dir=tmp_path, object_store_url=objects.as_uri()
        )
        with served(settings) as client:
            assert client.get("/readyz").status_code == 200
            # The folder the store serves is gone, and a file stands in its place.
            shutil.rmtree(objects)
            objects.write_text("not a folder")
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["detail"] == "Not answering: object store."


class TestSettings:
    def test_telemetry_is_off_by_default_at_info(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("CORE_TRACES_EXPORTER", "CORE_TRACES_ENDPOINT", "CORE_LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
        settings = Settings()
        assert (settings.traces_exporter, settings.traces_url, settings.log_level) == (
            "none",
            None,
            "INFO",
        )

    def test_the_endpoint_is_a_base_url_and_the_level_any_case(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CORE_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("CORE_TRACES_ENDPOINT", "http://127.0.0.1:4318/")
        monkeypatch.setenv("CORE_LOG_LEVEL", "warning")
        settings = Settings()
        assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
        assert settings.log_level == "WARNING"

    def test_an_empty_endpoint_leaves_it_to_the_standard_variables(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CORE_TRACES_ENDPOINT", "")
        assert Settings().traces_url is None

    def test_an_unknown_exporter_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CORE_TRACES_EXPORTER", "jaeger")
        with pytest.raises(ValidationError, match="traces_exporter"):
            Settings()


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served_core(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`core-api serve` in its own process at DEBUG level, on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'core.db'}"
    command.upgrade(alembic_config(url), "head")
    port = closed_port()
    env = {
        **os.environ,
        "CORE_PORT": str(port),
        "CORE_DATA_DIR": str(tmp_path),
        "CORE_DATABASE_URL": url,
        "CORE_LOG_LEVEL": "debug",
        "CORE_TRACES_EXPORTER": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "core_api.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base_url}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)  # closes the pipe


class TestLogs:
    def test_log_lines_are_json_with_trace_and_trader_and_never_a_secret(
        self, served_core: tuple[str, subprocess.Popen[str]]
    ) -> None:
        base_url, process = served_core
        planted = {
            "password": "planted-password-5d2b",
            "wrong password": "planted-wrong-password-77e1",
            "broker key": "PKPLANTEDKEY9Q",
            "broker secret": "planted-broker-secret-8a4c",
            "query token": "tlp_plantedapitoken0123456789",
            "service secret": "dev-workers-secret",
        }
        email = f"trader-{uuid.uuid4().hex[:10]}@example.com"
        credentials = {"email": email, "password": planted["password"]}
        with httpx.Client(base_url=base_url) as client:
            assert client.post("/v1/auth/signup", json=credentials).status_code == 201
            wrong = {**credentials, "password": planted["wrong password"]}
            assert client.post("/v1/auth/login", json=wrong).status_code == 401
            tokens = client.post("/v1/auth/login", json=credentials).json()
            trader = {"Authorization": f"Bearer {tokens['access_token']}"}
            me = client.get("/v1/me", headers=trader).json()
            [account] = client.get("/v1/accounts", headers=trader).json()["items"]
            connection = {
                "broker": "alpaca",
                "environment": "paper",
                "label": "Alpaca paper",
                "account_id": account["id"],
                "api_key_id": planted["broker key"],
                "api_secret": planted["broker secret"],
            }
            client.post("/v1/broker-connections", json=connection, headers=trader)
            client.get(f"/v1/positions?token={planted['query token']}", headers=trader)
            service = client.post(
                "/internal/token",
                json={"client_id": "workers", "client_secret": planted["service secret"]},
            ).json()
            workers = {"Authorization": f"Bearer {service['access_token']}"}
            client.get(f"/internal/users/{me['id']}/positions", headers=workers)
        process.terminate()
        output, _ = process.communicate(timeout=10)

        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert {line["service"] for line in lines} == {"core-api"}
        for path in ("/v1/accounts", f"/internal/users/{me['id']}/positions"):
            answered = [line for line in lines if f"GET {path} " in line["message"]]
            assert any(
                line["user_id"] == me["id"] and line["trace_id"] is not None for line in answered
            ), (path, answered)
        secrets = [*planted.values(), tokens["access_token"], tokens["refresh_token"]]
        secrets.append(service["access_token"])
        for secret in secrets:
            assert secret not in output, "a secret reached the log"
