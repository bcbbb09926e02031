"""Run the whole system on one machine in embedded mode.

    python3 tools/dev.py up [--port-base 8000] [--data-dir .data] [--no-install]

Installs every folder's locked environment (contracts from the local index),
migrates core's SQLite database, seeds the demo account, starts each service as
its own process with embedded defaults (SQLite, the embedded bus, a local object
folder), gives the demo trades their price bars (the first time), waits until every
`/healthz` and then every `/readyz` answers, prints the one URL and the demo
credentials, and streams each service's output with its name in front. Ctrl-C (or
SIGTERM) stops every process: first politely, then firmly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
DEMO_EMAIL = "demo@tradeloop.dev"
DEMO_PASSWORD = "demo-trader-2026"
STOP_SECONDS = 15.0
COLOURS = ("36", "33", "35", "32", "34")


@dataclass(frozen=True)
class Service:
    """One process of the stack: its folder, command, port offset and settings prefix."""

    name: str
    folder: str
    command: tuple[str, ...]
    offset: int
    prefix: str


SERVICES = (
    Service("core", "core-api", ("core-api", "serve"), 10, "CORE_"),
    Service("workers", "workers", ("workers", "run"), 40, "WORKERS_"),
    Service("coach", "ai-coach", ("ai-coach", "serve"), 30, "COACH_"),
    Service("web", "web-ui", ("web-ui", "serve"), 20, "WEB_"),
    Service("edge", "edge-bff", ("edge-bff", "serve"), 0, "EDGE_"),
)


@dataclass
class Stack:
    """The embedded-mode system on consecutive ports from `port_base`."""

    port_base: int
    data_dir: Path
    log: TextIO = sys.stdout
    # An OTLP/HTTP base URL: every service then exports its spans there.
    traces_endpoint: str | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def port(self, service: str) -> int:
        return self.port_base + next(s.offset for s in SERVICES if s.name == service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    @property
    def public_url(self) -> str:
        return f"http://localhost:{self.port('edge')}"

    def environment(self) -> dict[str, str]:
        """Settings of every service for embedded mode; the caller's environment wins,
        except over the trace export a `traces_endpoint` asks for."""
        data = self.data_dir
        sqlite = f"sqlite:///{data}"
        settings = {
            "CORE_DATA_DIR": str(data),
            "CORE_DATABASE_URL": f"{sqlite}/core.db",
            "CORE_OBJECT_STORE_URL": f"file://{data}/objects",
            "WORKERS_CORE_URL": self.url("core"),
            "WORKERS_BUS_URL": f"{sqlite}/bus.db",
            "WORKERS_OBJECT_STORE_URL": f"file://{data}/objects",
            # Core writes its development key ring there at start; workers only open with it.
            "WORKERS_SEALING_KEYS": str(data / "core-sealing-keys.json"),
            "WORKERS_COACH_URL": self.url("coach"),
            "WORKERS_SCHEDULED_JOBS": "dead-letter-report,broker-sync,weekly-coach-review",
            "COACH_CORE_URL": self.url("core"),
            "COACH_JWKS_URL": f"{self.url('core')}/.well-known/jwks.json",
            "WEB_EDGE_URL": self.url("edge"),
            "EDGE_CORE_URL": self.url("core"),
            "EDGE_WEB_URL": self.url("web"),
            "EDGE_COACH_URL": self.url("coach"),
            "EDGE_JWKS_URL": f"{self.url('core')}/.well-known/jwks.json",
            "EDGE_BUS_URL": f"{sqlite}/bus.db",
            "EDGE_SESSION_STORE_URL": f"{sqlite}/edge.db",
            "EDGE_PUBLIC_ORIGIN": self.public_url,
        }
        for service in SERVICES:
            settings[f"{service.prefix}HOST"] = "127.0.0.1"
            settings[f"{service.prefix}PORT"] = str(self.port(service.name))
        return {**settings, **os.environ, **self.trace_export()}

    def trace_export(self) -> dict[str, str]:
        """Settings that send every service's spans to `traces_endpoint`, if one is set."""
        if self.traces_endpoint is None:
            return {}
        # Batches leave every 200 ms instead of 5 s, so a checker sees spans soon after.
        settings = {"OTEL_BSP_SCHEDULE_DELAY": "200"}
        for service in SERVICES:
            settings[f"{service.prefix}TRACES_EXPORTER"] = "otlp"
            settings[f"{service.prefix}TRACES_ENDPOINT"] = self.traces_endpoint
        return settings

    def run_once(self, folder: str, *command: str) -> None:
        """Runs a command in a folder's environment and raises when it fails."""
        subprocess.run(
            ["uv", "run", "--locked", "--quiet", *command],
            cwd=ROOT / folder,
            env=self.environment(),
            check=True,
        )

    def start(self) -> None:
        """Starts every service and returns once each answers `/healthz`, then `/readyz`
        (its dependencies reachable: a service may be alive before the ones it calls)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run_once("core-api", "core-api", "migrate")
        self.run_once("core-api", "core-api", "seed-demo")
        for index, service in enumerate(SERVICES):
            if service.name == "workers":
                # Workers open broker secrets with the key ring core creates as it starts,
                # and find the demo bars in place when they enrich the seeded positions.
                self.wait_healthy("core")
                self.give_demo_bars()
            process = subprocess.Popen(
                ["uv", "run", "--locked", "--quiet", *service.command],
                cwd=ROOT / service.folder,
                env=self.environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.processes[service.name] = process
            colour = COLOURS[index % len(COLOURS)]
            threading.Thread(
                target=_stream, args=(service.name, colour, process, self.log), daemon=True
            ).start()
        for service in SERVICES:
            self.wait_healthy(service.name)
        for service in SERVICES:
            self.wait_healthy(service.name, "/readyz")

    def give_demo_bars(self) -> None:
        """Generates the demo trader's price bars and MAE/MFE once: skipped when their
        latest closed position has bars already."""
        token = self._core_json("/v1/auth/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})[
            "access_token"
        ]
        user_id = self._core_json("/v1/me", token=token)["id"]
        latest = self._core_json("/v1/positions?status=closed&limit=1", token=token)["items"]
        if latest and self._core_json(f"/v1/positions/{latest[0]['id']}/bars", token=token)["bars"]:
            return
        self.run_once("workers", "workers", "market-data", "demo", "--user-id", user_id)

    def _core_json(
        self, path: str, body: dict[str, str] | None = None, *, token: str | None = None
    ) -> Any:
        request = urllib.request.Request(
            f"{self.url('core')}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def wait_healthy(self, service: str, probe: str = "/healthz", timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode} while starting")
            try:
                with urllib.request.urlopen(f"{self.url(service)}{probe}", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{service} did not answer {probe} within {timeout:.0f}s")

    def stop(self) -> None:
        """Stops every process: SIGTERM, then SIGKILL after a grace period."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def running(self) -> Iterator[str]:
        return (name for name, p in self.processes.items() if p.poll() is None)


