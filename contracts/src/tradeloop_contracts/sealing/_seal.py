"""Sealing and opening secrets with AES-256-GCM envelope encryption."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretBytes, SecretStr

from ._context import (
    KEY_SIZE,
    NONCE_SIZE,
    ROLE_DATA_KEY,
    ROLE_PAYLOAD,
    SealContext,
    associated_data,
    header_for,
    parse,
)
from ._errors import TamperedError
from ._keyring import KeyRing

Secret = bytes | str | SecretStr | SecretBytes
BlobBytes = bytes | bytearray | memoryview


class Opener:
    """Opens sealed blobs with any key the ring holds; it cannot seal."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def open(self, blob: BlobBytes, context: SealContext) -> bytes:
        """The plaintext sealed in `blob` for `context`.

        Raises MalformedBlobError (not a blob of a known format), UnknownKeyError (key id
        not in the ring), RetiredKeyError (key id retired) or TamperedError (changed, or
        sealed for another purpose, user, connection or kind).
        """
        return _open(self._ring, bytes(blob), context)

    def open_text(self, blob: BlobBytes, context: SealContext) -> SecretStr:
        """The UTF-8 text sealed in `blob`, wrapped so that it does not print.

        Raises what `open` raises, and TamperedError when the plaintext is not UTF-8.
        """
        try:
            return SecretStr(self.open(blob, context).decode("utf-8"))
        except UnicodeDecodeError:
            raise TamperedError("the sealed secret is not UTF-8 text") from None

    def __repr__(self) -> str:
        return f"Opener({self._ring!r})"


class Sealer:
    """Seals secrets under the ring's primary key, and re-seals old blobs under it."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def seal(self, plaintext: Secret, context: SealContext) -> bytes:
        """A new blob holding `plaintext` (text is UTF-8 encoded), bound to `context`.

        Each call draws a fresh data key and fresh nonces, so sealing the same secret twice
        gives different blobs. Raises KeyRingError when the ring has no primary key.
        """
        key_id, key_encryption_key = self._ring._sealing_key()
        header = header_for(key_id)
        data_key = AESGCM.generate_key(bit_length=KEY_SIZE * 8)
        wrap_nonce = os.urandom(NONCE_SIZE)
        wrapped_key = key_encryption_key.encrypt(
            wrap_nonce, data_key, associated_data(header, ROLE_DATA_KEY, context)
        )
        payload_nonce = os.urandom(NONCE_SIZE)
        ciphertext = AESGCM(data_key).encrypt(
            payload_nonce, _as_bytes(plaintext), associated_data(header, ROLE_PAYLOAD, context)
        )
        return b"".join((header, wrap_nonce, wrapped_key, payload_nonce, ciphertext))

    def reseal(self, blob: BlobBytes, context: SealContext) -> bytes:
        """`blob` sealed under the primary key; the same bytes if it already is.

        The secret is opened (so a tampered blob is never rewritten) and sealed again with
        a fresh data key. Raises what `Opener.open` and `seal` raise.
        """
        original = bytes(blob)
        plaintext = _open(self._ring, original, context)
        if parse(original).key_id == self._ring.primary:
            return original
        return self.seal(plaintext, context)

    def __repr__(self) -> str:
        return f"Sealer({self._ring!r})"


def _open(ring: KeyRing, blob: bytes, context: SealContext) -> bytes:
    fields = parse(blob)
    key_encryption_key = ring._opening_key(fields.key_id)
    try:
        data_key = key_encryption_key.decrypt(
            fields.wrap_nonce,
            fields.wrapped_key,
            associated_data(fields.header, ROLE_DATA_KEY, context),
        )
        return AESGCM(data_key).decrypt(
            fields.payload_nonce,
            fields.ciphertext,
            associated_data(fields.header, ROLE_PAYLOAD, context),
        )
    except InvalidTag:
        raise TamperedError(
            "the sealed secret failed authentication: it was changed, or it belongs to "
            "another purpose, user, connection or kind"
        ) from None


def _as_bytes(plaintext: Secret) -> bytes:
    if isinstance(plaintext, SecretStr | SecretBytes):
        plaintext = plaintext.get_secret_value()
    if isinstance(plaintext, str):
        return plaintext.encode("utf-8")
    if isinstance(plaintext, bytes):
        return plaintext
    raise TypeError("a secret to seal is bytes, str, SecretStr or SecretBytes")
