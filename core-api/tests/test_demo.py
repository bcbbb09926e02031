from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core_api.app import create_app
from core_api.cli import main
from core_api.config import Settings
from core_api.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_executions


class TestDemo:
    def test_demo_fills_are_the_same_for_the_same_day(self) -> None:
        day = dt.date(2026, 11, 25)
        assert demo_executions(day) == demo_executions(day)

    def test_seed_demo_is_idempotent_and_the_demo_trader_can_log_in(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CORE_DATA_DIR", str(tmp_path))
        assert main(["seed-demo"]) == 0
        assert main(["seed-demo"]) == 0
        with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
            tokens = client.post(
                "/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            ).json()
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            stats = client.get("/v1/statistics", headers=headers).json()
            journal = client.get("/v1/journal/entries", headers=headers).json()
        assert stats["trades"] > 100
        assert 0 < stats["wins"] < stats["trades"]
        assert stats["losses"] > 0
        assert len(journal["items"]) == 2
        assert (tmp_path / "core-signing-key.json").stat().st_mode & 0o777 == 0o600
