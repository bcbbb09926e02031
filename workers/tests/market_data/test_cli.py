from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.market_data.test_demo import demo_like_positions
from tests.stub_core import CLIENT_SECRET, StubCore
from workers.cli import main


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The command sets up the process' logging; the tests after it get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class TestMarketDataCommand:
    @pytest.mark.usefixtures("root_logging")
    def test_demo_generates_bars_and_enriches_every_closed_position(
        self,
        stub_core: StubCore,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("WORKERS_CORE_URL", stub_core.url)
        monkeypatch.setenv("WORKERS_CORE_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("WORKERS_OBJECT_STORE_URL", (tmp_path / "objects").as_uri())
        user = uuid.uuid4()
        positions = demo_like_positions(30)
        for position in positions:
            stub_core.add_position(user, position)

        assert main(["market-data", "demo", "--user-id", str(user)]) == 0
        assert set(stub_core.excursions) == {position.id for position in positions}
        assert all(bars.complete for bars in stub_core.position_bars.values())
        assert "MAE/MFE known for 30" in capsys.readouterr().out
        assert len(traces_sent(stub_core)) == 1  # the command's calls to core are one trace

        stub_core.excursions.clear()
        assert main(["market-data", "enrich", "--user-id", str(user)]) == 0
        assert len(stub_core.excursions) == 30
        assert len(traces_sent(stub_core)) == 2


def traces_sent(stub_core: StubCore) -> set[str]:
    """The trace ids of the `traceparent`s core was sent."""
    return {header.split("-")[1] for header in stub_core.traceparents if header}
