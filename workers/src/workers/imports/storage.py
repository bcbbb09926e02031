"""Raw import files in object storage: a local folder (`file://`) or a bucket (`s3://`)."""

from __future__ import annotations

from pathlib import Path

import obstore
from obstore.store import ObjectStore, from_url

CHUNK_BYTES = 1 << 20


def open_object_store(url: str) -> ObjectStore:
    """The store at `url`; a local folder is created when missing.

    Raises obstore's errors for a URL it cannot open (unknown scheme, bad bucket options).
    """
    if url.startswith("file://"):
        return from_url(url, mkdir=True)
    return from_url(url)


class ObjectTooLargeError(ValueError):
    """The object is larger than the caller accepts; nothing of it was read."""

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"the file is {size:,} bytes, over the limit of {max_bytes:,} bytes")
        self.size = size
        self.max_bytes = max_bytes


async def download(store: ObjectStore, key: str, target: Path, *, max_bytes: int) -> int:
    """Copy the object `key` into the file `target`, chunk by chunk; the number of bytes.

    Raises ObjectTooLargeError, before reading any of it, when the store says the object
    is over `max_bytes`; FileNotFoundError when there is no such object; obstore's errors
    when the store cannot be read.
    """
    meta = await obstore.head_async(store, key)
    if meta["size"] > max_bytes:
        raise ObjectTooLargeError(meta["size"], max_bytes)
    result = await obstore.get_async(store, key)
    size = 0
    with target.open("wb") as file:
        async for chunk in result.stream(min_chunk_size=CHUNK_BYTES):
            file.write(chunk)
            size += len(chunk)
    return size
