"""Streaming a multipart upload straight into object storage, counting bytes as they come.

Nothing is spooled to local disk: each chunk of the `file` part is written on to the
store as it arrives, and the upload stops with a 413 problem the moment it passes the
limit. The other parts are small form fields, kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import obstore
from obstore.store import ObjectStore
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from core_api.errors import AppError, FieldError

if TYPE_CHECKING:
    from obstore import AsyncWritableFile

FILE_FIELD = "file"
MAX_FIELD_BYTES = 1024
MAX_FIELDS = 16


class UploadTooLargeError(AppError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "Upload too large", f"Files may be at most {limit} bytes.")


class MalformedUploadError(AppError):
    def __init__(self, reason: str) -> None:
        super().__init__(400, "Malformed upload", reason, errors=[FieldError("body", reason)])


@dataclass
class ReceivedUpload:
    """The form fields and what became of the file part."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    size: int = 0
    stored: bool = False


EventKind = Literal[
    "header_field", "header_value", "header_end", "headers_done", "data", "part_end"
]
Event = tuple[EventKind, bytes]


@dataclass
class _Part:
    name: str | None = None
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)


async def receive_upload(
    request: Request, store: ObjectStore, key: str, max_bytes: int
) -> ReceivedUpload:
    """Streams the `file` part to `key` and returns the form fields.

    UploadTooLargeError past `max_bytes`, MalformedUploadError for a body that is not
    multipart form data or holds more than one file. On any error nothing stays stored.
    """
    media_type, params = parse_options_header(request.headers.get("content-type"))
    if media_type != b"multipart/form-data" or b"boundary" not in params:
        raise MalformedUploadError("the body must be multipart/form-data with a boundary")
    events: list[Event] = []

    def collect(kind: EventKind) -> Callable[[bytes, int, int], None]:
        def on_data(data: bytes, start: int, end: int) -> None:
            events.append((kind, data[start:end]))

        return on_data

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_header_field": collect("header_field"),
            "on_header_value": collect("header_value"),
            "on_header_end": lambda: events.append(("header_end", b"")),
            "on_headers_finished": lambda: events.append(("headers_done", b"")),
            "on_part_data": collect("data"),
            "on_part_end": lambda: events.append(("part_end", b"")),
        },
    )
    upload = ReceivedUpload()
    receiver = _Receiver(upload, store, key, max_bytes)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await receiver.handle(events)
            events.clear()
        parser.finalize()
        await receiver.handle(events)
    except FormParserError as error:
        await receiver.discard()
        raise MalformedUploadError("the multipart body is malformed") from error
    except BaseException:
        await receiver.discard()
        raise
    if not upload.stored:
        raise AppError(
            422, "Invalid request", errors=[FieldError("form.file", "a file is required")]
        )
    return upload


@dataclass
class _Receiver:
    upload: ReceivedUpload
    store: ObjectStore
    key: str
    max_bytes: int
    part: _Part = field(default_factory=_Part)
    writer: AsyncWritableFile | None = None
    opened: bool = False

    async def handle(self, events: list[Event]) -> None:
        for kind, data in events:
            if kind == "header_field":
                self.part.header_field += data
            elif kind == "header_value":
                self.part.header_value += data
            elif kind == "header_end":
                self._header_end()
            elif kind == "headers_done":
                await self._headers_done()
            elif kind == "data":
                await self._data(data)
            else:
                await self._part_end()

    def _header_end(self) -> None:
        if bytes(self.part.header_field).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self.part.header_value))
            self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
            filename = options.get(b"filename")
            self.part.filename = filename.decode("utf-8", "replace") if filename else None
        self.part.header_field = bytearray()
        self.part.header_value = bytearray()

    async def _headers_done(self) -> None:
        if self.part.name != FILE_FIELD:
            return
        if self.upload.stored or self.writer is not None:
            raise MalformedUploadError("send exactly one file")
        self.upload.filename = self.part.filename
        self.writer = obstore.open_writer_async(self.store, self.key)
        self.opened = True

    async def _data(self, data: bytes) -> None:
        if self.writer is not None:
            self.upload.size += len(data)
            if self.upload.size > self.max_bytes:
                raise UploadTooLargeError(self.max_bytes)
            await self.writer.write(data)
            return
        self.part.value += data
        if len(self.part.value) > MAX_FIELD_BYTES:
            raise MalformedUploadError(f"form field {self.part.name!r} is too long")

    async def _part_end(self) -> None:
        if self.writer is not None:
            await self.writer.close()
            self.writer = None
            self.upload.stored = True
        elif self.part.name:
            if len(self.upload.fields) >= MAX_FIELDS:
                raise MalformedUploadError("too many form fields")
            self.upload.fields[self.part.name] = self.part.value.decode("utf-8", "replace")
        self.part = _Part()

    async def discard(self) -> None:
        """Drops whatever of the file reached the store."""
        if not self.opened:
            return
        if self.writer is not None:
            await self.writer.close()
            self.writer = None
        await obstore.delete_async(self.store, self.key)
