from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts.sealing import KeyRing, Opener, RetiredKeyError, key_id_of

from core_api.brokers.models import BrokerConnectionRecord, BrokerSecretRecord
from core_api.brokers.resealing import reseal_secrets
from core_api.brokers.service import secret_context
from core_api.cli import alembic_config, main
from core_api.db import make_engine, make_sessions
from tests.brokers.factories import stored_connection
from tests.brokers.keyrings import ring_setting

K1 = KeyRing.from_setting(ring_setting("k1"))
K2_PROMOTED = KeyRing.from_setting(ring_setting("k2", "k1"))
K1_RETIRED = KeyRing.from_setting(ring_setting("k2", retired=("k1",)))


def secrets_of(session: Session, connection: BrokerConnectionRecord) -> dict[str, bytes]:
    rows = session.scalars(
        select(BrokerSecretRecord).where(BrokerSecretRecord.connection_id == connection.id)
    )
    return {row.kind: row.blob for row in rows}


def opened(
    ring: KeyRing, connection: BrokerConnectionRecord, blobs: dict[str, bytes]
) -> dict[str, bytes]:
    return {
        kind: Opener(ring).open(blob, secret_context(connection.user_id, connection.id, kind))
        for kind, blob in blobs.items()
    }


class TestReseal:
    def test_after_a_promotion_new_secrets_use_the_new_key_and_reseal_moves_the_old(
        self, session: Session
    ) -> None:
        old = stored_connection(session, K1, "old-key", "old-secret")
        new = stored_connection(session, K2_PROMOTED, "new-key", "new-secret")
        assert {key_id_of(b) for b in secrets_of(session, old).values()} == {"k1"}
        assert {key_id_of(b) for b in secrets_of(session, new).values()} == {"k2"}

        report = reseal_secrets(session, K2_PROMOTED)

        assert (report.rewrapped, report.failures) == (2, [])
        assert report.unchanged >= 2
        assert report.by_key["k1"] == 0
        for connection, key, secret in (
            (old, b"old-key", b"old-secret"),
            (new, b"new-key", b"new-secret"),
        ):
            blobs = secrets_of(session, connection)
            assert {key_id_of(b) for b in blobs.values()} == {"k2"}
            # k1 may now be retired: everything opens without it.
            assert opened(K1_RETIRED, connection, blobs) == {
                "api_key_id": key,
                "api_secret": secret,
            }

    def test_a_second_reseal_changes_nothing(self, session: Session) -> None:
        connection = stored_connection(session, K1)
        reseal_secrets(session, K2_PROMOTED)
        before = secrets_of(session, connection)
        report = reseal_secrets(session, K2_PROMOTED)
        assert report.rewrapped == 0
        assert secrets_of(session, connection) == before

    def test_secrets_under_a_retired_key_are_refused_and_left_as_they_were(
        self, session: Session
    ) -> None:
        connection = stored_connection(session, K1)
        before = secrets_of(session, connection)
        report = reseal_secrets(session, K1_RETIRED)
        mine = [f for f in report.failures if f.connection_id == connection.id]
        assert sorted(f.kind for f in mine) == ["api_key_id", "api_secret"]
        assert all("'k1'" in f.reason and "retired" in f.reason for f in mine)
        assert secrets_of(session, connection) == before
        with pytest.raises(RetiredKeyError):
            opened(K1_RETIRED, connection, before)

    def test_a_blob_moved_to_another_row_is_refused_not_rewritten(self, session: Session) -> None:
        first = stored_connection(session, K1, secret="first")
        second = stored_connection(session, K1, secret="second")
        moved = secrets_of(session, first)["api_secret"]
        row = session.scalar(
            select(BrokerSecretRecord).where(
                BrokerSecretRecord.connection_id == second.id,
                BrokerSecretRecord.kind == "api_secret",
            )
        )
        assert row is not None
        row.blob = moved
        session.flush()
        report = reseal_secrets(session, K2_PROMOTED)
        [failure] = [f for f in report.failures if f.connection_id == second.id]
        assert failure.kind == "api_secret"
        assert secrets_of(session, second)["api_secret"] == moved


class TestResealCommand:
    def test_the_command_rewraps_committed_secrets_and_reports_refusals(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        url = f"sqlite:///{tmp_path / 'core.db'}"
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with make_sessions(engine)() as session, session.begin():
            connection = stored_connection(session, K1, secret="committed-secret")
        monkeypatch.setenv("CORE_DATABASE_URL", url)
        monkeypatch.setenv("CORE_DATA_DIR", str(tmp_path))

        monkeypatch.setenv("CORE_SEALING_KEYS", ring_setting("k2", "k1").get_secret_value())
        assert main(["reseal"]) == 0
        log = capsys.readouterr().out
        assert "re-sealed 2 secrets" in log
        assert "k2=2" in log
        assert "committed-secret" not in log
        with make_sessions(engine)() as session:
            blobs = secrets_of(session, connection)
        assert {key_id_of(b) for b in blobs.values()} == {"k2"}

        monkeypatch.setenv(
            "CORE_SEALING_KEYS", ring_setting("k3", retired=("k2",)).get_secret_value()
        )
        assert main(["reseal"]) == 1
        log = capsys.readouterr().out
        assert f"broker connection {connection.id}, secret api_secret" in log
        assert "'k2'" in log
        engine.dispose()

    def test_an_unusable_key_ring_is_named_without_a_trace(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("CORE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CORE_SEALING_KEYS", '{"keys": {"k1": "c2hvcnQ="}}')
        assert main(["reseal"]) == 2
        log = capsys.readouterr().out
        assert "'k1'" in log
        assert "c2hvcnQ=" not in log
