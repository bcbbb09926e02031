import tradeloop_contracts


class TestPublicSurface:
    def test_all_is_sorted_and_unique(self) -> None:
        names = list(tradeloop_contracts.__all__)
        assert names == sorted(set(names))

    def test_every_exported_name_exists(self) -> None:
        missing = [n for n in tradeloop_contracts.__all__ if not hasattr(tradeloop_contracts, n)]
        assert missing == []
