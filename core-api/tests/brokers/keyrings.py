"""Key rings for tests: named keys drawn at random per test run."""

from __future__ import annotations

import base64
import json
import os
from functools import cache

from pydantic import SecretStr


@cache
def key(key_id: str) -> str:
    """The base64 material of `key_id`, the same for the whole run."""
    del key_id
    return base64.b64encode(os.urandom(32)).decode("ascii")


def ring_setting(primary: str, *held: str, retired: tuple[str, ...] = ()) -> SecretStr:
    """A CORE_SEALING_KEYS value holding `primary` and `held`, retiring `retired`."""
    keys = {key_id: key(key_id) for key_id in (primary, *held)}
    return SecretStr(json.dumps({"primary": primary, "keys": keys, "retired": list(retired)}))
