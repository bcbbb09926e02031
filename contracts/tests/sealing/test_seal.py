import dataclasses
import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import SecretBytes, SecretStr
from sealing_support import a_context, contexts, labels, new_key, single_key_ring

from tradeloop_contracts.sealing import (
    KeyRing,
    KeyRingError,
    MalformedBlobError,
    Opener,
    SealContext,
    Sealer,
    SealError,
    TamperedError,
    key_id_of,
)

RING = single_key_ring()
SEALER = Sealer(RING)
OPENER = Opener(RING)


class TestRoundTrip:
    @given(plaintext=st.binary(max_size=2048), context=contexts)
    def test_any_bytes_sealed_for_any_context_open_to_the_same_bytes(
        self, plaintext: bytes, context: SealContext
    ) -> None:
        assert OPENER.open(SEALER.seal(plaintext, context), context) == plaintext

    @given(text=st.text(max_size=200))
    def test_text_is_sealed_as_utf8_and_opens_as_a_secret_str(self, text: str) -> None:
        blob = SEALER.seal(text, a_context())
        assert OPENER.open(blob, a_context()) == text.encode()
        opened = OPENER.open_text(blob, a_context())
        assert isinstance(opened, SecretStr)
        assert opened.get_secret_value() == text

    def test_pydantic_secrets_are_sealed_by_their_value(self) -> None:
        from_str = SEALER.seal(SecretStr("tok-123"), a_context())
        from_bytes = SEALER.seal(SecretBytes(b"tok-456"), a_context())
        assert OPENER.open(from_str, a_context()) == b"tok-123"
        assert OPENER.open(from_bytes, a_context()) == b"tok-456"

    def test_a_blob_read_as_bytearray_or_memoryview_opens(self) -> None:
        blob = SEALER.seal(b"secret", a_context())
        assert OPENER.open(bytearray(blob), a_context()) == b"secret"
        assert OPENER.open(memoryview(blob), a_context()) == b"secret"

    def test_a_secret_of_another_type_is_refused(self) -> None:
        with pytest.raises(TypeError, match="bytes, str, SecretStr or SecretBytes"):
            SEALER.seal(1234, a_context())  # type: ignore[arg-type]

    def test_non_utf8_plaintext_is_refused_as_text(self) -> None:
        blob = SEALER.seal(b"\xff\xfe", a_context())
        with pytest.raises(TamperedError, match="not UTF-8"):
            OPENER.open_text(blob, a_context())


class TestFreshness:
    def test_sealing_the_same_secret_twice_gives_different_blobs(self) -> None:
        assert SEALER.seal(b"same", a_context()) != SEALER.seal(b"same", a_context())

    def test_nonces_and_wrapped_keys_never_repeat_over_many_seals(self) -> None:
        header_size = len(b"TLS") + 2 + len("k1")
        wrap_nonces, wrapped_keys, payload_nonces = set(), set(), set()
        count = 5000
        for _ in range(count):
            blob = SEALER.seal(b"token", a_context())
            wrap_nonces.add(blob[header_size : header_size + 12])
            wrapped_keys.add(blob[header_size + 12 : header_size + 60])
            payload_nonces.add(blob[header_size + 60 : header_size + 72])
        assert len(wrap_nonces) == len(wrapped_keys) == len(payload_nonces) == count
        assert not wrap_nonces & payload_nonces


class TestAssociatedData:
    @given(
        context=contexts,
        field=st.sampled_from(["purpose", "user_id", "connection_id", "kind"]),
        data=st.data(),
    )
    def test_a_blob_does_not_open_when_any_context_field_differs(
        self, context: SealContext, field: str, data: st.DataObject
    ) -> None:
        changed = {
            "purpose": labels.map(lambda v: dataclasses.replace(context, purpose=v)),
            "user_id": st.uuids().map(lambda v: dataclasses.replace(context, user_id=v)),
            "connection_id": st.uuids().map(
                lambda v: dataclasses.replace(context, connection_id=v)
            ),
            "kind": labels.map(lambda v: dataclasses.replace(context, kind=v)),
        }
        other = data.draw(changed[field])
        assume(other != context)
        blob = SEALER.seal(b"refresh-token", context)
        with pytest.raises(TamperedError):
            OPENER.open(blob, other)

    def test_a_blob_copied_to_another_users_row_does_not_open(self) -> None:
        blob = SEALER.seal(b"api-key", a_context())
        with pytest.raises(TamperedError, match="another purpose, user, connection or kind"):
            OPENER.open(blob, a_context(user_id=uuid.uuid4(), connection_id=uuid.uuid4()))

    def test_labels_are_length_prefixed_so_moving_a_character_between_them_fails(self) -> None:
        blob = SEALER.seal(b"token", a_context(purpose="ab", kind="c"))
        with pytest.raises(TamperedError):
            OPENER.open(blob, a_context(purpose="a", kind="bc"))


