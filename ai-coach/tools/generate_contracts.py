"""Generate ai-coach's wire models from the pinned contracts JSON-Schema artifact.

The version and sha256 of the artifact are pinned once, in `[tool.ai-coach]` of
pyproject.toml. The artifact is downloaded from the package index, checked against the
pinned sha256, and the schemas ai-coach reads or sends are turned into pydantic v2
models with datamodel-code-generator, one module per schema.

    python tools/generate_contracts.py                  # writes src/ai_coach/contracts/
    python tools/generate_contracts.py --output DIR     # writes somewhere else

Decimal strings (the contracts' `Amount`: a string with the decimal pattern) become
`Decimal` fields; everything else is generated as the schema says.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "src" / "ai_coach" / "contracts"
DEFAULT_INDEX_URL = "http://127.0.0.1:3141/"
DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"

# Artifact file -> generated module. Nested models (Position, Insight, Evidence) come
# with the page or list that holds them; a single stored Insight is read with the
# Insight of insight_list.
SCHEMAS = {
    "requests/ChatRequest.json": "chat_request",
    "requests/InsightCreate.json": "insight_create",
    "requests/ServiceTokenRequest.json": "service_token_request",
    "requests/WeeklyReviewCreate.json": "weekly_review_create",
    "responses/AccountList.json": "account_list",
    "responses/Adherence.json": "adherence",
    "responses/Analytics.json": "analytics",
    "responses/ChatReply.json": "chat_reply",
    "responses/InsightList.json": "insight_list",
    "responses/JournalEntryPage.json": "journal_entry_page",
    "responses/PlaybookList.json": "playbook_list",
    "responses/PositionPage.json": "position_page",
    "responses/Problem.json": "problem",
    "responses/ReflectionThemes.json": "reflection_themes",
    "responses/ServiceToken.json": "service_token",
    "responses/User.json": "user",
    "responses/ViolationPage.json": "violation_page",
    "responses/WeeklyReview.json": "weekly_review",
}

HEADER = (
    "# Generated from tradeloop-contracts-schemas-{version}.tar.gz ({file}) by\n"
    "# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:\n"
    "# change the pinned version in pyproject.toml and run `make generate`."
)


class GenerationError(Exception):
    """The artifact could not be fetched, did not match its pin, or did not generate."""


def pinned() -> tuple[str, str]:
    """The pinned contracts version and artifact sha256 from pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    section = config["tool"]["ai-coach"]
    return str(section["contracts-version"]), str(section["contracts-sha256"])


def download(version: str, sha256: str, index_url: str) -> bytes:
    """The artifact's bytes; raises GenerationError when unreachable or the hash differs."""
    url = f"{index_url.rstrip('/')}/tradeloop-contracts-schemas-{version}.tar.gz"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            data: bytes = response.read()
    except OSError as error:
        raise GenerationError(f"cannot download {url}: {error}") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise GenerationError(f"{url} has sha256 {digest}, but {sha256} is pinned")
    return data


def _decimal_strings_as_decimal(node: Any) -> Any:
    # Amount travels as a patterned string; format "decimal" makes the generator type it
    # Decimal (pydantic still reads and writes it as a string on the wire).
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("pattern") == DECIMAL_PATTERN:
            node = {key: value for key, value in node.items() if key not in {"pattern", "examples"}}
            node["format"] = "decimal"
        return {key: _decimal_strings_as_decimal(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_decimal_strings_as_decimal(item) for item in node]
    return node


def generate(output: Path, index_url: str) -> list[Path]:
    """Writes one module per pinned schema (plus `__init__.py`) into `output`."""
    version, sha256 = pinned()
    artifact = download(version, sha256, index_url)
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.py"):
        stale.unlink()
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(fileobj=io.BytesIO(artifact)) as tar:
            tar.extractall(scratch, filter="data")
        for file, module in SCHEMAS.items():
            schema = json.loads((Path(scratch) / file).read_text(encoding="utf-8"))
            source = Path(scratch) / f"{module}.json"
            source.write_text(json.dumps(_decimal_strings_as_decimal(schema)), encoding="utf-8")
            # Generated outside the project, so no project setting changes the output.
            generated = Path(scratch) / f"{module}.py"
            _codegen(source, generated, HEADER.format(version=version, file=file))
            target = output / generated.name
            target.write_text(generated.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(target)
    init = output / "__init__.py"
    init.write_text(
        HEADER.format(version=version, file="the schemas listed in the tool")
        + '\n"""Wire models generated from the contracts JSON-Schema artifact."""\n',
        encoding="utf-8",
    )
    written.append(init)
    _format(output)
    return written


def _codegen(source: Path, target: Path, header: str) -> None:
    command = [
        "datamodel-codegen",
        "--input",
        str(source),
        "--input-file-type",
        "jsonschema",
        "--output",
        str(target),
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--preset",
        "standard-py311-20261027",
        "--use-annotated",
        "--use-type-alias",
        "--field-constraints",
        "--enum-field-as-literal",
        "all",
        "--disable-timestamp",
        "--custom-file-header",
        header,
        "--formatters",
        "builtin",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GenerationError(f"datamodel-codegen failed on {source.name}: {result.stderr}")


def _format(output: Path) -> None:
    # The project's settings, wherever the output goes, so a fresh generation compares equal.
    config = ["--config", str(ROOT / "pyproject.toml")]
    for command in (["ruff", "check", "--fix-only", "--quiet"], ["ruff", "format", "--quiet"]):
        subprocess.run([*command, *config, str(output)], check=True, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--index-url", default=os.environ.get("CONTRACTS_INDEX_URL", DEFAULT_INDEX_URL)
    )
    arguments = parser.parse_args()
    try:
        generate(arguments.output, arguments.index_url)
    except GenerationError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
