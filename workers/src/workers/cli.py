"""The `workers` command: run the worker, inspect and replay dead letters."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Sequence

import httpx
from tradeloop_contracts.bus import Bus, DeadLetter, DeadLetterNotFoundError, open_bus
from tradeloop_contracts.telemetry import bind_user, tracer

from .config import WorkersSettings
from .core import CoreClient, core_http
from .health import CONSUMER_GROUP
from .imports.storage import open_object_store
from .market_data.demo import write_demo_bars
from .market_data.enrichment import EnrichmentJob, closed_positions
from .market_data.setup import bar_source
from .market_data.sources import FileBars
from .runner import run_worker
from .telemetry import configure_telemetry


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `workers` console script; the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    settings = WorkersSettings()
    if args.command == "dead-letters":
        return asyncio.run(_dead_letters(open_bus(settings.bus_url), args))
    tracing = configure_telemetry(settings)
    try:
        if args.command == "run":
            asyncio.run(run_worker(settings))
            return 0
        return asyncio.run(_market_data(settings, args))
    finally:
        tracing.shutdown()  # exports the spans still waiting in the batch


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workers", description="Tradeloop queue processors.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the relay, the import consumer and the health server")
    dead = commands.add_parser("dead-letters", help="inspect and replay failed messages")
    actions = dead.add_subparsers(dest="action", required=True)
    for name, text in (
        ("list", "list the group's dead letters, oldest first"),
        ("show", "show one dead letter with its payload"),
        ("replay", "deliver one dead letter to the group again"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--group", default=CONSUMER_GROUP, help="consumer group (workers)")
        if name != "list":
            action.add_argument("dead_letter_id", help="the id `list` shows")
    market = commands.add_parser("market-data", help="bars and MAE/MFE of a trader's positions")
    steps = market.add_subparsers(dest="action", required=True)
    for name, text in (
        ("enrich", "fetch bars and compute MAE/MFE of every closed position of the trader"),
        ("demo", "generate bars for the trader's fills into the file source, then enrich"),
    ):
        step = steps.add_parser(name, help=text)
        step.add_argument("--user-id", type=uuid.UUID, required=True, help="the trader's id")
    return parser


async def _market_data(settings: WorkersSettings, args: argparse.Namespace) -> int:
    store = open_object_store(settings.object_store_url)
    # One trace per command, its calls to core inside; log lines name the trader. Both
    # hold for this task only.
    bind_user(args.user_id)
    async with (
        core_http(settings.core_url, timeout=settings.core_timeout_seconds) as http,
        httpx.AsyncClient(timeout=settings.broker_timeout_seconds) as outside,
    ):
        core = CoreClient(
            http,
            client_secret=settings.core_client_secret,
            retry_seconds=settings.core_retry_seconds,
        )
        source = bar_source(settings, outside, store)
        with tracer().start_as_current_span(f"market-data {args.action}"):
            if args.action == "enrich":
                found = await EnrichmentJob(core, source).enrich_user(args.user_id)
            else:
                positions = [p async for p in closed_positions(core, args.user_id)]
                written = await write_demo_bars(store, positions)
                print(f"generated {written} one-minute bars for {len(positions)} positions")
                job = EnrichmentJob(core, FileBars(store))
                found = [await job.enrich_closed(args.user_id, p) for p in positions]
    known = sum(1 for enriched in found if enriched.excursions is not None)
    print(f"enriched {len(found)} closed positions; MAE/MFE known for {known}")
    return 0


async def _dead_letters(bus: Bus, args: argparse.Namespace) -> int:
    try:
        if args.action == "replay":
            try:
                await bus.replay(args.group, args.dead_letter_id)
            except DeadLetterNotFoundError:
                return _not_found(args.group, args.dead_letter_id)
            print(f"replayed {args.dead_letter_id} to group {args.group}")
            return 0
        letters = await bus.dead_letters(args.group)
        if args.action == "list":
            for letter in letters:
                print(
                    f"{letter.id}\t{letter.failed_at.isoformat()}\t{letter.attempts}\t{letter.error}"
                )
            print(f"{len(letters)} dead letters in group {args.group}")
            return 0
        for letter in letters:
            if letter.id == args.dead_letter_id:
                print(json.dumps(_describe(letter), indent=2))
                return 0
        return _not_found(args.group, args.dead_letter_id)
    finally:
        await bus.close()


def _describe(letter: DeadLetter) -> dict[str, object]:
    try:
        payload: object = json.loads(letter.payload)
    except ValueError:
        payload = letter.payload
    return {
        "id": letter.id,
        "group": letter.group,
        "position": letter.position,
        "attempts": letter.attempts,
        "failed_at": letter.failed_at.isoformat(),
        "error": letter.error,
        "payload": payload,
    }


def _not_found(group: str, dead_letter_id: str) -> int:
    print(f"group {group} has no dead letter {dead_letter_id}", file=sys.stderr)
    return 1
