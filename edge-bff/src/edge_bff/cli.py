"""The `edge-bff` command."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app
from .config import Settings
from .live import MAX_MESSAGE_BYTES
from .telemetry import configure_telemetry


def main(argv: list[str] | None = None) -> None:
    """Run `edge-bff serve`: the edge on EDGE_HOST:EDGE_PORT."""
    parser = argparse.ArgumentParser(prog="edge-bff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve browsers, apps and WebSockets")
    parser.parse_args(argv)
    settings = Settings()
    configure_telemetry(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # Logging is configured above (JSON lines); uvicorn's own config would replace it.
        log_config=None,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        ws_max_size=MAX_MESSAGE_BYTES,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_ping_timeout=settings.ws_ping_seconds,
        ws_per_message_deflate=False,
    )