class TestTamperingAndMalformedBlobs:
    def test_every_single_bit_flip_anywhere_in_the_blob_fails_to_open(self) -> None:
        blob = SEALER.seal(b"an access token", a_context())
        for index in range(len(blob)):
            for bit in range(8):
                flipped = bytearray(blob)
                flipped[index] ^= 1 << bit
                with pytest.raises(SealError):
                    OPENER.open(bytes(flipped), a_context())

    @given(plaintext=st.binary(max_size=300), context=contexts, data=st.data())
    def test_a_random_bit_flip_in_any_blob_fails_to_open(
        self, plaintext: bytes, context: SealContext, data: st.DataObject
    ) -> None:
        blob = bytearray(SEALER.seal(plaintext, context))
        position = data.draw(st.integers(0, len(blob) * 8 - 1))
        blob[position // 8] ^= 1 << (position % 8)
        with pytest.raises(SealError):
            OPENER.open(bytes(blob), context)

    def test_every_truncation_fails_and_short_ones_are_malformed(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        minimum = len(blob) - len(b"token")
        for length in range(len(blob)):
            expected = MalformedBlobError if length < minimum else TamperedError
            with pytest.raises(expected):
                OPENER.open(blob[:length], a_context())

    def test_bytes_appended_to_a_blob_fail_to_open(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        with pytest.raises(TamperedError):
            OPENER.open(blob + b"\x00", a_context())

    def test_wrong_magic_is_malformed(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        with pytest.raises(MalformedBlobError, match="magic"):
            OPENER.open(b"XYZ" + blob[3:], a_context())

    def test_an_unknown_format_version_is_malformed_and_named(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        with pytest.raises(MalformedBlobError, match="format version 2"):
            OPENER.open(blob[:3] + b"\x02" + blob[4:], a_context())

    def test_a_key_id_with_forbidden_characters_is_malformed(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        with pytest.raises(MalformedBlobError, match="key id"):
            OPENER.open(blob[:5] + b"k/" + blob[7:], a_context())

    def test_a_zero_key_id_length_is_malformed(self) -> None:
        blob = SEALER.seal(b"token", a_context())
        with pytest.raises(MalformedBlobError, match="key id length"):
            OPENER.open(blob[:4] + b"\x00" + blob[5:], a_context())

    def test_the_key_id_is_read_from_the_blob(self) -> None:
        assert key_id_of(SEALER.seal(b"token", a_context())) == "k1"
        with pytest.raises(MalformedBlobError):
            key_id_of(b"TLS")


class TestRoles:
    def test_an_open_only_ring_opens_but_cannot_seal(self) -> None:
        key = new_key()
        blob = Sealer(KeyRing({"k1": key}, primary="k1")).seal(b"token", a_context())
        workers_ring = KeyRing({"k1": key})
        assert Opener(workers_ring).open(blob, a_context()) == b"token"
        with pytest.raises(KeyRingError, match="no primary key"):
            Sealer(workers_ring).seal(b"token", a_context())

    def test_an_opener_offers_no_way_to_seal(self) -> None:
        assert not hasattr(OPENER, "seal")
        assert not hasattr(OPENER, "reseal")


class TestSealContext:
    @pytest.mark.parametrize("field", ["purpose", "kind"])
    def test_an_empty_label_is_refused(self, field: str) -> None:
        with pytest.raises(ValueError, match=f"SealContext.{field} must not be empty"):
            a_context(**{field: ""})  # type: ignore[arg-type]

    def test_a_label_over_255_utf8_bytes_is_refused(self) -> None:
        with pytest.raises(ValueError, match="256 UTF-8 bytes"):
            a_context(kind="é" * 128)

    def test_a_label_of_255_utf8_bytes_is_accepted(self) -> None:
        context = a_context(kind="a" * 255)
        assert OPENER.open(SEALER.seal(b"x", context), context) == b"x"

    def test_a_lone_surrogate_is_refused(self) -> None:
        with pytest.raises(ValueError, match="valid Unicode"):
            a_context(purpose="\ud800")

    def test_ids_must_be_uuids(self) -> None:
        with pytest.raises(TypeError, match="user_id must be a UUID"):
            a_context(user_id=str(uuid.uuid4()))  # type: ignore[arg-type]
