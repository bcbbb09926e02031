"""No error, representation or log line carries a plaintext, a key or blob bytes."""

import base64
import logging
import traceback
import uuid
from collections.abc import Callable

import pytest
from sealing_support import a_context, new_key, ring_json

from tradeloop_contracts.sealing import KeyRing, Opener, Sealer, SealError

PLAINTEXT = b"plaintext-7f3c9a-broker-refresh-token"
K1 = new_key()
K2 = new_key()
SETTING = ring_json({"k1": K1, "k2": K2}, primary="k1")
RING = KeyRing.from_json(SETTING)
BLOB = Sealer(RING).seal(PLAINTEXT, a_context())


def secrets_in(text: str) -> list[str]:
    """The secret material (in any usual spelling) found in `text`."""
    needles = {"plaintext": PLAINTEXT.decode(), "plaintext repr": repr(PLAINTEXT)}
    for name, value in (("k1", K1), ("k2", K2), ("blob", BLOB)):
        needles[f"{name} base64"] = base64.b64encode(value).decode()
        needles[f"{name} hex"] = value.hex()
        needles[f"{name} repr"] = repr(value)[2:-1][:40]
    needles["k1 half base64"] = base64.b64encode(K1[:16]).decode()
    return [name for name, needle in needles.items() if needle in text]


def flip_last_bit(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 1])


FAILURES: dict[str, Callable[[], object]] = {
    "tampered": lambda: Opener(RING).open(flip_last_bit(BLOB), a_context()),
    "wrong context": lambda: Opener(RING).open(BLOB, a_context(user_id=uuid.uuid4())),
    "truncated": lambda: Opener(RING).open(BLOB[:50], a_context()),
    "bad magic": lambda: Opener(RING).open(b"XYZ" + BLOB[3:], a_context()),
    "unknown key": lambda: Opener(KeyRing({"k2": K2})).open(BLOB, a_context()),
    "retired key": lambda: Opener(KeyRing({"k2": K2}, retired=["k1"])).open(BLOB, a_context()),
    "reseal tampered": lambda: Sealer(KeyRing({"k1": K1, "k2": K2}, primary="k2")).reseal(
        flip_last_bit(BLOB), a_context()
    ),
    "bad json": lambda: KeyRing.from_json(SETTING[:-5]),
    "short key": lambda: KeyRing.from_json(ring_json({"k1": K1[:16]})),
    "bad base64": lambda: KeyRing.from_json(SETTING.replace("=", "!")),
    "key in retired": lambda: KeyRing.from_json(ring_json({"k1": K1}, retired=["k1"])),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_an_error_message_and_its_traceback_carry_no_secret(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SealError) as raised:
        FAILURES[failure]()
    error = raised.value
    rendered = "".join(traceback.format_exception(error)) + repr(error)
    assert secrets_in(rendered) == []
    # A chained exception (such as a JSON decoder's, which holds the document) could leak.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert caplog.records == []


def test_rings_sealers_and_openers_show_key_ids_only() -> None:
    shown = repr(RING) + repr(Sealer(RING)) + repr(Opener(RING)) + str(RING)
    assert "k1" in shown
    assert secrets_in(shown) == []


def test_sealing_and_opening_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    blob = Sealer(RING).seal(PLAINTEXT, a_context())
    Opener(RING).open(blob, a_context())
    Sealer(KeyRing({"k1": K1, "k2": K2}, primary="k2")).reseal(blob, a_context())
    assert caplog.records == []


def test_the_blob_contains_neither_the_plaintext_nor_a_key() -> None:
    assert PLAINTEXT not in BLOB
    assert K1 not in BLOB
    assert K2 not in BLOB
