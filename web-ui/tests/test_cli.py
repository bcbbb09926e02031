import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from tradeloop_contracts import Problem

from tests.conftest import SESSION_COOKIE
from tests.factories import a_journal_page, a_position, a_user
from tests.stub_edge import StubEdge
from web_ui.cli import main


class TestCommand:
    def test_an_unknown_command_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["deploy"])

        assert exited.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served_web_ui(stub: tuple[StubEdge, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`web-ui serve` in its own process on WEB_PORT at DEBUG level, in front of the stub
    edge (the command's own test: it starts, listens where told and logs as configured)."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "WEB_EDGE_URL": stub[1],
        "WEB_LOG_LEVEL": "debug",
        "WEB_TRACES_EXPORTER": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "web_ui", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        answer = None
        for _ in range(400):
            try:
                answer = httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer is not None, "web-ui serve did not start listening on WEB_PORT"
        assert answer.json() == {"status": "ok"}
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


class TestServe:
    def test_log_lines_are_json_with_trace_and_trader_and_never_a_secret(
        self, served_web_ui: tuple[str, subprocess.Popen[str]], edge: StubEdge
    ) -> None:
        url, process = served_web_ui
        user = a_user()
        edge.answer("GET", "/api/v1/me", user)
        position = a_position()
        edge.answer("GET", f"/api/v1/positions/{position.id}", position)
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page())
        position_id = position.id
        edge.refuse("POST", "/api/v1/auth/login", Problem(title="Wrong credentials", status=401))
        planted = {
            "session": "planted-session-id-7f3a",
            "csrf": "planted-csrf-9c1e",
            "password": "planted-password-5d2b",
            "token": "tlp_plantedapitoken0123456789",
            "key": "planted-broker-secret-8a4c",
        }
        headers = {
            "cookie": f"__Host-tradeloop_session={planted['session']}",
            "x-csrf-token": planted["csrf"],
            "accept": "text/html",
        }
        with httpx.Client(base_url=url, headers=headers) as client:
            assert client.get(f"/positions/{position_id}").status_code == 200
            client.get(f"/trades?symbol=AAPL&token={planted['token']}")
            client.post(
                "/login",
                data={"email": "trader@example.com", "password": planted["password"]},
                headers={"hx-request": "true"},
            )
            client.post(
                "/settings/brokers",
                data={"name": "Alpaca", "api_key_id": "AKID", "api_secret": planted["key"]},
                headers={"hx-request": "true"},
            )
        process.terminate()
        output, _ = process.communicate(timeout=10)

        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert {line["service"] for line in lines} == {"web-ui"}
        page_lines = [line for line in lines if f"/positions/{position_id}" in line["message"]]
        assert any(
            line["user_id"] == str(user.id) and line["trace_id"] is not None for line in page_lines
        ), page_lines
        for name, secret in planted.items():
            assert secret not in output, f"the {name} reached the log"
        assert SESSION_COOKIE.split("=")[1] not in output
