"""Keys, rings and contexts shared by the sealing tests."""

import base64
import json
import os
import uuid

from hypothesis import strategies as st

from tradeloop_contracts.sealing import KeyRing, SealContext

# Non-empty labels; 60 characters stay under the 255 UTF-8 byte limit.
labels = st.text(min_size=1, max_size=60)

contexts = st.builds(
    SealContext, purpose=labels, user_id=st.uuids(), connection_id=st.uuids(), kind=labels
)


def new_key() -> bytes:
    return os.urandom(32)


def ring_json(
    keys: dict[str, bytes], primary: str | None = None, retired: list[str] | None = None
) -> str:
    document: dict[str, object] = {
        "keys": {key_id: base64.b64encode(key).decode() for key_id, key in keys.items()}
    }
    if primary is not None:
        document["primary"] = primary
    if retired is not None:
        document["retired"] = retired
    return json.dumps(document)


USER = uuid.UUID("6a0c1f3e-98a1-4e0f-8d5c-0f6f1c2b9a11")
CONNECTION = uuid.UUID("0b7e2f5d-3c4a-4b8e-9f1d-2a6c8e0d4f22")


def a_context(
    *,
    purpose: str = "broker-connection",
    user_id: uuid.UUID = USER,
    connection_id: uuid.UUID = CONNECTION,
    kind: str = "access_token",
) -> SealContext:
    return SealContext(purpose=purpose, user_id=user_id, connection_id=connection_id, kind=kind)


def single_key_ring() -> KeyRing:
    return KeyRing({"k1": new_key()}, primary="k1")
