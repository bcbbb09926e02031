"""The `core-api` command: serve, migrate, seed-demo, lint-migrations, reseal."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

import uvicorn
from alembic import command
from alembic.config import Config
from tradeloop_contracts.telemetry import configure_logging, configure_tracing

from core_api.config import Settings
from core_api.kit.telemetry import SERVICE

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic's configuration for core's one migration chain against `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    """Upgrades the database to the newest revision."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url), "head")


class QuietOutboxPolling(logging.Filter):
    """Drops access-log lines of successful outbox polls (the relay polls many times a second)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            path, status = str(args[2]), args[4]
            return not (path.startswith("/internal/outbox/") and status in (200, 204))
        return True


def lint_migrations(versions: Path | None) -> int:
    """Prints each violation on stderr; 1 when there is any, else 0."""
    from core_api.migration_lint import VERSIONS, lint

    violations = lint(versions or VERSIONS)
    for violation in violations:
        print(violation, file=sys.stderr)  # noqa: T201
    return 1 if violations else 0


def reseal(settings: Settings) -> int:
    """Rewraps every broker secret under the primary sealing key; 1 when any was refused."""
    from tradeloop_contracts.sealing import KeyRingError

    from core_api.brokers.keys import load_sealing_ring
    from core_api.brokers.resealing import reseal_secrets
    from core_api.db import make_engine, make_sessions

    logger = logging.getLogger("core_api.reseal")
    try:
        ring = load_sealing_ring(settings)
    except KeyRingError as error:
        # The message names the field or key id, never key material.
        logger.error("cannot re-seal: %s", error)
        return 2
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessions(engine)() as session, session.begin():
            report = reseal_secrets(session, ring)
    finally:
        engine.dispose()
    for failure in report.failures:
        logger.error("not re-sealed: %s", failure)
    logger.info(
        "re-sealed %d secrets, %d already under the primary key, %d refused; secrets per key: %s",
        report.rewrapped,
        report.unchanged,
        len(report.failures),
        ", ".join(f"{key_id}={count}" for key_id, count in sorted(report.by_key.items())) or "none",
    )
    return 1 if report.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="core-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP API on CORE_HOST:CORE_PORT")
    commands.add_parser("migrate", help="upgrade the database to the newest revision")
    commands.add_parser("seed-demo", help="create the demo trader and their trades (idempotent)")
    commands.add_parser(
        "reseal", help="rewrap every broker secret under the primary key of CORE_SEALING_KEYS"
    )
    linter = commands.add_parser(
        "lint-migrations", help="refuse destructive steps outside a declared contract migration"
    )
    linter.add_argument("--versions", type=Path, default=None, help="folder of migration files")
    arguments = parser.parse_args(argv)
    if arguments.command == "lint-migrations":
        return lint_migrations(arguments.versions)
    settings = Settings()
    # Every command logs JSON lines on stdout, secrets masked (the contracts library).
    configure_logging(SERVICE, level=settings.log_level)
    if arguments.command == "serve":
        from core_api.app import create_app

        configure_tracing(SERVICE, exporter=settings.traces_exporter, endpoint=settings.traces_url)
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        logging.getLogger("uvicorn.access").addFilter(QuietOutboxPolling())
        app = create_app(settings)
        # What is loaded by now lives as long as the process: a full collection that walks
        # it again stops every thread, the event loop too, for hundreds of milliseconds.
        gc.freeze()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            # Logging is configured above; uvicorn's own configuration would replace it.
            log_config=None,
            # The app resolves forwarded addresses itself (CORE_TRUSTED_PROXIES).
            proxy_headers=False,
        )
    elif arguments.command == "migrate":
        migrate(settings)
    elif arguments.command == "reseal":
        return reseal(settings)
    else:
        from core_api.demo import seed_demo

        migrate(settings)
        created = seed_demo(settings)
        logging.getLogger("core_api").info(
            "demo trader %s", "created" if created else "already present"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
