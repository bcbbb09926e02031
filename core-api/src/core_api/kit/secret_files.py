"""Development secrets kept in the data folder, created once and shared by every process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's text; when it is missing, `make()` written with mode 0600 first.

    Processes racing to create it all end up reading the same text: the first complete
    file wins.
    """
    if path.exists():
        return path.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    text = make()
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        # A hard link appears complete or not at all; a process that loses the race reads
        # the winner's file.
        os.link(draft, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    finally:
        draft.unlink()
    return text
