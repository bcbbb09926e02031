"""Running long units of work, each its own transaction, away from the serving process.

A route whose work takes seconds of CPU (settling a large import) must not hold up the
event loop, and a thread of the serving process is not enough: Python lets one thread run
at a time, so while a thread computes, every other request waits for its turn (the
interpreter's switch interval) at each step. A process of its own has its own
interpreter lock; the event loop only awaits the answer. Work processes run at a lower CPU
priority (`nice`), so that on a busy machine the serving processes, which answer people
and probes, are scheduled first.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from tradeloop_contracts.telemetry import configure_logging

from core_api.db import make_engine, make_sessions
from core_api.errors import AppError
from core_api.kit.telemetry import SERVICE

T = TypeVar("T")


class Offload:
    """Runs `work(session, *args)` in a session of its own, committed when it returns and
    rolled back when it raises (the caller gets its answer or its error).

    With `processes` above 0, in a pool of that many processes, spawned (not forked from a
    process running threads and an event loop), each with its own engine on
    `database_url`; `work` and its arguments must pickle (a module-level function and
    plain values); each process adds `nice` to its niceness when it starts. With 0, in the
    serving process's thread pool on `sessions`: tests bind those to one rolled-back
    transaction, which another process could not see.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        database_url: str,
        processes: int,
        log_level: str,
        nice: int = 0,
    ) -> None:
        self._sessions = sessions
        self._database_url = database_url
        self._processes = processes
        self._log_level = log_level
        self._nice = nice
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Starts the processes now, so the first unit of work does not wait for them."""
        if self._processes:
            self._executor().submit(_ready)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if not self._processes:
            return await run_in_threadpool(transaction, self._sessions, work, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), _in_process, work, *args)
        except BrokenProcessPool as error:
            # A process died (killed, out of memory): its transaction was rolled back, and
            # the next call starts a new pool.
            self._pool = None
            raise AppError(
                503, "Service Unavailable", "The work process stopped; try again."
            ) from error

    def call(self, work: Callable[..., T], *args: object) -> T:
        """`work(sessions, *args)` from a thread that may wait for it: in a work process with
        that process's sessions, or, without processes, here on the serving sessions. Work
        that manages its own transactions (several, or none) comes through here."""
        if not self._processes:
            return work(self._sessions, *args)
        return self._executor().submit(_with_sessions, work, *args).result()

    def close(self) -> None:
        """Waits for the work in progress, then stops the processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_process,
                initargs=(self._database_url, self._log_level, self._nice),
            )
        return self._pool


def transaction(sessions: sessionmaker[Session], work: Callable[..., T], *args: object) -> T:
    """`work(session, *args)` in a new session, committed when it returns (closing the
    session rolls back what a raising one did)."""
    with sessions() as session:
        result = work(session, *args)
        session.commit()
        return result


# The work process's sessions, made once when it starts.
_sessions: sessionmaker[Session] | None = None


def _start_process(database_url: str, log_level: str, nice: int) -> None:
    global _sessions
    os.nice(nice)
    configure_logging(SERVICE, level=log_level)
    # Every domain module now, rather than in the first unit of work.
    importlib.import_module("core_api.app")
    _sessions = make_sessions(make_engine(database_url))
    # Loaded for good: full collections need not walk it again during the work.
    gc.freeze()


def _ready() -> None:
    """Nothing: submitted to make the pool start its processes."""


def _in_process(work: Callable[..., T], *args: object) -> T:
    assert _sessions is not None, "the work process was started without its sessions"
    return transaction(_sessions, work, *args)


def _with_sessions(work: Callable[..., T], *args: object) -> T:
    assert _sessions is not None, "the work process was started without its sessions"
    return work(_sessions, *args)
