"""The `ai-coach` command line."""

from __future__ import annotations

import argparse

import uvicorn
from pydantic import ValidationError
from tradeloop_contracts.telemetry import configure_logging, configure_tracing

from ai_coach.app import SERVICE_NAME, create_app
from ai_coach.config import Settings


def main(argv: list[str] | None = None) -> None:
    """Runs the command given on the command line (`serve`)."""
    parser = argparse.ArgumentParser(prog="ai-coach", description="Tradeloop's trading coach.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API on COACH_HOST:COACH_PORT")
    parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        # Each problem by setting, without the input values (they may hold secrets).
        problems = [
            f"{'.'.join(map(str, item['loc'])) or 'settings'}: {item['msg']}"
            for item in error.errors()
        ]
        raise SystemExit("ai-coach: invalid settings: " + "; ".join(problems)) from None
    configure_logging(SERVICE_NAME, level=settings.log_level)
    configure_tracing(SERVICE_NAME, exporter=settings.traces_exporter, endpoint=settings.traces_url)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # Logging is configured above (JSON lines, secrets masked); uvicorn keeps it.
        log_config=None,
    )
