from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from tradeloop_contracts.sealing import KeyRingError

from core_api.brokers.keys import load_sealing_ring
from core_api.config import Settings
from tests.brokers.keyrings import key, ring_setting


class TestSealingKeyRing:
    def test_development_keeps_one_generated_ring_in_the_data_folder(self, tmp_path: Path) -> None:
        first = load_sealing_ring(Settings(data_dir=tmp_path))
        again = load_sealing_ring(Settings(data_dir=tmp_path))
        assert first.primary == again.primary == "dev-1"
        assert (tmp_path / "core-sealing-keys.json").stat().st_mode & 0o777 == 0o600

    def test_the_setting_may_name_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "ring.json"
        path.write_text(ring_setting("k7").get_secret_value(), encoding="utf-8")
        ring = load_sealing_ring(Settings(data_dir=tmp_path, sealing_keys=SecretStr(str(path))))
        assert ring.primary == "k7"

    def test_a_ring_that_cannot_seal_is_refused(self, tmp_path: Path) -> None:
        opening_only = SecretStr(json.dumps({"keys": {"k1": key("k1")}}))
        with pytest.raises(KeyRingError, match="primary"):
            load_sealing_ring(Settings(data_dir=tmp_path, sealing_keys=opening_only))
