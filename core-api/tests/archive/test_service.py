from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from core_api.archive import service
from core_api.archive.format import ArchiveWriter
from core_api.archive.kinds import Kind, Source
from tests.archive.test_endpoints import rich_account
from tests.conftest import Trader


class TestStreamArchive:
    def test_the_reader_going_away_stops_the_writer(
        self,
        app: FastAPI,
        client: TestClient,
        workers: dict[str, str],
        session: Session,
        sessions: sessionmaker[Session],
        trader: Trader,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        rich_account(client, workers, session, trader)
        # Small chunks, so the writer fills the pipe and waits for a reader.
        monkeypatch.setattr(service, "CHUNK_BYTES", 64)
        chunks = service.stream_archive(sessions, app.state.core.store, trader.id)
        assert next(chunks).startswith(b"PK")
        chunks.close()
        assert not any(t.name == "archive-export" for t in threading.enumerate())

    def test_an_error_while_writing_reaches_the_reader(
        self,
        app: FastAPI,
        sessions: sessionmaker[Session],
        trader: Trader,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def broken(_source: Source, _writer: ArchiveWriter) -> None:
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(service, "KINDS", (Kind("broken", broken, lambda _r: 0),))
        with pytest.raises(RuntimeError, match="the disk is full"):
            b"".join(service.stream_archive(sessions, app.state.core.store, trader.id))
