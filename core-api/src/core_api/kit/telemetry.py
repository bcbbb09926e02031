"""core-api's own Prometheus series, next to the RED series of the telemetry middleware."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine
from tradeloop_contracts.sealing import KeyRing
from tradeloop_contracts.telemetry import gauge, instrument_pool

SERVICE = "core-api"
# Measured but not traced: probes, scrapes, and the relay's outbox polls (many a second,
# mostly empty); the relay hands each event's own traceparent on to the bus.
UNTRACED_PATHS = (
    "/metrics",
    "/healthz",
    "/readyz",
    "/internal/outbox/claim",
    "/internal/outbox/ack",
)


def instrument(engine: Engine, sealing: KeyRing) -> None:
    """Expose the engine's pool use and the sealing keys' encryption counts, read at each
    scrape; instrumenting another engine or ring replaces the previous one."""
    instrument_pool(engine, SERVICE)
    # AES-GCM with random nonces must not seal more than 2^32 times under one key; the
    # series lets an alert ask for a rotation well before that.
    encryptions = gauge(
        "sealing_key_encryptions",
        "Broker secrets sealed under each key of the ring by this process.",
        ("key_id",),
    )
    encryptions.clear()
    for key_id in sealing.encryption_counts():
        encryptions.labels(key_id).set_function(partial(sealing.encryptions, key_id))
