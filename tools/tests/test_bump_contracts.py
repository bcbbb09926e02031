from bump_contracts import bump_text

SHA = "ab" * 32


class TestBumpText:
    def test_wheel_pins_move_and_keep_their_extras(self) -> None:
        text = 'dependencies = ["tradeloop-contracts[redis]==1.0.0", "httpx>=0.28"]\n'
        assert bump_text(text, "1.2.0", SHA) == (
            'dependencies = ["tradeloop-contracts[redis]==1.2.0", "httpx>=0.28"]\n'
        )

    def test_artifact_pins_move_with_their_checksum(self) -> None:
        text = '[tool.ai-coach]\ncontracts-version = "1.0.0"\ncontracts-sha256 = "00"\n'
        assert bump_text(text, "2.0.0", SHA) == (
            f'[tool.ai-coach]\ncontracts-version = "2.0.0"\ncontracts-sha256 = "{SHA}"\n'
        )

    def test_other_packages_are_left_alone(self) -> None:
        text = 'dependencies = ["tradeloop-contracts-extra==1.0.0"]\n'
        assert bump_text(text, "1.2.0", SHA) == text
