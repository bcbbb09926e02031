import base64
import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from sealing_support import a_context, new_key, ring_json

from tradeloop_contracts.sealing import KeyRing, KeyRingError, Opener, Sealer

K1 = new_key()
K2 = new_key()


class TestFromJson:
    def test_a_json_setting_gives_its_keys_primary_and_retired_ids(self) -> None:
        ring = KeyRing.from_json(ring_json({"k1": K1, "k2": K2}, primary="k2", retired=["k0"]))
        assert ring.key_ids == {"k1", "k2"}
        assert ring.primary == "k2"
        assert ring.retired == {"k0"}

    def test_a_secret_str_setting_is_accepted(self) -> None:
        ring = KeyRing.from_json(SecretStr(ring_json({"k1": K1}, primary="k1")))
        assert ring.primary == "k1"

    def test_without_primary_the_ring_is_open_only(self) -> None:
        assert KeyRing.from_json(ring_json({"k1": K1})).primary is None

    def test_rings_built_from_the_same_setting_interoperate(self) -> None:
        setting = ring_json({"k1": K1}, primary="k1")
        blob = Sealer(KeyRing.from_json(setting)).seal(b"token", a_context())
        assert Opener(KeyRing.from_json(setting)).open(blob, a_context()) == b"token"

    @pytest.mark.parametrize(
        ("setting", "message"),
        [
            ("not json", "not valid JSON"),
            ("[]", "must be a JSON object"),
            ('{"primary": "k1"}', '"keys"'),
            ('{"keys": {}}', "holds no keys"),
            ('{"keys": {"k1": 5}}', "key 'k1' must be a base64 string"),
            ('{"keys": {"k1": "***"}}', "key 'k1' is not valid base64"),
            ('{"keys": {"k1": "' + base64.b64encode(bytes(16)).decode() + '"}}', "got 16"),
            (ring_json({"k1": K1}, primary="k2"), "primary key 'k2' is not among"),
            ('{"keys": {}, "primary": 1}', '"primary" must be a key id'),
            (ring_json({"k1": K1}, retired=["k1"]), "both as a key and as retired"),
            (ring_json({"bad/id": K1}), "a key id is 1-64 characters"),
            (ring_json({"k" * 65: K1}), "a key id is 1-64 characters"),
            (ring_json({"k1": K1}, retired=["no spaces"]), "a key id is 1-64 characters"),
            ('{"keys": {}, "retired": "k0"}', '"retired" must be a list'),
            ('{"keys": {}, "primery": "k1"}', "unknown fields: primery"),
        ],
    )
    def test_an_unusable_setting_names_what_is_wrong(self, setting: str, message: str) -> None:
        with pytest.raises(KeyRingError, match=message):
            KeyRing.from_json(setting)

    def test_keys_passed_directly_must_be_32_bytes(self) -> None:
        with pytest.raises(KeyRingError, match="must be 32 bytes, got 31"):
            KeyRing({"k1": bytes(31)})


class TestFromFileAndSetting:
    def test_a_file_holding_the_json_gives_the_ring(self, tmp_path: Path) -> None:
        path = tmp_path / "keyring.json"
        path.write_text(ring_json({"k1": K1}, primary="k1"))
        assert KeyRing.from_file(path).primary == "k1"

    def test_a_missing_file_names_the_path_and_the_failure(self, tmp_path: Path) -> None:
        with pytest.raises(KeyRingError, match="keyring.json.*FileNotFoundError"):
            KeyRing.from_file(tmp_path / "keyring.json")

    def test_a_setting_starting_with_a_brace_is_json(self) -> None:
        setting = "  " + ring_json({"k1": K1}, primary="k1")
        assert KeyRing.from_setting(setting).key_ids == {"k1"}

    def test_any_other_setting_is_the_path_of_a_json_file(self, tmp_path: Path) -> None:
        path = tmp_path / "ring.json"
        path.write_text(json.dumps({"keys": {"k2": base64.b64encode(K2).decode()}}))
        assert KeyRing.from_setting(SecretStr(f"{path}\n")).key_ids == {"k2"}
