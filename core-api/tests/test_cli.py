import logging

import pytest

from core_api.cli import QuietOutboxPolling


def _access(path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", path, "1.1", status),
        None,
    )


class TestQuietOutboxPolling:
    @pytest.mark.parametrize("path", ["/internal/outbox/claim", "/internal/outbox/ack"])
    def test_successful_polls_are_dropped(self, path: str) -> None:
        assert not QuietOutboxPolling().filter(_access(path, 200))

    def test_failed_polls_are_kept(self) -> None:
        assert QuietOutboxPolling().filter(_access("/internal/outbox/claim", 500))

    def test_other_requests_are_kept(self) -> None:
        assert QuietOutboxPolling().filter(_access("/v1/positions", 200))
