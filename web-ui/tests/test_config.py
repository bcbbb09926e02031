import pytest
from pydantic import ValidationError

from web_ui.config import WebSettings


class TestWebSettings:
    def test_defaults_match_the_local_layout(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("WEB_HOST", "WEB_PORT", "WEB_EDGE_URL", "WEB_ENVIRONMENT"):
            monkeypatch.delenv(name, raising=False)

        settings = WebSettings()

        assert (settings.host, settings.port) == ("127.0.0.1", 8020)
        assert settings.edge_base_url == "http://127.0.0.1:8000"
        assert settings.environment == "development"

    def test_settings_are_read_from_web_prefixed_variables(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("WEB_PORT", "9020")
        monkeypatch.setenv("WEB_EDGE_URL", "https://edge.internal:8443/")

        settings = WebSettings()

        assert settings.port == 9020
        assert settings.edge_base_url == "https://edge.internal:8443"

    def test_an_edge_url_that_is_not_http_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WEB_EDGE_URL", "ftp://edge")

        with pytest.raises(ValidationError, match="edge_url"):
            WebSettings()

    def test_telemetry_is_off_by_default_and_read_like_every_other_service(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("WEB_TRACES_EXPORTER", "WEB_TRACES_ENDPOINT", "WEB_LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
        assert (WebSettings().traces_exporter, WebSettings().traces_url) == ("none", None)
        assert WebSettings().log_level == "INFO"

        monkeypatch.setenv("WEB_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("WEB_TRACES_ENDPOINT", "http://127.0.0.1:4318/")
        monkeypatch.setenv("WEB_LOG_LEVEL", "warning")
        settings = WebSettings()

        assert settings.traces_exporter == "otlp"
        assert settings.traces_url == "http://127.0.0.1:4318/v1/traces"
        assert settings.log_level == "WARNING"

    def test_an_unknown_traces_exporter_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WEB_TRACES_EXPORTER", "jaeger")

        with pytest.raises(ValidationError, match="traces_exporter"):
            WebSettings()
