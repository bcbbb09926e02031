"""Settings read from the environment: the telemetry ones every service shares."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ai_coach.cli import main
from ai_coach.config import Settings


class TestTelemetrySettings:
    def test_defaults_log_at_info_and_export_no_traces(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("COACH_LOG_LEVEL", "COACH_TRACES_EXPORTER", "COACH_TRACES_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        settings = Settings()
        assert (settings.log_level, settings.traces_exporter) == ("INFO", "none")
        assert settings.traces_url is None

    @pytest.mark.parametrize("endpoint", ["http://127.0.0.1:4318", "http://127.0.0.1:4318/"])
    def test_the_endpoint_is_a_base_url_under_which_traces_go(
        self, monkeypatch: pytest.MonkeyPatch, endpoint: str
    ) -> None:
        monkeypatch.setenv("COACH_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("COACH_TRACES_ENDPOINT", endpoint)
        monkeypatch.setenv("COACH_LOG_LEVEL", "debug")
        settings = Settings()
        assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
        assert settings.log_level == "DEBUG"

    def test_an_empty_endpoint_leaves_it_to_the_standard_variables(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COACH_TRACES_ENDPOINT", "")
        assert Settings().traces_url is None

    def test_an_unknown_exporter_names_the_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COACH_TRACES_EXPORTER", "jaeger")
        with pytest.raises(ValidationError, match="traces_exporter"):
            Settings()

    def test_serve_refuses_bad_settings_with_a_line_naming_them_and_no_secret(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COACH_TRACES_EXPORTER", "jaeger")
        monkeypatch.setenv("COACH_ENVIRONMENT", "production")
        monkeypatch.setenv("LLM_API_KEY", "sk-planted-in-the-environment")
        with pytest.raises(SystemExit) as exited:
            main(["serve"])
        message = str(exited.value)
        assert message.startswith("ai-coach: invalid settings: traces_exporter: Input should be")
        assert "sk-planted" not in message
