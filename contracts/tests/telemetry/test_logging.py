import dataclasses
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from tradeloop_contracts.telemetry import (
    bind_user,
    capture_spans,
    configure_logging,
    redact,
    tracer,
    unbind_user,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz"
PERSONAL_TOKEN = "tlp_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"
PASSWORD = "correct-horse-battery-staple"
BROKER_SECRET = "sk-live-9f8e7d6c5b4a"
COOKIE = "__Host-session=4f1d2c3b5a69"


@dataclasses.dataclass
class Connection:
    broker: str
    api_secret: str


class Login(BaseModel):
    email: str
    password: str


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Where `configure_logging(..., stream=log_output)` writes; the root logger is restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


class TestLines:
    def test_a_line_names_service_level_logger_and_message(self, log_output: io.StringIO) -> None:
        configure_logging("core-api", stream=log_output)
        logging.getLogger("core_api.imports").warning("import %s failed", "i-1", extra={"rows": 3})

        (line,) = lines(log_output)
        assert line["service"] == "core-api"
        assert line["level"] == "WARNING"
        assert line["logger"] == "core_api.imports"
        assert line["message"] == "import i-1 failed"
        assert line["rows"] == 3
        assert line["time"].startswith("20")
        assert line["trace_id"] is None
        assert line["user_id"] is None

    def test_lines_carry_the_current_span_and_the_bound_user(self, log_output: io.StringIO) -> None:
        configure_logging("edge-bff", stream=log_output)
        user = uuid.uuid4()
        with capture_spans(), tracer().start_as_current_span("request") as span:
            token = bind_user(user)
            logging.getLogger("edge").info("inside")
            unbind_user(token)
            logging.getLogger("edge").info("after unbinding")
        context = span.get_span_context()

        inside, after = lines(log_output)
        assert inside["trace_id"] == format(context.trace_id, "032x")
        assert inside["span_id"] == format(context.span_id, "016x")
        assert inside["user_id"] == str(user)
        assert after["user_id"] is None

    def test_records_below_the_level_are_dropped(self, log_output: io.StringIO) -> None:
        configure_logging("workers", level="warning", stream=log_output)
        logging.getLogger("workers").info("quiet")
        logging.getLogger("workers").error("loud")

        assert [line["message"] for line in lines(log_output)] == ["loud"]

    def test_an_unknown_level_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown log level 'CHATTY'"):
            configure_logging("workers", level="CHATTY")


class TestSecretsNeverLeave:
    def test_planted_secrets_are_masked_in_messages_extras_and_tracebacks(
        self, log_output: io.StringIO
    ) -> None:
        configure_logging("core-api", stream=log_output)
        log = logging.getLogger("core_api")
        log.info("login with Authorization: Bearer %s", JWT)
        log.info("token %s used", PERSONAL_TOKEN)
        log.info("connecting to postgresql://app:%s@db:5432/core", PASSWORD)
        log.info("callback ?code=1&client_secret=%s&state=2", BROKER_SECRET)
        log.info(
            "headers",
            extra={
                "request": {
                    "headers": {"Cookie": COOKIE, "X-Api-Key": BROKER_SECRET},
                    "body": [{"password": PASSWORD}, {"Refresh-Token": JWT}],
                },
                "api_secret": BROKER_SECRET,
            },
        )
        try:
            raise RuntimeError(f"broker refused password={PASSWORD}")
        except RuntimeError:
            log.exception("sync failed")

        output = log_output.getvalue()
        for secret in (JWT, PERSONAL_TOKEN, PASSWORD, BROKER_SECRET, COOKIE):
            assert secret not in output
        assert len(lines(log_output)) == 6
        assert "[REDACTED]" in lines(log_output)[-1]["exc_info"]

    def test_secrets_inside_dataclasses_and_models_are_masked(
        self, log_output: io.StringIO
    ) -> None:
        configure_logging("workers", stream=log_output)
        logging.getLogger("workers").info(
            "connection",
            extra={
                "connection": Connection(broker="alpaca", api_secret=BROKER_SECRET),
                "login": Login(email="a@example.com", password=PASSWORD),
            },
        )

        (line,) = lines(log_output)
        assert line["connection"] == {"broker": "alpaca", "api_secret": "[REDACTED]"}
        assert line["login"] == {"email": "a@example.com", "password": "[REDACTED]"}

    def test_ordinary_fields_stay_readable(self) -> None:
        record = {"object_key": "imports/a.csv", "rows": 3, "tokens_used": 120, "note": "fine"}

        assert redact(record) == record
