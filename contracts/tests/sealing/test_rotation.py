import pytest
from sealing_support import a_context, new_key, ring_json

from tradeloop_contracts.sealing import (
    KeyRing,
    Opener,
    RetiredKeyError,
    Sealer,
    TamperedError,
    UnknownKeyError,
    key_id_of,
)

K1 = new_key()
K2 = new_key()


class TestRotation:
    def test_promote_reseal_retire_keeps_every_resealed_secret_and_refuses_the_old_key(
        self,
    ) -> None:
        context = a_context()
        before = KeyRing.from_json(ring_json({"k1": K1}, primary="k1"))
        old_blob = Sealer(before).seal(b"refresh-token", context)
        stray_blob = Sealer(before).seal(b"never resealed", context)

        # Step 1: k2 added everywhere, k1 still primary: nothing changes for old blobs.
        added = KeyRing.from_json(ring_json({"k1": K1, "k2": K2}, primary="k1"))
        assert Opener(added).open(old_blob, context) == b"refresh-token"

        # Step 2: k2 promoted; new secrets use it, old blobs still open.
        promoted = KeyRing.from_json(ring_json({"k1": K1, "k2": K2}, primary="k2"))
        assert key_id_of(Sealer(promoted).seal(b"new", context)) == "k2"
        assert Opener(promoted).open(old_blob, context) == b"refresh-token"

        # Step 3: the re-seal job moves the old blob to k2.
        resealed = Sealer(promoted).reseal(old_blob, context)
        assert key_id_of(resealed) == "k2"
        assert Opener(promoted).open(resealed, context) == b"refresh-token"

        # Step 4: k1 retired: resealed blobs open, blobs still under k1 are refused.
        retired = KeyRing.from_json(ring_json({"k2": K2}, primary="k2", retired=["k1"]))
        assert Opener(retired).open(resealed, context) == b"refresh-token"
        with pytest.raises(RetiredKeyError, match="retired key 'k1'"):
            Opener(retired).open(stray_blob, context)
        with pytest.raises(RetiredKeyError):
            Sealer(retired).reseal(stray_blob, context)

    def test_resealing_a_blob_already_under_the_primary_returns_it_unchanged(self) -> None:
        ring = KeyRing({"k1": K1}, primary="k1")
        blob = Sealer(ring).seal(b"token", a_context())
        assert Sealer(ring).reseal(blob, a_context()) == blob

    def test_resealing_a_tampered_blob_is_refused(self) -> None:
        old = Sealer(KeyRing({"k1": K1}, primary="k1")).seal(b"token", a_context())
        promoted = KeyRing({"k1": K1, "k2": K2}, primary="k2")
        tampered = old[:-1] + bytes([old[-1] ^ 1])
        with pytest.raises(TamperedError):
            Sealer(promoted).reseal(tampered, a_context())

    def test_resealing_with_another_context_is_refused(self) -> None:
        old = Sealer(KeyRing({"k1": K1}, primary="k1")).seal(b"token", a_context())
        promoted = KeyRing({"k1": K1, "k2": K2}, primary="k2")
        with pytest.raises(TamperedError):
            Sealer(promoted).reseal(old, a_context(kind="refresh_token"))

    def test_a_blob_under_a_key_the_ring_does_not_hold_names_the_key(self) -> None:
        blob = Sealer(KeyRing({"k9": new_key()}, primary="k9")).seal(b"token", a_context())
        with pytest.raises(UnknownKeyError, match="key 'k9', not in the ring"):
            Opener(KeyRing({"k1": K1}, primary="k1")).open(blob, a_context())

    def test_a_key_of_the_same_id_but_other_material_fails_authentication(self) -> None:
        blob = Sealer(KeyRing({"k1": K1}, primary="k1")).seal(b"token", a_context())
        with pytest.raises(TamperedError):
            Opener(KeyRing({"k1": K2})).open(blob, a_context())


class TestEncryptionCounts:
    def test_each_seal_counts_one_encryption_under_the_primary_only(self) -> None:
        ring = KeyRing({"k1": K1, "k2": K2}, primary="k2")
        sealer = Sealer(ring)
        for _ in range(3):
            sealer.seal(b"token", a_context())
        assert ring.encryptions("k2") == 3
        assert ring.encryption_counts() == {"k1": 0, "k2": 3}

    def test_opening_counts_no_encryption(self) -> None:
        ring = KeyRing({"k1": K1}, primary="k1")
        blob = Sealer(ring).seal(b"token", a_context())
        Opener(ring).open(blob, a_context())
        assert ring.encryptions("k1") == 1

    def test_a_reseal_counts_under_the_new_primary(self) -> None:
        old = Sealer(KeyRing({"k1": K1}, primary="k1")).seal(b"token", a_context())
        ring = KeyRing({"k1": K1, "k2": K2}, primary="k2")
        Sealer(ring).reseal(old, a_context())
        assert ring.encryption_counts() == {"k1": 0, "k2": 1}

    def test_the_count_of_a_key_not_held_is_an_error(self) -> None:
        with pytest.raises(UnknownKeyError):
            KeyRing({"k1": K1}).encryptions("k2")
