"""The errors of sealing; none of their messages carries a plaintext, a key or blob bytes."""

from __future__ import annotations

__all__ = [
    "KeyRingError",
    "MalformedBlobError",
    "RetiredKeyError",
    "SealError",
    "TamperedError",
    "UnknownKeyError",
]


class SealError(Exception):
    """Base of every sealing error; catch this to handle them all."""


class KeyRingError(SealError):
    """The key ring setting is unusable (bad JSON, key size, key id, missing primary)."""


class MalformedBlobError(SealError):
    """The bytes are not a sealed blob of a known format (wrong magic, version or length)."""


class UnknownKeyError(SealError):
    """The blob names a key id that this key ring does not hold."""


class RetiredKeyError(SealError):
    """The blob was sealed under a key this key ring lists as retired."""


class TamperedError(SealError):
    """The blob failed authentication: changed, or opened with another context."""
