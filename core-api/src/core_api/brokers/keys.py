"""The key ring that seals broker secrets, read from settings."""

from __future__ import annotations

import base64
import json
import os

from tradeloop_contracts.sealing import KeyRing, KeyRingError

from core_api.config import Settings
from core_api.kit.secret_files import read_or_create

DEVELOPMENT_KEY_ID = "dev-1"


def load_sealing_ring(settings: Settings) -> KeyRing:
    """The ring CORE_SEALING_KEYS describes (JSON, or the path of a JSON file).

    In development without the setting, a ring with one random key is kept in the data
    folder, so restarts still open what was sealed. Raises KeyRingError naming the field
    or key id (never the key) when the ring is unusable or has no primary.
    """
    if settings.sealing_keys is not None:
        ring = KeyRing.from_setting(settings.sealing_keys)
    elif settings.is_development:
        ring = KeyRing.from_json(read_or_create(settings.sealing_key_file, _development_ring))
    else:
        raise KeyRingError("CORE_SEALING_KEYS is required outside development")
    if ring.primary is None:
        raise KeyRingError("CORE_SEALING_KEYS needs a primary key: core seals new secrets")
    return ring


def _development_ring() -> str:
    key = base64.b64encode(os.urandom(32)).decode("ascii")
    return json.dumps({"primary": DEVELOPMENT_KEY_ID, "keys": {DEVELOPMENT_KEY_ID: key}})
