"""The parse of an import file, in a process of its own.

Parsing costs some 40 µs of Python per row. In a thread of the worker it would hold the
interpreter lock against the event loop (health probes, the relay, the batches to core);
a process of its own holds no lock of the worker's. The child reads the file where the
worker copied it, with the same parsers, and hands back chunks whose executions are
already JSON, so the worker sends them to core without touching a row.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import signal
import sys
import traceback
from collections.abc import AsyncGenerator, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from tradeloop_contracts import ColumnMapping, ExecutionIn, ImportFormat

from .decoding import open_text, read_lines
from .detect import parse_text
from .generic_csv import ParsedRow, RowProblem
from .mapping import parse_mapped_csv

DEFAULT_NICE = 10
# The child reads untrusted files: it gets none of the worker's secrets.
_SECRET_PREFIXES = ("WORKERS_", "AWS_")
_CHILD = "import sys; from workers.imports.parse_process import serve; serve(int(sys.argv[1]))"
_LENGTH_BYTES = 8
_EXECUTIONS = TypeAdapter(list[ExecutionIn])


class ParseProcessError(Exception):
    """The parse process died, or raised an error that cannot be carried back as it is."""


@dataclass(frozen=True)
class ParsedChunk:
    """Up to a batch of consecutive rows: how many, the ones refused (in file order), and
    the JSON array of the valid rows' `ExecutionIn` (`execution_count` of them)."""

    rows: int
    problems: list[RowProblem]
    executions: bytes
    execution_count: int


@dataclass(frozen=True)
class _ParseRequest:
    raw: Path
    encoding: str
    file_format: ImportFormat
    time_zone: ZoneInfo
    mapping: ColumnMapping | None
    batch_size: int


@dataclass(frozen=True)
class _Finished:
    """The file was read to its end."""


@dataclass(frozen=True)
class _Failed:
    """The parse raised `error`; nothing more comes of that file."""

    error: BaseException


class ParseProcess:
    """A child process that parses import files, one at a time, for this worker process.

    It is spawned (a fresh interpreter, never a fork of a process running threads and an
    event loop) by `start`, or else at the first file, and reused for the next ones, since
    starting one costs about a second of CPU. It runs `nice` steps below the worker, so
    the services' event loops are scheduled first, without the worker's `WORKERS_*` and
    `AWS_*` variables. A file abandoned half-way (its reader stopped, or was
    cancelled) kills the child; the next file starts another. The child exits by itself
    when this process dies: its input ends, or its output has no reader.
    """

    def __init__(self, *, nice: int = DEFAULT_NICE) -> None:
        self._nice = nice
        self._process: asyncio.subprocess.Process | None = None
        self._busy = False

    @property
    def pid(self) -> int | None:
        """The child's process id, or None while none runs."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def start(self) -> None:
        """Start the child, if none runs, without waiting for it to be ready: it loads its
        modules while the worker does something else."""
        await self._running()

    async def chunks(
        self,
        raw: Path,
        encoding: str,
        file_format: ImportFormat,
        time_zone: ZoneInfo,
        mapping: ColumnMapping | None,
        *,
        batch_size: int,
    ) -> AsyncGenerator[ParsedChunk, None]:
        """The file's rows parsed, in chunks of up to `batch_size`, streamed: the child
        runs at most a few hundred KiB of chunks (about two of 1,000 rows) ahead of the
        reader, as the pipe between them holds no more. Use it within
        `contextlib.aclosing`, so a file left half-way stops the child at once.

        The parser's errors (FormatNotRecognisedError, MappingError, LineTooLongError,
        or any other) are raised here as they were raised in the child; ParseProcessError
        when the child dies or its error cannot be carried back.
        """
        if self._busy:
            raise RuntimeError("the parse process reads one file at a time")
        self._busy = True
        finished = False
        try:
            process = await self._running()
            assert process.stdin is not None
            request = _ParseRequest(raw, encoding, file_format, time_zone, mapping, batch_size)
            try:
                process.stdin.write(_framed(request))
                await process.stdin.drain()
            except ConnectionError as error:
                raise ParseProcessError("the parse process is gone") from error
            while True:
                message = await _receive(process)
                if isinstance(message, ParsedChunk):
                    yield message
                    continue
                finished = True
                if isinstance(message, _Failed):
                    raise message.error
                return
        finally:
            self._busy = False
            if not finished:
                # The child is still in this file, or dead: the next file starts another.
                await self.aclose()

    async def aclose(self) -> None:
        """Stop the child, if one runs, and wait for it to exit."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.kill()
        # Read what it wrote to the end, so its pipe closes with it.
        assert process.stdout is not None
        await process.stdout.read()
        await process.wait()

    async def _running(self) -> asyncio.subprocess.Process:
        if self._process is None or self._process.returncode is not None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _CHILD,
                str(self._nice),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={
                    name: value
                    for name, value in os.environ.items()
                    if not name.startswith(_SECRET_PREFIXES)
                },
            )
        return self._process


