"""The `web-ui` command."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from web_ui.app import create_app
from web_ui.config import WebSettings


def main(argv: list[str] | None = None) -> int:
    """Run the command named in `argv`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="web-ui", description="Tradeloop's pages.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the pages on WEB_HOST:WEB_PORT")
    parser.parse_args(argv)

    settings = WebSettings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    # A line per call to edge is noise next to uvicorn's access log, unless debugging.
    if settings.log_level != "debug":
        logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws="none",
        # edge is the only caller; its address is the client address web-ui sees.
        proxy_headers=False,
    )
    return 0
