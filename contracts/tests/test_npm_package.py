"""The npm package: TypeScript types generated from the schemas, checked by the compiler."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tradeloop_contracts import write_schemas

NPM = Path(__file__).resolve().parent.parent / "npm"


@pytest.fixture(scope="module")
def toolchain() -> Path:
    if not (NPM / "node_modules" / ".bin" / "tsc").exists():
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=NPM, check=True)
    return NPM / "node_modules" / ".bin"


def _build(tmp_path: Path) -> Path:
    schemas = tmp_path / "schemas"
    write_schemas(schemas)
    package = tmp_path / "consumer" / "node_modules" / "@tradeloop" / "contracts"
    subprocess.run(
        ["node", str(NPM / "build.mjs"), str(schemas), "1.0.0", str(package)],
        check=True,
        capture_output=True,
    )
    return tmp_path / "consumer"


def _tsc(toolchain: Path, consumer: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(toolchain / "tsc"),
            "--noEmit",
            "--strict",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--target",
            "es2022",
            "consumer-check.ts",
        ],
        cwd=consumer,
        capture_output=True,
        text=True,
    )


class TestTypeScriptPackage:
    def test_the_types_accept_real_bodies_and_refuse_wrong_ones(
        self, toolchain: Path, tmp_path: Path
    ) -> None:
        consumer = _build(tmp_path)
        shutil.copy(NPM / "consumer-check.ts", consumer)
        result = _tsc(toolchain, consumer)
        assert result.returncode == 0, result.stdout

    def test_a_float_for_money_does_not_compile(self, toolchain: Path, tmp_path: Path) -> None:
        consumer = _build(tmp_path)
        (consumer / "consumer-check.ts").write_text(
            'import type { Position } from "@tradeloop/contracts";\n'
            'export const pnl: Position["realised_pnl_net"] = 12.5;\n'
        )
        result = _tsc(toolchain, consumer)
        assert result.returncode != 0
        assert "not assignable" in result.stdout
