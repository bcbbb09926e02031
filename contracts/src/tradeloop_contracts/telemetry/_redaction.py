"""Masking secrets in anything about to be logged: by key at any depth, by shape anywhere."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

MASK = "[REDACTED]"

# Compared after lower-casing and turning dashes into underscores.
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "token",
        "secret",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "api_key",
        "apikey",
        "x_api_key",
        "client_secret",
        "private_key",
        "secret_key",
        "access_key",
        "credentials",
    }
)
# Any key ending in these is a secret too: refresh_token, api_secret, broker_password...
SECRET_KEY_ENDINGS = ("_password", "_token", "_secret")

_JWT = r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
# Personal API tokens are issued by core with the prefix tlp_.
_PERSONAL_TOKEN = r"tlp_[A-Za-z0-9_-]+"
_KEY_NAMES = "|".join(
    ("authorization", "password", "passwd", "token", "secret", "api_key", "apikey", "cookie")
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    (re.compile(_JWT), MASK),
    (re.compile(_PERSONAL_TOKEN), MASK),
    # password=..., "token": "...", api_key: ... inside free text or query strings.
    (
        re.compile(rf"(?i)\b((?:\w*_)?(?:{_KEY_NAMES})\"?\s*[=:]\s*\"?)[^\s&\",;]+"),
        rf"\1{MASK}",
    ),
    # The password of credentials in a URL: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@"), rf"\1{MASK}@"),
)


def is_secret_key(key: str) -> bool:
    """Whether a field named `key` holds a secret, whatever its case or separators."""
    name = key.lower().replace("-", "_")
    return name in SECRET_KEYS or name.endswith(SECRET_KEY_ENDINGS)


def redact_text(text: str) -> str:
    """`text` with every token, JWT, bearer credential, key=value secret and URL password masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` with secrets masked: values under secret keys at any depth, and
    secret-looking text in every string."""
    if isinstance(value, str):
        return redact_text(value)
    # The JSON encoder would turn these into dicts after redaction; walk them as dicts.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return redact(dataclasses.asdict(value))
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and is_secret_key(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    return value
