"""Faults survived by real `workers run` processes, on the embedded bus and on Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import obstore
from tradeloop_contracts import ImportRequested
from tradeloop_contracts.bus import open_bus

from tests.factories import event_of, generic_csv, import_requested
from tests.processes import (
    WORKERS_COMMAND,
    WorkerProcess,
    children_of,
    is_running,
    own_redis,
    running_workers,
    start_worker,
    wait_until,
    worker_environment,
)
from tests.stub_core import StubCore
from workers.imports.storage import open_object_store

# How long core stays down in the outage test; raise it (e.g. to 30) for a longer run.
CORE_OUTAGE_SECONDS = float(os.environ.get("TEST_CORE_OUTAGE_SECONDS", "5"))


def stage_import(stub_core: StubCore, folder: Path, rows: int) -> ImportRequested:
    """An import core knows about, with its raw file of `rows` executions in object storage."""
    request = import_requested()
    store = open_object_store((folder / "objects").as_uri())
    obstore.put(store, request.object_key, generic_csv(rows))
    stub_core.add_import(request)
    return request


def publish(bus_url: str, requests: Sequence[ImportRequested]) -> None:
    async def send() -> None:
        bus = open_bus(bus_url)
        try:
            for request in requests:
                await bus.publish(event_of(request))
        finally:
            await bus.close()

    asyncio.run(send())


def dead_letters_command(environment: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(WORKERS_COMMAND), "dead-letters", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def handled_by(worker: WorkerProcess, requests: Sequence[ImportRequested]) -> set[str]:
    """The imports whose run this worker logged as completed."""
    output = worker.output()
    return {str(r.import_id) for r in requests if f"import {r.import_id} completed" in output}


class TestAWorkerKilledMidImport:
    def test_a_restarted_worker_completes_it_and_core_holds_each_execution_once(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.2)
        request = stage_import(stub_core, tmp_path, rows=40)
        environment = worker_environment(stub_core=stub_core, bus_url=bus_url, folder=tmp_path)
        with running_workers() as started:
            first = start_worker(started, environment, tmp_path, "first")
            publish(bus_url, [request])
            wait_until(lambda: len(stub_core.batches) >= 2, 20, "the import to be under way")
            [parse] = children_of(first.process.pid)
            first.kill()
            assert stub_core.finished == []
            # Its parse process notices and exits: no orphan keeps parsing.
            wait_until(lambda: not is_running(parse), 10, "the parse process to exit")
            start_worker(started, environment, tmp_path, "second")
            wait_until(lambda: stub_core.finished, 30, "the import to complete")

        assert stub_core.finished == [request.import_id]
        held = sorted(key[2] for key in stub_core.executions)
        assert held == sorted(f"E-{number}" for number in range(1, 41))
        [outcome] = stub_core.outcomes
        assert outcome.status == "completed"
        assert outcome.counts.new + outcome.counts.duplicate == 40
        assert outcome.counts.duplicate >= 10  # the batches the killed worker had sent


class TestCoreUnavailable:
    def test_the_import_retries_with_backoff_and_completes_when_core_returns(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.1)
        request = stage_import(stub_core, tmp_path, rows=30)
        environment = worker_environment(stub_core=stub_core, bus_url=bus_url, folder=tmp_path)
        with running_workers() as started:
            start_worker(started, environment, tmp_path, "worker")
            publish(bus_url, [request])
            wait_until(lambda: stub_core.batches, 20, "the first batch")
            stub_core.fail_for(CORE_OUTAGE_SECONDS)
            core_back_at = time.monotonic() + CORE_OUTAGE_SECONDS
            wait_until(lambda: stub_core.finished, CORE_OUTAGE_SECONDS + 30, "the import")
            completed_at = time.monotonic()

        assert completed_at >= core_back_at
        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.counts.new, outcome.counts.duplicate) == (
            "completed",
            30,
            0,
        )
        assert len(stub_core.executions) == 30


class TestRedisRestartedMidStream:
    def test_nothing_acknowledged_is_redone_and_nothing_unacknowledged_is_lost(
        self, stub_core: StubCore, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.05)
        requests = [stage_import(stub_core, tmp_path, rows=10) for _ in range(12)]
        with own_redis(tmp_path / "redis") as server:
            environment = worker_environment(
                stub_core=stub_core, bus_url=server.url, folder=tmp_path
            )
            with running_workers() as started:
                start_worker(started, environment, tmp_path, "worker")
                publish(server.url, requests)
                wait_until(lambda: len(stub_core.finished) >= 3, 30, "the first imports")
                server.kill()
                finished_before_restart = set(stub_core.finished)
                time.sleep(1)
                server.start()
                wait_until(lambda: len(stub_core.finished) >= 12, 60, "every import")
                time.sleep(1)  # a wrongly redone import would report a second outcome here

        assert Counter(stub_core.finished) == Counter({r.import_id: 1 for r in requests})
        assert sum(outcome.counts.new for outcome in stub_core.outcomes) == 120
        assert len(stub_core.executions) == 120
        assert all(stub_core.import_reads[done] >= 1 for done in finished_before_restart)


class TestTheEmbeddedStoreKilledMidStream:
    """The embedded bus has no server to restart: its store lives in the processes that
    hold the file open. Killing the only one mid-stream is its Redis restart."""

    def test_nothing_acknowledged_is_redone_and_nothing_unacknowledged_is_lost(
        self, stub_core: StubCore, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.05)
        requests = [stage_import(stub_core, tmp_path, rows=10) for _ in range(12)]
        bus_url = f"sqlite:///{tmp_path}/bus.db"
        environment = worker_environment(stub_core=stub_core, bus_url=bus_url, folder=tmp_path)
        with running_workers() as started:
            first = start_worker(started, environment, tmp_path, "first")
            publish(bus_url, requests)
            wait_until(lambda: len(stub_core.finished) >= 3, 30, "the first imports")
            first.kill()
            finished_before_kill = set(stub_core.finished)
            assert len(finished_before_kill) < 12
            second = start_worker(started, environment, tmp_path, "second")
            wait_until(lambda: len(stub_core.finished) >= 12, 60, "every import")
            time.sleep(1)  # a wrongly redone import would report a second outcome here

        assert Counter(stub_core.finished) == Counter({r.import_id: 1 for r in requests})
        assert sum(outcome.counts.new for outcome in stub_core.outcomes) == 120
        assert len(stub_core.executions) == 120
        # Only an import whose acknowledgement the kill cut off is read again, and skipped.
        read_again = [done for done in finished_before_kill if stub_core.import_reads[done] > 1]
        assert len(read_again) <= 1
        assert handled_by(second, requests).isdisjoint(str(done) for done in finished_before_kill)


class TestAPoisonMessage:
    def test_it_is_dead_lettered_without_blocking_others_and_replays_after_a_fix(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        poison = stage_import(stub_core, tmp_path, rows=5)
        stub_core.reject_import(poison.import_id)
        others = [stage_import(stub_core, tmp_path, rows=5) for _ in range(3)]
        environment = worker_environment(
            stub_core=stub_core, bus_url=bus_url, folder=tmp_path, max_attempts="3"
        )
        with running_workers() as started:
            start_worker(started, environment, tmp_path, "worker")
            publish(bus_url, [poison, *others])
            wait_until(lambda: len(stub_core.finished) == 3, 30, "the other imports")
            wait_until(
                lambda: "1 dead letters" in dead_letters_command(environment, "list"),
                30,
                "the dead letter",
            )
            assert stub_core.import_reads[poison.import_id] == 3
            listing = dead_letters_command(environment, "list")
            dead_letter_id = listing.split("\t", 1)[0]
            assert "core answered 422" in listing

            stub_core.reject_import(poison.import_id, rejected=False)
            replayed = dead_letters_command(environment, "replay", dead_letter_id)
            assert f"replayed {dead_letter_id}" in replayed
            wait_until(lambda: poison.import_id in stub_core.finished, 30, "the replayed import")
            remaining = dead_letters_command(environment, "list")

        assert set(stub_core.finished) == {poison.import_id, *(r.import_id for r in others)}
        assert "0 dead letters" in remaining


class TestTwoWorkersOnOneStream:
    def test_every_message_is_handled_and_none_by_both(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.05)
        requests = [stage_import(stub_core, tmp_path, rows=10) for _ in range(16)]
        environment = worker_environment(
            stub_core=stub_core,
            bus_url=bus_url,
            folder=tmp_path,
            visibility_timeout_seconds="60",
        )
        with running_workers() as started:
            one = start_worker(started, environment, tmp_path, "one")
            two = start_worker(started, environment, tmp_path, "two")
            publish(bus_url, requests)
            wait_until(lambda: len(stub_core.finished) >= 16, 60, "every import")
            one.terminate()
            two.terminate()

        assert Counter(stub_core.import_reads) == Counter({r.import_id: 1 for r in requests})
        by_one, by_two = handled_by(one, requests), handled_by(two, requests)
        assert by_one
        assert by_two
        assert by_one.isdisjoint(by_two)
        assert by_one | by_two == {str(r.import_id) for r in requests}


class TestGracefulShutdown:
    def test_sigterm_mid_import_lets_it_finish_within_the_deadline(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.2)
        request = stage_import(stub_core, tmp_path, rows=30)
        environment = worker_environment(
            stub_core=stub_core, bus_url=bus_url, folder=tmp_path, shutdown_seconds="20"
        )
        with running_workers() as started:
            worker = start_worker(started, environment, tmp_path, "first")
            # Its parse process starts with it, before any import.
            [parse] = children_of(worker.process.pid)
            publish(bus_url, [request])
            wait_until(lambda: stub_core.batches, 20, "the import to be under way")
            assert children_of(worker.process.pid) == [parse]
            signalled_at = time.monotonic()
            status = worker.terminate()
            stopped_after = time.monotonic() - signalled_at
            assert stub_core.finished == [request.import_id]
            assert not is_running(parse)
            # The event was acknowledged: a later worker does not run the import again.
            start_worker(started, environment, tmp_path, "second")
            time.sleep(2.5)  # longer than the visibility timeout

        assert status == 0
        assert stopped_after < 20
        assert stub_core.import_reads[request.import_id] == 1
        assert len(stub_core.executions) == 30

    def test_work_running_at_the_deadline_is_handed_back_and_completed_by_another_worker(
        self, stub_core: StubCore, bus_url: str, tmp_path: Path
    ) -> None:
        stub_core.slow_down_batches(0.5)
        request = stage_import(stub_core, tmp_path, rows=30)
        environment = worker_environment(
            stub_core=stub_core, bus_url=bus_url, folder=tmp_path, shutdown_seconds="0.5"
        )
        with running_workers() as started:
            worker = start_worker(started, environment, tmp_path, "first")
            publish(bus_url, [request])
            wait_until(lambda: stub_core.batches, 20, "the import to be under way")
            [parse] = children_of(worker.process.pid)
            signalled_at = time.monotonic()
            status = worker.terminate()
            stopped_after = time.monotonic() - signalled_at
            assert stub_core.finished == []
            # The import was cancelled: its parse process was stopped with it.
            assert not is_running(parse)
            start_worker(started, environment, tmp_path, "second")
            wait_until(lambda: stub_core.finished, 30, "the import to complete")

        assert status == 0
        assert stopped_after < 3
        assert stub_core.finished == [request.import_id]
        assert len(stub_core.executions) == 30
