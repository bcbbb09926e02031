from __future__ import annotations

import datetime as dt
import itertools
import statistics
from pathlib import Path
from typing import Any

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


def all_positions(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.get(f"/v1/positions?sort=opened_at&limit=200{cursor}", headers=headers).json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = f"&cursor={page['next_cursor']}"


class TestPlantedHabits:
    def test_the_demo_trader_holds_losers_longer_and_revenge_trades_after_losses(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CORE_DATA_DIR", str(tmp_path))
        assert main(["seed-demo"]) == 0
        with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
            tokens = client.post(
                "/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            ).json()
            positions = all_positions(client, {"Authorization": f"Bearer {tokens['access_token']}"})
        held = {
            kind: statistics.mean(p["holding_seconds"] for p in positions if p["outcome"] == kind)
            for kind in ("win", "loss")
        }
        assert held["loss"] > 3 * held["win"]
        quick_after_loss: list[bool] = []
        others: list[bool] = []
        for before, after in itertools.pairwise(positions):
            gap = dt.datetime.fromisoformat(after["opened_at"]) - dt.datetime.fromisoformat(
                before["closed_at"]
            )
            revenge = before["outcome"] == "loss" and dt.timedelta(0) <= gap <= dt.timedelta(
                minutes=5
            )
            (quick_after_loss if revenge else others).append(after["outcome"] == "win")
        assert len(quick_after_loss) >= 15
        assert statistics.mean(quick_after_loss) < statistics.mean(others) - 0.1
