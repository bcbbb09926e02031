import uuid
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tradeloop_contracts.telemetry import REGISTRY, instrument_pool


def pool_connections(service: str) -> dict[str, float]:
    exposed = generate_latest(REGISTRY).decode()
    return {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
        if sample.name == "db_pool_connections" and sample.labels["service"] == service
    }


def test_the_gauge_follows_connections_checked_out_and_returned(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/pool.db", pool_size=2)
    service = f"pool-{uuid.uuid4().hex[:6]}"
    instrument_pool(engine, service)
    assert pool_connections(service) == {"in_use": 0, "idle": 0}

    with engine.connect() as first, engine.connect() as second:
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))
        assert pool_connections(service) == {"in_use": 2, "idle": 0}
    assert pool_connections(service) == {"in_use": 0, "idle": 2}
    engine.dispose()
