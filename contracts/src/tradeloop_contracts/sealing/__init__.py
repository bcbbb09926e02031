"""Sealed secrets: AES-256-GCM envelope encryption of broker tokens and API keys at rest.

core-api seals with a `Sealer`; workers get only an `Opener`. Each blob names its key,
carries its own wrapped data key, and opens only with the `SealContext` (purpose, user,
connection, kind) it was sealed for. Needs the `sealing` extra. See docs/sealing.md.
"""

from __future__ import annotations

try:
    import cryptography  # noqa: F401
except ImportError as error:
    raise ImportError(
        "tradeloop_contracts.sealing needs the extra: tradeloop-contracts[sealing]"
    ) from error

from ._context import SealContext, key_id_of
from ._errors import (
    KeyRingError,
    MalformedBlobError,
    RetiredKeyError,
    SealError,
    TamperedError,
    UnknownKeyError,
)
from ._keyring import KeyRing
from ._seal import Opener, Sealer

__all__ = [
    "KeyRing",
    "KeyRingError",
    "MalformedBlobError",
    "Opener",
    "RetiredKeyError",
    "SealContext",
    "SealError",
    "Sealer",
    "TamperedError",
    "UnknownKeyError",
    "key_id_of",
]
