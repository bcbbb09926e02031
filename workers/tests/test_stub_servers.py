"""The stub Alpaca runs on its own, as the integration compose file starts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.processes import free_port, wait_until

WORKERS_FOLDER = Path(__file__).parent.parent


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


class TestStubAlpacaCommand:
    def test_it_serves_trading_and_market_data_to_the_key_pairs_it_was_given(
        self, tmp_path: Path
    ) -> None:
        port = free_port()
        command = [sys.executable, "-m", "tests.stub_alpaca", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--key-pair", "PKSTUB:stub-secret"]
        log = tmp_path / "stub.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                command, cwd=WORKERS_FOLDER, stdout=output, stderr=subprocess.STDOUT
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: answers(base) or server.poll() is not None, 30, "the stub")
            assert server.poll() is None, log.read_text()
            keys = {"APCA-API-KEY-ID": "PKSTUB", "APCA-API-SECRET-KEY": "stub-secret"}
            wrong = {**keys, "APCA-API-SECRET-KEY": "guessed"}
            account = httpx.get(f"{base}/v2/account", headers=keys, timeout=5)
            refused = httpx.get(f"{base}/v2/account", headers=wrong, timeout=5)
            bars = httpx.get(
                f"{base}/v2/stocks/AAPL/bars",
                params={"start": "2024-03-04T14:30:00Z", "end": "2024-03-04T21:00:00Z"},
                headers=keys,
                timeout=5,
            )
        finally:
            server.terminate()
            server.wait(timeout=10)

        assert account.status_code == 200
        assert account.json()["status"] == "ACTIVE"
        assert refused.status_code == 401
        assert bars.status_code == 200
        assert bars.json() == {"bars": [], "symbol": "AAPL", "next_page_token": None}
