"""The `ai-coach` command line."""

from __future__ import annotations

import argparse

import uvicorn

from ai_coach.app import create_app
from ai_coach.config import Settings


def main(argv: list[str] | None = None) -> None:
    """Runs the command given on the command line (`serve`)."""
    parser = argparse.ArgumentParser(prog="ai-coach", description="Tradeloop's trading coach.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API on COACH_HOST:COACH_PORT")
    parser.parse_args(argv)
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
