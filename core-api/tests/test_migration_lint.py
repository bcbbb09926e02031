from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core_api.cli import main
from core_api.migration_lint import lint

BASE = """
revision = "aaa"
down_revision = None


def upgrade() -> None:
    op.create_table("trades", sa.Column("id", sa.Integer(), nullable=False))


def downgrade() -> None:
    op.drop_table("trades")
"""


def write(folder: Path, upgrade: str, header: str = "") -> Path:
    (folder / "0001_base.py").write_text(BASE, encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    (folder / "0002_next.py").write_text(
        f'revision = "bbb"\ndown_revision = "aaa"\n{header}\n\ndef upgrade() -> None:\n{body}\n',
        encoding="utf-8",
    )
    return folder


class TestRules:
    @pytest.mark.parametrize(
        ("upgrade", "rule"),
        [
            ('op.drop_table("trades")', "drop-table"),
            ('op.drop_column("trades", "note")', "drop-column"),
            (
                'with op.batch_alter_table("trades") as batch_op:\n'
                '    batch_op.drop_column("note")',
                "drop-column",
            ),
            ('op.rename_table("trades", "fills")', "rename-table"),
            ('op.alter_column("trades", "note", new_column_name="memo")', "rename-column"),
            (
                'op.alter_column("trades", "note", existing_type=sa.String(200), '
                "type_=sa.String(50))",
                "type-narrowing",
            ),
            (
                'op.alter_column("trades", "qty", existing_type=sa.BigInteger(), '
                "type_=sa.Integer())",
                "type-narrowing",
            ),
            ('op.alter_column("trades", "note", nullable=False)', "not-null-without-default"),
            (
                'op.add_column("trades", sa.Column("note", sa.Text(), nullable=False))',
                "not-null-without-default",
            ),
            ('op.execute("ALTER TABLE trades DROP COLUMN note")', "raw-destructive-sql"),
        ],
    )
    def test_a_destructive_step_is_refused_and_named(
        self, tmp_path: Path, upgrade: str, rule: str
    ) -> None:
        [violation] = lint(write(tmp_path, upgrade))
        assert (violation.file, violation.rule) == ("0002_next.py", rule)

    @pytest.mark.parametrize(
        "upgrade",
        [
            'op.add_column("trades", sa.Column("note", sa.Text(), nullable=True))',
            'op.add_column("trades", sa.Column("n", sa.Integer(), nullable=False, '
            'server_default="0"))',
            'op.alter_column("trades", "note", existing_type=sa.String(50), type_=sa.String(200))',
            'op.alter_column("trades", "qty", existing_type=sa.Integer(), type_=sa.BigInteger())',
            'op.create_table("fills", sa.Column("id", sa.Integer(), nullable=False))\n'
            'op.add_column("fills", sa.Column("note", sa.Text(), nullable=False))',
            'op.create_index("ix_trades_id", "trades", ["id"])',
        ],
    )
    def test_expand_steps_pass(self, tmp_path: Path, upgrade: str) -> None:
        assert lint(write(tmp_path, upgrade)) == []


class TestContractSteps:
    def test_a_contract_of_an_earlier_expand_may_drop(self, tmp_path: Path) -> None:
        folder = write(tmp_path, 'op.drop_column("trades", "note")', header='contract_of = "aaa"')
        assert lint(folder) == []

    def test_a_contract_of_an_unknown_revision_is_refused(self, tmp_path: Path) -> None:
        folder = write(tmp_path, 'op.drop_column("trades", "note")', header='contract_of = "zzz"')
        rules = [violation.rule for violation in lint(folder)]
        assert rules == ["contract-of-unknown", "drop-column"]


class TestTheChain:
    def test_core_s_own_migrations_pass(self) -> None:
        assert lint() == []

    def test_the_command_prints_which_rule_which_migration_broke(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        folder = write(tmp_path, 'op.drop_table("trades")')
        assert main(["lint-migrations", "--versions", str(folder)]) == 1
        assert "0002_next.py:6: drop-table: drops table trades" in capsys.readouterr().err

    def test_the_command_passes_core_s_chain(self) -> None:
        assert main(["lint-migrations"]) == 0
