"""Key-encryption keys by id: which one seals, which ones open, which ones are refused."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from ._context import KEY_ID_PATTERN, KEY_SIZE
from ._errors import KeyRingError, RetiredKeyError, UnknownKeyError


class KeyRing:
    """Key-encryption keys (AES-256) by id, at most one primary, and retired ids.

    The primary key seals new secrets; every held key opens; a retired id is refused.
    A ring without a primary can only open (give workers such a ring). The ring counts
    encryptions per key in this process so operators can rotate well before 2^32.
    Raises KeyRingError when a key is not 32 bytes, an id is not 1-64 characters of
    `A-Z a-z 0-9 . _ -`, the primary is not held, or an id is both held and retired.
    """

    def __init__(
        self,
        keys: Mapping[str, bytes],
        *,
        primary: str | None = None,
        retired: Iterable[str] = (),
    ) -> None:
        if not keys:
            raise KeyRingError("the key ring holds no keys")
        self._keys: dict[str, AESGCM] = {}
        for key_id, material in keys.items():
            _check_key_id(key_id)
            if not isinstance(material, bytes) or len(material) != KEY_SIZE:
                size = len(material) if isinstance(material, bytes) else "not bytes"
                raise KeyRingError(f"key {key_id!r} must be {KEY_SIZE} bytes, got {size}")
            self._keys[key_id] = AESGCM(material)
        self._retired = frozenset(retired)
        for key_id in sorted(self._retired):
            _check_key_id(key_id)
            if key_id in self._keys:
                raise KeyRingError(f"key {key_id!r} is listed both as a key and as retired")
        if primary is not None and primary not in self._keys:
            raise KeyRingError(f"the primary key {primary!r} is not among the keys")
        self._primary = primary
        self._counts = dict.fromkeys(self._keys, 0)
        self._lock = threading.Lock()

    @classmethod
    def from_json(cls, value: str | SecretStr) -> KeyRing:
        """The ring described by a JSON object.

        `{"primary": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "..."},
        "retired": ["k0"]}`; `primary` and `retired` are optional.
        Raises KeyRingError naming the field that is wrong (never its value).
        """
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        try:
            document = json.loads(text)
        except ValueError:
            # The decoder's exception holds the whole document: do not chain it.
            raise KeyRingError("the key ring setting is not valid JSON") from None
        if not isinstance(document, dict):
            raise KeyRingError("the key ring setting must be a JSON object")
        unknown = sorted(set(document) - {"primary", "keys", "retired"})
        if unknown:
            raise KeyRingError(f"the key ring setting has unknown fields: {', '.join(unknown)}")
        keys = document.get("keys")
        if not isinstance(keys, dict):
            raise KeyRingError('the key ring setting needs "keys": an object of id to base64')
        primary = document.get("primary")
        if primary is not None and not isinstance(primary, str):
            raise KeyRingError('"primary" must be a key id (a string)')
        retired = document.get("retired", [])
        if not isinstance(retired, list) or not all(isinstance(r, str) for r in retired):
            raise KeyRingError('"retired" must be a list of key ids')
        return cls(
            {str(key_id): _decode_key(str(key_id), encoded) for key_id, encoded in keys.items()},
            primary=primary,
            retired=retired,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> KeyRing:
        """The ring described by the JSON file at `path` (e.g. a mounted secret).

        Raises KeyRingError when the file cannot be read or its content is wrong.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise KeyRingError(
                f"cannot read the key ring file {str(path)!r}: {type(error).__name__}"
            ) from None
        return cls.from_json(text)

    @classmethod
    def from_setting(cls, value: str | SecretStr) -> KeyRing:
        """The ring from one setting: a JSON object, or else the path of a JSON file.

        Raises KeyRingError as `from_json` and `from_file` do.
        """
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text.lstrip().startswith("{"):
            return cls.from_json(text)
        return cls.from_file(text.strip())

    @property
    def primary(self) -> str | None:
        """The id of the key that seals new secrets; None for an open-only ring."""
        return self._primary

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of every key this ring holds (each can open)."""
        return frozenset(self._keys)

    @property
    def retired(self) -> frozenset[str]:
        """The ids this ring refuses."""
        return self._retired

    def encryptions(self, key_id: str) -> int:
        """How many data keys this process has wrapped under `key_id` (0 if never).

        Raises UnknownKeyError when the ring does not hold `key_id`.
        """
        with self._lock:
            if key_id not in self._counts:
                raise UnknownKeyError(f"the key ring holds no key {key_id!r}")
            return self._counts[key_id]

    def encryption_counts(self) -> dict[str, int]:
        """A snapshot of `encryptions` for every held key, by id."""
        with self._lock:
            return dict(self._counts)

    def _sealing_key(self) -> tuple[str, AESGCM]:
        if self._primary is None:
            raise KeyRingError("this key ring has no primary key, so it can only open")
        with self._lock:
            self._counts[self._primary] += 1
        return self._primary, self._keys[self._primary]

    def _opening_key(self, key_id: str) -> AESGCM:
        if key_id in self._retired:
            raise RetiredKeyError(
                f"the secret is sealed under the retired key {key_id!r}; "
                "re-seal it before retiring its key"
            )
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKeyError(f"the secret is sealed under key {key_id!r}, not in the ring")
        return key

    def __repr__(self) -> str:
        return (
            f"KeyRing(keys={sorted(self._keys)!r}, primary={self._primary!r}, "
            f"retired={sorted(self._retired)!r})"
        )


def _check_key_id(key_id: object) -> None:
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise KeyRingError("a key id is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")


def _decode_key(key_id: str, encoded: object) -> bytes:
    if not isinstance(encoded, str):
        raise KeyRingError(f"key {key_id!r} must be a base64 string")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"key {key_id!r} is not valid base64") from None
