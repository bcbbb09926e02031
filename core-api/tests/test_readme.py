"""The README names every setting, every route group, and the migration checklist."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from core_api.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def section(title: str) -> str:
    """The text of the README's `## title` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"no section {title!r}"
    return match[1]


def test_every_setting_is_documented() -> None:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section("Settings"), re.M))
    assert {f"{prefix}{name}".upper() for name in Settings.model_fields} <= documented


def test_every_route_group_is_documented(app: FastAPI) -> None:
    groups = re.findall(r"^\| ([a-z ]+) \|", section("Routes"), re.M)
    tags = {
        tag
        for operations in app.openapi()["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    assert tags
    assert {tag for tag in tags if not any(tag in group for group in groups)} == set()


def test_the_migration_checklist_is_documented() -> None:
    checklist = section("Migrations: expand → backfill → contract")
    for step in ("**Expand**", "**Backfill**", "**Contract**", "contract_of"):
        assert step in checklist
