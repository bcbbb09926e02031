"""Reading rendered pages the way a browser under Tradeloop's CSP would."""

from __future__ import annotations

import json
from typing import Any

import httpx
from bs4 import BeautifulSoup, Tag


def page(response: httpx.Response) -> BeautifulSoup:
    """The parsed HTML of a response."""
    assert response.headers["content-type"].startswith("text/html"), response.text
    return BeautifulSoup(response.text, "html.parser")


def by_testid(soup: BeautifulSoup | Tag, testid: str) -> Tag:
    """The one element with this data-testid; fails when there is none."""
    found = soup.select_one(f'[data-testid="{testid}"]')
    assert found is not None, f"no element with data-testid={testid}"
    return found


def all_by_testid(soup: BeautifulSoup | Tag, testid: str) -> list[Tag]:
    """Every element with this data-testid, in document order."""
    return list(soup.select(f'[data-testid="{testid}"]'))


def text_of(tag: Tag) -> str:
    """The visible text of an element with whitespace collapsed."""
    return " ".join(tag.get_text(" ").split())


def csp_violations(soup: BeautifulSoup, nonce: str) -> list[str]:
    """What a nonce-based CSP without 'unsafe-inline' would block on this page."""
    found: list[str] = []
    for tag in soup.find_all(True):
        assert isinstance(tag, Tag)
        if tag.name == "script" and tag.get("nonce") != nonce:
            found.append(f"<script> without the nonce: {tag}")
        if tag.name == "style":
            found.append("inline <style> element")
        for attribute, value in tag.attrs.items():
            if attribute.lower().startswith("on"):
                found.append(f"inline handler {attribute} on <{tag.name}>")
            if attribute.lower() == "style":
                found.append(f"inline style on <{tag.name}>")
            if isinstance(value, str) and value.strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL in {attribute} of <{tag.name}>")
    return found


def hx_headers(soup: BeautifulSoup) -> dict[str, Any]:
    """The JSON headers every HTMX request of the page carries."""
    body = soup.find("body")
    assert isinstance(body, Tag)
    raw = body.get("hx-headers")
    assert isinstance(raw, str)
    headers: dict[str, Any] = json.loads(raw)
    return headers


# Attributes written without a value; one run into the next attribute (`requiredaria-...`)
# makes both disappear for the browser and for assistive technology.
BOOLEAN_ATTRIBUTES = (
    "autofocus",
    "checked",
    "defer",
    "disabled",
    "download",
    "hidden",
    "multiple",
    "novalidate",
    "readonly",
    "required",
    "reversed",
    "selected",
)


def run_together_attributes(soup: BeautifulSoup) -> list[str]:
    """Attribute names that are a valueless attribute run into the next one."""
    return [
        f"<{tag.name} {name}>"
        for tag in soup.find_all(True)
        if isinstance(tag, Tag)
        for name in tag.attrs
        if name.startswith(BOOLEAN_ATTRIBUTES) and name not in BOOLEAN_ATTRIBUTES
    ]
