from __future__ import annotations

import httpx
import pytest
from tradeloop_contracts.bus import Bus, open_bus

from tests.stub_core import StubCore
from workers.config import WorkersSettings
from workers.core import CoreClient
from workers.health import create_health_app

pytestmark = pytest.mark.anyio


class TestHealthServer:
    async def test_ready_when_core_answers_and_the_bus_is_reachable(
        self, core: CoreClient, stub_core: StubCore, bus: Bus
    ) -> None:
        del stub_core
        app = create_health_app(core, bus)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://w") as c:
            assert (await c.get("/healthz")).json() == {"status": "ok"}
            ready = await c.get("/readyz")
        assert ready.status_code == 200

    async def test_not_ready_names_core_when_it_is_down(self, bus: Bus) -> None:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as http:
            core = CoreClient(
                http, client_secret=WorkersSettings().core_client_secret, retry_seconds=1
            )
            app = create_health_app(core, bus)
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
                ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        assert [error["location"] for error in ready.json()["errors"]] == ["core"]

    async def test_not_ready_names_the_bus_when_it_cannot_be_reached(
        self, core: CoreClient, stub_core: StubCore
    ) -> None:
        del stub_core
        unreachable = open_bus("redis://127.0.0.1:9/0")
        app = create_health_app(core, unreachable)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://w") as c:
            ready = await c.get("/readyz")
        await unreachable.close()
        assert ready.status_code == 503
        assert [error["location"] for error in ready.json()["errors"]] == ["bus"]


class TestSettings:
    def test_the_development_secret_is_refused_outside_development(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("WORKERS_ENVIRONMENT", "production")
        with pytest.raises(ValueError, match="WORKERS_CORE_CLIENT_SECRET"):
            WorkersSettings()
