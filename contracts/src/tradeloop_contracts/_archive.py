"""A trader's whole data as one archive: exported, and restored into a fresh account."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import ResponseBody, Timestamp


class ArchiveFile(ResponseBody):
    """One file of the archive, how many records it holds, and its SHA-256."""

    name: str = Field(max_length=200)
    records: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ArchiveManifest(ResponseBody):
    """`manifest.json` at the archive's root: what it holds, and which shapes it is written in."""

    format: Literal["tradeloop-archive"] = "tradeloop-archive"
    format_version: int = Field(ge=1)
    contracts_version: str
    exported_at: Timestamp
    files: list[ArchiveFile]


class ArchiveRestoreResult(ResponseBody):
    """What restoring an archive created, per kind of record."""

    restored: dict[str, int] = Field(description="Records created, by kind.")
