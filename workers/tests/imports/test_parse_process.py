from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import aclosing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter
from tradeloop_contracts import ColumnMapping, ExecutionIn, ImportFormat

from tests.factories import generic_csv
from tests.processes import is_running, wait_until
from workers.imports import parse_process
from workers.imports.generic_csv import ParsedRow, RowProblem
from workers.imports.parse_process import ParsedChunk, ParseProcess, parse_file

pytestmark = pytest.mark.anyio
SAMPLE = Path(__file__).parent / "samples" / "generic.csv"
NEW_YORK = ZoneInfo("America/New_York")
GERMAN_MAPPING = ColumnMapping(
    columns={"datetime": "Datum", "symbol": "Titel", "quantity": "Stück", "price": "Kurs"}
)


async def parse_all(
    parser: ParseProcess,
    raw: Path,
    *,
    file_format: ImportFormat = "generic_csv",
    mapping: ColumnMapping | None = None,
    batch_size: int = 2,
) -> list[ParsedChunk]:
    chunks = parser.chunks(raw, "utf-8", file_format, NEW_YORK, mapping, batch_size=batch_size)
    async with aclosing(chunks):
        return [chunk async for chunk in chunks]


def raised_here(raw: Path, mapping: ColumnMapping | None) -> Exception:
    """What the parse raises when it runs in this process."""
    try:
        list(parse_file(raw, "utf-8", "generic_csv", NEW_YORK, mapping))
    except Exception as error:
        return error
    raise AssertionError("the parse raised nothing")


class TestParseProcess:
    async def test_chunks_hold_every_row_with_the_executions_already_encoded(
        self, parser: ParseProcess
    ) -> None:
        chunks = await parse_all(parser, SAMPLE)

        here = list(parse_file(SAMPLE, "utf-8", "generic_csv", NEW_YORK, None))
        assert [chunk.rows for chunk in chunks] == [2, 2, 2]
        assert [problem for chunk in chunks for problem in chunk.problems] == [
            result for result in here if isinstance(result, RowProblem)
        ]
        encoded = TypeAdapter(list[ExecutionIn])
        executions = [e for chunk in chunks for e in encoded.validate_json(chunk.executions)]
        assert executions == [result.execution for result in here if isinstance(result, ParsedRow)]
        assert [chunk.execution_count for chunk in chunks] == [2, 2, 0]

    async def test_the_parse_runs_in_a_child_of_this_process_at_a_lower_priority(
        self, parser: ParseProcess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def not_here(*_: object) -> None:
            raise AssertionError("parsed in the worker's process")

        monkeypatch.setenv("WORKERS_CORE_CLIENT_SECRET", "not-for-the-parser")
        # The child has modules of its own: a parser broken here does not reach it.
        monkeypatch.setattr(parse_process, "parse_file", not_here)

        chunks = await parse_all(parser, SAMPLE)

        assert sum(chunk.execution_count for chunk in chunks) == 4
        assert parser.pid is not None
        assert parser.pid != os.getpid()
        parent = int(Path(f"/proc/{parser.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert parent == os.getpid()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, parser.pid) == min(19, ours + 10)
        # It reads untrusted files: the worker's secrets stay out of its environment.
        assert b"not-for-the-parser" not in Path(f"/proc/{parser.pid}/environ").read_bytes()

    async def test_one_child_parses_file_after_file(self, parser: ParseProcess) -> None:
        await parse_all(parser, SAMPLE)
        first = parser.pid

        chunks = await parse_all(parser, SAMPLE)

        assert sum(chunk.rows for chunk in chunks) == 6
        assert parser.pid == first

    @pytest.mark.parametrize(
        ("content", "mapping"),
        [
            pytest.param(b"Date/Time,Symbol\n" + b"x" * 1_000_001 + b"\n", None, id="long line"),
            pytest.param(b"Datum;Titel;Kurs\n", GERMAN_MAPPING, id="mapped columns missing"),
            pytest.param(
                "Datum;Titel;Stück;Kurs\n".encode(),
                GERMAN_MAPPING.model_copy(update={"time_zone": "Mars/Olympus"}),
                id="unknown zone",
            ),
            pytest.param(None, None, id="no file"),
        ],
    )
    async def test_a_parse_error_reaches_the_caller_as_it_was_raised(
        self,
        parser: ParseProcess,
        tmp_path: Path,
        content: bytes | None,
        mapping: ColumnMapping | None,
    ) -> None:
        raw = tmp_path / "raw"
        if content is not None:
            raw.write_bytes(content)
        expected = raised_here(raw, mapping)

        with pytest.raises(type(expected)) as raised:
            await parse_all(parser, raw, mapping=mapping)
        assert str(raised.value) == str(expected)
        first = parser.pid

        # The child finished that file: it goes on with the next.
        assert sum(chunk.rows for chunk in await parse_all(parser, SAMPLE)) == 6
        assert parser.pid == first

    async def test_a_file_left_half_way_stops_the_child(
        self, parser: ParseProcess, tmp_path: Path
    ) -> None:
        raw = tmp_path / "large.csv"
        raw.write_bytes(generic_csv(20_000))
        chunks = parser.chunks(raw, "utf-8", "generic_csv", NEW_YORK, None, batch_size=1000)
        async with aclosing(chunks):
            async for chunk in chunks:
                assert chunk.rows == 1000
                child = parser.pid
                break

        assert child is not None
        assert not is_running(child)
        assert parser.pid is None
        assert sum(chunk.rows for chunk in await parse_all(parser, SAMPLE)) == 6


# A worker that hands its parse process a file, then is killed (the test sends SIGKILL):
# either after reading one chunk (the child is blocked handing over the next) or after
# reading them all (the child waits for a next file).
WORKER = """
import asyncio, sys
from pathlib import Path
from zoneinfo import ZoneInfo
from workers.imports.parse_process import ParseProcess

async def main(raw: str, whole: bool) -> None:
    parser = ParseProcess()
    zone = ZoneInfo("UTC")
    chunks = parser.chunks(Path(raw), "utf-8", "generic_csv", zone, None, batch_size=1000)
    async for _ in chunks:
        if not whole:
            print(parser.pid, flush=True)
            await asyncio.sleep(3600)
    print(parser.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2] == "whole"))
"""


class TestAParseProcessWhoseWorkerDied:
    @pytest.mark.parametrize("read", ["one chunk", "whole"])
    def test_it_exits(self, tmp_path: Path, read: str) -> None:
        raw = tmp_path / "large.csv"
        raw.write_bytes(generic_csv(20_000))
        with subprocess.Popen(
            [sys.executable, "-c", WORKER, str(raw), read], stdout=subprocess.PIPE, text=True
        ) as worker:
            try:
                assert worker.stdout is not None
                child = int(worker.stdout.readline())
                assert is_running(child)
            finally:
                worker.send_signal(signal.SIGKILL)

        wait_until(lambda: not is_running(child), 10, "the parse process to exit")
