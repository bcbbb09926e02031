"""Real worker processes and a Redis server of the test's own, for the fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from tests.stub_core import CLIENT_SECRET, StubCore

WORKERS_COMMAND = Path(sys.executable).with_name("workers")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: object, timeout: float, what: str) -> None:
    """Poll `condition` (a callable giving a truthy value) until it holds; fail after `timeout`."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def is_running(pid: int) -> bool:
    """True while the process exists and has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; the parent follows its ")".
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            children.append(int(stat.parent.name))
    return children


@dataclass
class WorkerProcess:
    """One `workers run` process; its output goes to `log`."""

    process: subprocess.Popen[bytes]
    log: Path
    port: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self) -> int:
        """Send SIGTERM and wait for the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def worker_environment(
    *, stub_core: StubCore, bus_url: str, folder: Path, **settings: str
) -> dict[str, str]:
    """The environment of a worker talking to the stub core, with `WORKERS_*` overrides."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("WORKERS_")
    }
    environment.update(
        {
            "WORKERS_CORE_URL": stub_core.url,
            "WORKERS_CORE_CLIENT_SECRET": CLIENT_SECRET,
            "WORKERS_BUS_URL": bus_url,
            "WORKERS_OBJECT_STORE_URL": (folder / "objects").as_uri(),
            "WORKERS_VISIBILITY_TIMEOUT_SECONDS": "2",
            "WORKERS_IMPORT_BATCH_SIZE": "5",
            "WORKERS_RELAY_IDLE_SECONDS": "0.5",
        }
    )
    environment.update({f"WORKERS_{name.upper()}": value for name, value in settings.items()})
    return environment


@contextmanager
def running_workers() -> Iterator[list[WorkerProcess]]:
    """Started workers are appended to the list; whatever still runs is killed at the end."""
    started: list[WorkerProcess] = []
    try:
        yield started
    finally:
        for worker in started:
            if worker.process.poll() is None:
                worker.kill()


def start_worker(
    started: list[WorkerProcess], environment: Mapping[str, str], folder: Path, name: str
) -> WorkerProcess:
    """Start `workers run` as consumer `name` and wait until its health server answers."""
    port = free_port()
    log = folder / f"{name}-{len(started)}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(WORKERS_COMMAND), "run"],
            env={**environment, "WORKERS_PORT": str(port), "WORKERS_CONSUMER_NAME": name},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    worker = WorkerProcess(process, log, port)
    started.append(worker)
    wait_until(
        lambda: worker.is_ready() or process.poll() is not None, 60, f"worker {name} to start"
    )
    assert process.poll() is None, worker.output()
    return worker


@dataclass
class OwnRedis:
    """A redis-server on a free port with an append-only file in `folder`, fsynced always."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                server,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.folder),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(answers, 10, "redis-server to start")
        client.close()

    def kill(self) -> None:
        """Kill -9: only what the append-only file holds survives."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def own_redis(folder: Path) -> Iterator[OwnRedis]:
    """A started redis-server of this test's own; stopped at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    server = OwnRedis(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
