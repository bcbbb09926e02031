"""The archive's zip: files written as their rows stream in, and checked when read back.

Each record file is JSON Lines, one contracts response model a line; the tabular kinds get
a CSV beside it for spreadsheets. `manifest.json` names every other file with its record
count and SHA-256, so a restore can refuse a damaged or edited archive before it writes
anything.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from tradeloop_contracts import ArchiveFile, ArchiveManifest
from tradeloop_contracts import __version__ as contracts_version

from core_api.errors import AppError, FieldError
from core_api.kit.clock import utcnow

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
# Files being built (an archive, a CSV beside its JSON Lines) stay in memory up to this
# size, then go to disk.
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Spreadsheets run a cell that starts like a formula; such text is written with a quote first.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Model = TypeVar("Model", bound=BaseModel)


class Writable(Protocol):
    """Where an archive is written: a file, or a pipe to the client (it need not seek)."""

    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class ArchiveError(AppError):
    """The archive cannot be restored; `location` names the file, the record and the field."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(
            422,
            "Invalid archive",
            f"{location}: {message}",
            errors=[FieldError(location, message)],
        )


class ArchiveTooLargeError(AppError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, "Archive too large", f"An archive may unpack to at most {limit} bytes."
        )


class _Member:
    """A file being written into the zip, hashed as it goes."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self._target.write(chunk)


class ArchiveWriter:
    """Writes the archive's files one after another into `target`, then the manifest."""

    def __init__(self, target: Writable) -> None:
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self._files: list[ArchiveFile] = []

    def records(self, name: str, records: Iterable[BaseModel], table: str | None = None) -> None:
        """`name` as JSON Lines, one record a line; with `table`, the same records as CSV
        there too (written aside while the records stream, then added): one column per
        field (nested ones as `instrument.symbol`), lists of values joined by `; `, lists
        of records left out (they are in files of their own)."""
        with contextlib.ExitStack() as stack:
            aside = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
            target = stack.enter_context(self._zip.open(name, "w", force_zip64=True))
            member = _Member(target)
            rows = _Table(aside) if table is not None else None
            count = 0
            for record in records:
                member.write(record.model_dump_json().encode() + b"\n")
                if rows is not None:
                    rows.write(record)
                count += 1
            target.close()
            self._add(name, count, member)
            if table is not None:
                aside.seek(0)
                self.blob(table, iter(lambda: aside.read(CHUNK_BYTES), b""), records=count)

    def blob(self, name: str, chunks: Iterable[bytes], records: int = 0) -> None:
        """A file byte for byte: a stored picture or raw import (no records), or a table."""
        with self._zip.open(name, "w", force_zip64=True) as target:
            member = _Member(target)
            for chunk in chunks:
                member.write(chunk)
        self._add(name, records, member)

    def close(self) -> ArchiveManifest:
        """Writes `manifest.json` and finishes the zip."""
        manifest = ArchiveManifest(
            format_version=FORMAT_VERSION,
            contracts_version=contracts_version,
            exported_at=utcnow(),
            files=self._files,
        )
        self._zip.writestr(MANIFEST, manifest.model_dump_json(indent=2))
        self._zip.close()
        return manifest

    def abandon(self) -> None:
        """Gives up a half-written archive."""
        with contextlib.suppress(Exception):
            self._zip.close()

    def _add(self, name: str, records: int, member: _Member) -> None:
        self._files.append(
            ArchiveFile(name=name, records=records, sha256=member.digest.hexdigest())
        )


class _Table:
    """CSV rows of records, written to `target` as they come."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self._line = io.StringIO()
        self._writer: csv.DictWriter[str] | None = None

    def write(self, record: BaseModel) -> None:
        row = _flat(record.model_dump(mode="json", exclude=_record_lists(type(record))))
        if self._writer is None:
            # Columns come from the model, so a nested record absent from the first row
            # (a position under no playbook) still has its columns, left empty.
            self._writer = csv.DictWriter(
                self._line, fieldnames=_columns(type(record)), restval="", extrasaction="ignore"
            )
            self._writer.writeheader()
        self._writer.writerow(row)
        self._target.write(self._line.getvalue().encode())
        self._line.seek(0)
        self._line.truncate()


@functools.cache
def _record_lists(model: type[BaseModel]) -> set[str]:
    """The fields holding lists of records, such as a position's executions."""
    return {
        name
        for name, field in model.model_fields.items()
        if get_origin(field.annotation) is list
        and any(
            isinstance(arg, type) and issubclass(arg, BaseModel)
            for arg in get_args(field.annotation)
        )
    }


