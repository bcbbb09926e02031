"""The engine, the session factory, and the session that is the request's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core_api.errors import AppError


def make_engine(url: str) -> Engine:
    """An engine for `url`.

    SQLite gets WAL, foreign keys, a busy timeout, real savepoints and immediate transactions.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails at once with SQLITE_BUSY when another writer committed in between, while
        # an immediate one waits its turn (busy_timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _session(request: Request) -> Iterator[Session]:
    sessions: sessionmaker[Session] = request.app.state.core.sessions
    with sessions() as session:
        try:
            yield session
        except AppError as error:
            if error.keep_changes:
                session.commit()
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        else:
            session.commit()


# Function scope: the commit happens before the response is sent, so a failed commit is an error.
DbSession = Annotated[Session, Depends(_session, scope="function")]
