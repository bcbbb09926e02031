"""Text encoding of uploaded files: UTF-8 with or without BOM, UTF-16 with BOM, else Latin-1."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TextIO

UTF8, UTF8_BOM, UTF16, LATIN1 = "utf-8", "utf-8-sig", "utf-16", "latin-1"
MAX_LINE_CHARS = 1_000_000


class LineTooLongError(ValueError):
    """A line is longer than any broker export writes; the file is not a CSV export."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is longer than {MAX_LINE_CHARS:,} characters")
        self.line = line

    def __reduce__(self) -> tuple[type[LineTooLongError], tuple[int]]:
        # Rebuilt from its line, not its message, when it leaves the parse process.
        return LineTooLongError, (self.line,)


def detect_encoding(chunks: Iterable[bytes]) -> str:
    """The encoding to read the file with, reading its bytes once, in chunks.

    A UTF-16 or UTF-8 byte order mark decides; otherwise the file is UTF-8 when all of it
    decodes as UTF-8, and Latin-1 (which decodes any bytes) when not.
    """
    head = b""
    decoder = codecs.getincrementaldecoder(UTF8)()
    encoding: str | None = None
    for chunk in chunks:
        if encoding is None:
            head += chunk
            if len(head) < 3:
                continue
            encoding = _by_byte_order_mark(head)
            if encoding == UTF16:
                return UTF16
            chunk, head = head, b""
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return LATIN1
    if encoding is None:
        encoding = _by_byte_order_mark(head)
        if encoding == UTF16:
            return UTF16
        try:
            decoder.decode(head)
        except UnicodeDecodeError:
            return LATIN1
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return LATIN1
    return encoding


def _by_byte_order_mark(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    return UTF8


def open_text(binary: BinaryIO, encoding: str) -> TextIO:
    """A text view of `binary` for `read_lines`: undecodable bytes become U+FFFD, and line
    endings are kept as they are (the CSV reader needs them). Closing it closes `binary`.
    """
    return io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")


def read_lines(text: TextIO) -> Iterator[str]:
    """The lines of `text` with their endings, one at a time (never the whole file).

    Raises LineTooLongError for a line over MAX_LINE_CHARS characters, so a file without
    line breaks cannot fill the memory.
    """
    number = 0
    while True:
        line = text.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise LineTooLongError(number)
        yield line
