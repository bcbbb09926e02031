import pytest
from prometheus_client import generate_latest

from tradeloop_contracts.telemetry import REGISTRY, counter, histogram


def test_a_series_is_created_once_and_shared() -> None:
    first = counter("test_imports_total", "Imports.", ("service",))
    again = counter("test_imports_total", "Imports.", ("service",))
    first.labels("workers").inc()
    again.labels("workers").inc()

    assert first is again
    assert 'test_imports_total{service="workers"} 2.0' in generate_latest(REGISTRY).decode()


def test_a_name_taken_by_another_kind_or_labels_is_refused() -> None:
    counter("test_rows_total", "Rows.", ("service",))

    with pytest.raises(ValueError, match="test_rows_total already exists as a Counter"):
        histogram("test_rows_total", "Rows.", ("service",))
    with pytest.raises(ValueError, match=r"with labels \['service'\]"):
        counter("test_rows_total", "Rows.", ("service", "format"))
