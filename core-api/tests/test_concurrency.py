"""Concurrent writers against the embedded SQLite database wait their turn; none fails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from core_api.app import create_app
from core_api.cli import migrate
from core_api.config import Settings
from tests.conftest import execution, make_trader, service_headers


class TestConcurrentWritersOnSqlite:
    def test_parallel_batches_and_journal_entries_all_succeed(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path)
        migrate(settings)
        with TestClient(create_app(settings)) as client:
            trader = make_trader(client)
            workers = service_headers(client)

            def batch(index: int) -> int:
                fills = [
                    execution(f"b{index}", "buy", "1", "10", "2026-03-02T15:00:00Z", f"S{index}"),
                    execution(f"s{index}", "sell", "1", "11", "2026-03-02T16:00:00Z", f"S{index}"),
                ]
                return client.post(
                    f"/internal/users/{trader.id}/executions/batch",
                    json={"account_id": str(trader.account_id), "executions": fills},
                    headers=workers,
                ).status_code

            def entry(index: int) -> int:
                return client.post(
                    "/v1/journal/entries",
                    json={"day": "2026-03-02", "body": f"note {index}"},
                    headers=trader.headers,
                ).status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                batches = list(pool.map(batch, range(12)))
                entries = list(pool.map(entry, range(12)))
            stats = client.get("/v1/statistics", headers=trader.headers).json()
        assert batches == [200] * 12
        assert entries == [201] * 12
        assert stats["trades"] == 12
