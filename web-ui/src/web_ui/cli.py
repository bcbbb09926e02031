"""The `web-ui` command."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from tradeloop_contracts.telemetry import configure_logging, configure_tracing

from web_ui.app import SERVICE_NAME, create_app
from web_ui.config import WebSettings


def main(argv: list[str] | None = None) -> int:
    """Run the command named in `argv`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="web-ui", description="Tradeloop's pages.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the pages on WEB_HOST:WEB_PORT")
    parser.parse_args(argv)

    settings = WebSettings()
    configure_logging(SERVICE_NAME, level=settings.log_level)
    configure_tracing(SERVICE_NAME, exporter=settings.traces_exporter, endpoint=settings.traces_url)
    # A line per call to edge is noise next to the access log (each call is a span), unless
    # debugging.
    if settings.log_level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # Logging is configured above: JSON lines, secrets masked; uvicorn keeps it.
        log_config=None,
        ws="none",
        # edge is the only caller; its address is the client address web-ui sees.
        proxy_headers=False,
    )
    return 0
