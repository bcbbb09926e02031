import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from web_ui.cli import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TestCommand:
    def test_serve_listens_on_the_configured_port(self) -> None:
        port = free_port()
        env = {**os.environ, "WEB_PORT": str(port), "WEB_LOG_LEVEL": "warning"}
        process = subprocess.Popen(
            [sys.executable, "-m", "web_ui", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            answer = None
            for _ in range(100):
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            assert answer is not None, "web-ui serve did not start listening"
            assert answer.json() == {"status": "ok"}
        finally:
            process.terminate()
            process.wait(timeout=10)

    def test_an_unknown_command_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["deploy"])

        assert exited.value.code == 2
        assert "invalid choice" in capsys.readouterr().err