def _stream(name: str, colour: str, process: subprocess.Popen[bytes], log: TextIO) -> None:
    assert process.stdout is not None
    label = f"\033[{colour}m{name:>7}\033[0m |" if log.isatty() else f"{name:>7} |"
    for raw in process.stdout:
        log.write(f"{label} {raw.decode(errors='replace').rstrip()}\n")
        log.flush()


def install() -> None:
    """Syncs every folder's locked environment from the local index."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "local_index.py"), "start"], check=True)
    for service in SERVICES:
        subprocess.run(
            ["make", "--no-print-directory", "-C", service.folder, "install"], cwd=ROOT, check=True
        )


def up(args: argparse.Namespace) -> int:
    if not args.no_install:
        install()
    stack = Stack(port_base=args.port_base, data_dir=args.data_dir.resolve())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start()
        sys.stdout.write(
            f"\nTradeloop is up: {stack.public_url}\n"
            f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}\nCtrl-C stops everything.\n\n"
        )
        sys.stdout.flush()
        while not stopping.is_set():
            if len(list(stack.running())) < len(SERVICES):
                sys.stderr.write("a service stopped; stopping the rest\n")
                return 1
            stopping.wait(0.5)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, subprocess.CalledProcessError) as error:
        sys.stderr.write(f"could not start: {error}\n")
        return 1
    finally:
        stack.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="install, migrate, seed and run every service")
    start.add_argument("--port-base", type=int, default=8000)
    start.add_argument("--data-dir", type=Path, default=ROOT / ".data")
    start.add_argument("--no-install", action="store_true")
    start.set_defaults(run=up)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