async def _receive(process: asyncio.subprocess.Process) -> ParsedChunk | _Finished | _Failed:
    assert process.stdout is not None
    try:
        length = await process.stdout.readexactly(_LENGTH_BYTES)
        message = await process.stdout.readexactly(int.from_bytes(length, "big"))
    except asyncio.IncompleteReadError:
        code = await process.wait()
        raise ParseProcessError(
            f"the parse process exited with code {code} in the middle of a file"
        ) from None
    received: ParsedChunk | _Finished | _Failed = pickle.loads(message)
    return received


def _framed(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_LENGTH_BYTES, "big") + data


def serve(nice: int) -> None:
    """The child: parse each file the worker asks for and write back its chunks, until
    the worker closes its input or stops reading its output."""
    # The worker decides when its parse stops: a signal sent to the whole process group
    # (Ctrl-C, a service manager's SIGTERM) must not cut short the import the worker is
    # still finishing within its shutdown grace.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(nice)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything else written to stdout goes to stderr, never into the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        while (request := _read_request(sys.stdin.buffer)) is not None:
            for message in _replies(request):
                replies.write(_framed(message))
                replies.flush()
    except (BrokenPipeError, ConnectionResetError):
        return  # the worker is gone


def _read_request(requests: BinaryIO) -> _ParseRequest | None:
    length = requests.read(_LENGTH_BYTES)
    if len(length) < _LENGTH_BYTES:
        return None  # the worker closed its end, or died
    request: _ParseRequest = pickle.loads(requests.read(int.from_bytes(length, "big")))
    return request


def _replies(request: _ParseRequest) -> Iterator[ParsedChunk | _Finished | _Failed]:
    try:
        rows = parse_file(
            request.raw, request.encoding, request.file_format, request.time_zone, request.mapping
        )
        with closing(rows):
            while chunk := list(itertools.islice(rows, request.batch_size)):
                yield _parsed_chunk(chunk)
    except Exception as error:
        yield _carried(error)
        return
    yield _Finished()


def _parsed_chunk(results: list[ParsedRow | RowProblem]) -> ParsedChunk:
    executions = [result.execution for result in results if isinstance(result, ParsedRow)]
    return ParsedChunk(
        rows=len(results),
        problems=[result for result in results if isinstance(result, RowProblem)],
        executions=_EXECUTIONS.dump_json(executions),
        execution_count=len(executions),
    )


def _carried(error: Exception) -> _Failed:
    """The error as the worker will raise it: the same type and message, with this
    process's traceback as a note; a ParseProcessError naming it when it cannot travel."""
    error.add_note("raised in the parse process:\n" + "".join(traceback.format_exception(error)))
    try:
        carried = pickle.loads(pickle.dumps(error))
    except Exception:
        carried = None
    if type(carried) is not type(error) or str(carried) != str(error):
        return _Failed(ParseProcessError(f"{type(error).__qualname__}: {error}"))
    return _Failed(error)


def parse_file(
    raw: Path,
    encoding: str,
    file_format: ImportFormat,
    time_zone: ZoneInfo,
    mapping: ColumnMapping | None,
) -> Generator[ParsedRow | RowProblem, None, None]:
    """Every row of the file, parsed with the trader's `mapping` when there is one, else
    as `file_format`; streamed, never the whole file in memory (OFX aside)."""
    with open_text(raw.open("rb"), encoding) as text:
        if mapping is not None:
            yield from parse_mapped_csv(read_lines(text), mapping, time_zone=time_zone)
        else:
            yield from parse_text(text, file_format, time_zone)
