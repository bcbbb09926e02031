"""What a sealed secret is bound to, and the byte layout of a sealed blob (format version 1)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from uuid import UUID

from ._errors import MalformedBlobError

MAGIC = b"TLS"
VERSION = 1
NONCE_SIZE = 12
KEY_SIZE = 32
TAG_SIZE = 16
WRAPPED_KEY_SIZE = KEY_SIZE + TAG_SIZE
MAX_LABEL_BYTES = 255
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Distinct roles keep the key-wrapping and the payload associated data apart.
ROLE_DATA_KEY = b"\x01"
ROLE_PAYLOAD = b"\x02"

# magic, version, key id length, key id (>= 1), wrap nonce, wrapped key, payload nonce, tag.
MIN_BLOB_SIZE = len(MAGIC) + 1 + 1 + 1 + NONCE_SIZE + WRAPPED_KEY_SIZE + NONCE_SIZE + TAG_SIZE


@dataclass(frozen=True, slots=True)
class SealContext:
    """The row a secret belongs to; a blob opens only with the context it was sealed with.

    `purpose` says what the secret is for (e.g. "broker-connection"), `kind` which secret
    of that row it is (e.g. "access_token", "refresh_token", "api_key"). Both are
    non-empty text of at most 255 UTF-8 bytes. Raises ValueError or TypeError otherwise.
    """

    purpose: str
    user_id: UUID
    connection_id: UUID
    kind: str

    def __post_init__(self) -> None:
        for name in ("purpose", "kind"):
            _check_label(name, getattr(self, name))
        for name in ("user_id", "connection_id"):
            if not isinstance(getattr(self, name), UUID):
                raise TypeError(f"SealContext.{name} must be a UUID")


def _check_label(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"SealContext.{name} must be a str")
    if not value:
        raise ValueError(f"SealContext.{name} must not be empty")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"SealContext.{name} must be valid Unicode text") from None
    if size > MAX_LABEL_BYTES:
        raise ValueError(f"SealContext.{name} is {size} UTF-8 bytes; at most 255 allowed")


@dataclass(frozen=True, slots=True)
class Blob:
    """The parsed fields of a sealed blob; `header` is its first bytes, up to the key id."""

    header: bytes
    key_id: str
    wrap_nonce: bytes
    wrapped_key: bytes
    payload_nonce: bytes
    ciphertext: bytes


def header_for(key_id: str) -> bytes:
    """Magic, version, key id length and key id: the blob's first bytes."""
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([VERSION, len(encoded)]) + encoded


def associated_data(header: bytes, role: bytes, context: SealContext) -> bytes:
    """The bytes authenticated alongside the data key (role 1) or the payload (role 2)."""
    purpose = context.purpose.encode("utf-8")
    kind = context.kind.encode("utf-8")
    return b"".join(
        (
            header,
            role,
            struct.pack("B", len(purpose)),
            purpose,
            context.user_id.bytes,
            context.connection_id.bytes,
            struct.pack("B", len(kind)),
            kind,
        )
    )


def parse(blob: bytes) -> Blob:
    """The fields of `blob`, unauthenticated.

    Raises MalformedBlobError when the magic, version, key id or length is wrong.
    """
    if len(blob) < MIN_BLOB_SIZE:
        raise MalformedBlobError(
            f"a sealed blob is at least {MIN_BLOB_SIZE} bytes; this one is {len(blob)}"
        )
    if blob[: len(MAGIC)] != MAGIC:
        raise MalformedBlobError("not a sealed blob: the magic bytes are wrong")
    version = blob[len(MAGIC)]
    if version != VERSION:
        raise MalformedBlobError(f"unsupported sealed blob format version {version}")
    id_length = blob[len(MAGIC) + 1]
    header_end = len(MAGIC) + 2 + id_length
    if id_length == 0 or len(blob) < MIN_BLOB_SIZE - 1 + id_length:
        raise MalformedBlobError("the key id length does not fit the sealed blob")
    key_id = blob[len(MAGIC) + 2 : header_end].decode("ascii", errors="replace")
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise MalformedBlobError("the key id of the sealed blob has characters not allowed")
    wrap_nonce_end = header_end + NONCE_SIZE
    wrapped_end = wrap_nonce_end + WRAPPED_KEY_SIZE
    payload_nonce_end = wrapped_end + NONCE_SIZE
    return Blob(
        header=blob[:header_end],
        key_id=key_id,
        wrap_nonce=blob[header_end:wrap_nonce_end],
        wrapped_key=blob[wrap_nonce_end:wrapped_end],
        payload_nonce=blob[wrapped_end:payload_nonce_end],
        ciphertext=blob[payload_nonce_end:],
    )


def key_id_of(blob: bytes) -> str:
    """The id of the key-encryption key `blob` names, read without authenticating it.

    Use it to count blobs per key before retiring one. Raises MalformedBlobError.
    """
    return parse(bytes(blob)).key_id