@functools.cache
def _columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The CSV columns of a model: nested records (optional ones too) flattened as `a.b`."""
    columns: list[str] = []
    for name, field in model.model_fields.items():
        if name in _record_lists(model):
            continue
        nested = [
            arg
            for arg in (field.annotation, *get_args(field.annotation))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        if nested:
            columns += _columns(nested[0], f"{prefix}{name}.")
        else:
            columns.append(prefix + name)
    return columns


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, str]:
    row: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            row |= _flat(item, f"{prefix}{key}.")
        elif isinstance(item, list):
            row[prefix + key] = "; ".join(_cell(part) for part in item)
        else:
            row[prefix + key] = _cell(item)
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class ArchiveReader:
    """An uploaded archive, its manifest read and every file checked against it.

    ArchiveError for a file that is not a zip, a manifest that is missing, of another
    format or major contracts version, or that does not describe the files exactly
    (missing, extra, changed); ArchiveTooLargeError when it unpacks to more than
    `max_expanded_bytes`.
    """

    def __init__(self, source: IO[bytes], max_expanded_bytes: int) -> None:
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError):
            raise ArchiveError("file", "is not a zip archive") from None
        if sum(info.file_size for info in self._zip.infolist()) > max_expanded_bytes:
            raise ArchiveTooLargeError(max_expanded_bytes)
        self.manifest = self._manifest()
        self._files = {file.name: file for file in self.manifest.files}
        held = {info.filename for info in self._zip.infolist() if not info.is_dir()} - {MANIFEST}
        unlisted = sorted(held - self._files.keys())
        if unlisted:
            raise ArchiveError(unlisted[0], "is not listed in manifest.json")
        for file in self.manifest.files:
            if file.name not in held:
                raise ArchiveError(file.name, "is listed in manifest.json but missing")
            if self._sha256(file.name) != file.sha256:
                raise ArchiveError(file.name, "does not match its SHA-256 in manifest.json")

    def _manifest(self) -> ArchiveManifest:
        try:
            info = self._zip.getinfo(MANIFEST)
        except KeyError:
            raise ArchiveError(MANIFEST, "is missing") from None
        if info.file_size > MAX_MANIFEST_BYTES:
            raise ArchiveError(MANIFEST, f"is larger than {MAX_MANIFEST_BYTES} bytes")
        try:
            manifest = ArchiveManifest.model_validate_json(self._zip.read(MANIFEST))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ArchiveError(f"{MANIFEST}:{where}" if where else MANIFEST, first["msg"]) from None
        if manifest.format_version != FORMAT_VERSION:
            raise ArchiveError(
                f"{MANIFEST}:format_version",
                f"is {manifest.format_version}; this server reads version {FORMAT_VERSION}",
            )
        if _major(manifest.contracts_version) != _major(contracts_version):
            raise ArchiveError(
                f"{MANIFEST}:contracts_version",
                f"is {manifest.contracts_version}; this server writes {contracts_version}",
            )
        return manifest

    def _sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        with self._zip.open(name) as source:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest()

    def names_under(self, folder: str) -> list[str]:
        """The listed files under `folder/`, in name order."""
        return sorted(name for name in self._files if name.startswith(f"{folder}/"))

    def holds(self, name: str) -> bool:
        return name in self._files

    def records(self, name: str, model: type[Model]) -> Iterator[tuple[str, Model]]:
        """Each record of `name` (none when the archive has no such file) with where it is
        (`executions.jsonl:12`); ArchiveError naming the record and field of a bad one."""
        if name not in self._files:
            return
        count = 0
        with self._zip.open(name) as source:
            while line := source.readline(MAX_LINE_BYTES + 1):
                count += 1
                where = f"{name}:{count}"
                if len(line) > MAX_LINE_BYTES:
                    raise ArchiveError(where, f"is longer than {MAX_LINE_BYTES} bytes")
                yield where, _parse(line, model, where)
        if count != self._files[name].records:
            raise ArchiveError(
                name, f"holds {count} records; manifest.json says {self._files[name].records}"
            )

    def open(self, name: str) -> IO[bytes]:
        """A listed file's bytes, to be read as a stream."""
        return self._zip.open(name)

    def size(self, name: str) -> int:
        return self._zip.getinfo(name).file_size


def _parse(line: bytes, model: type[Model], where: str) -> Model:
    try:
        return model.model_validate_json(line)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ArchiveError(f"{where}:{field}" if field else where, first["msg"]) from None


def _major(version: str) -> str:
    return version.split(".", 1)[0]
