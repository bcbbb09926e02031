"""Connection pool use of a SQLAlchemy engine, read when Prometheus scrapes."""

from __future__ import annotations

from typing import Any

from ._metrics import gauge


def instrument_pool(engine: Any, service: str) -> None:
    """Expose `db_pool_connections{service,state="in_use"|"idle"}` for `engine`.

    Takes an Engine or AsyncEngine; the figures are read from its pool at each scrape,
    so nothing runs per query. Pools that keep no count (NullPool, StaticPool) read 0.
    Instrumenting another engine for the same service replaces the previous one.
    """
    pool = getattr(engine, "sync_engine", engine).pool
    connections = gauge(
        "db_pool_connections", "Database connections of the pool, by state.", ("service", "state")
    )
    connections.labels(service, "in_use").set_function(lambda: _count(pool, "checkedout"))
    connections.labels(service, "idle").set_function(lambda: _count(pool, "checkedin"))


def _count(pool: Any, method: str) -> float:
    read = getattr(pool, method, None)
    return float(read()) if callable(read) else 0.0
