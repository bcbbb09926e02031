from pathlib import Path

import pytest

from dev import SERVICES, Stack


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stack:
    for service in SERVICES:
        monkeypatch.delenv(f"{service.prefix}PORT", raising=False)
    monkeypatch.delenv("EDGE_CORE_URL", raising=False)
    return Stack(port_base=18000, data_dir=tmp_path)


class TestStack:
    def test_each_service_gets_its_own_port_from_the_base(self, stack: Stack) -> None:
        env = stack.environment()
        ports = [env[f"{service.prefix}PORT"] for service in SERVICES]
        assert sorted(ports) == ["18000", "18010", "18020", "18030", "18040"]
        assert stack.public_url == "http://localhost:18000"

    def test_services_find_each_other_on_those_ports(self, stack: Stack) -> None:
        env = stack.environment()
        assert env["EDGE_CORE_URL"] == f"http://127.0.0.1:{env['CORE_PORT']}"
        assert env["WEB_EDGE_URL"] == f"http://127.0.0.1:{env['EDGE_PORT']}"
        assert env["EDGE_JWKS_URL"].startswith(env["COACH_CORE_URL"])
        assert env["WORKERS_COACH_URL"] == f"http://127.0.0.1:{env['COACH_PORT']}"

    def test_all_state_lives_in_the_data_folder(self, stack: Stack, tmp_path: Path) -> None:
        env = stack.environment()
        assert env["WORKERS_BUS_URL"] == env["EDGE_BUS_URL"] == f"sqlite:///{tmp_path}/bus.db"
        assert env["CORE_OBJECT_STORE_URL"] == env["WORKERS_OBJECT_STORE_URL"]
        assert env["CORE_DATABASE_URL"].endswith(f"{tmp_path}/core.db")
        # The development key ring core keeps in its data folder opens for workers too.
        assert env["WORKERS_SEALING_KEYS"] == f"{env['CORE_DATA_DIR']}/core-sealing-keys.json"

    def test_the_callers_environment_wins(
        self, stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("EDGE_CORE_URL", "http://core.internal")
        assert stack.environment()["EDGE_CORE_URL"] == "http://core.internal"

    def test_no_trace_export_unless_asked(self, stack: Stack) -> None:
        assert stack.trace_export() == {}

    def test_a_traces_endpoint_sends_every_services_spans_there(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CORE_TRACES_EXPORTER", "none")
        stack = Stack(port_base=18000, data_dir=tmp_path, traces_endpoint="http://127.0.0.1:4318")
        env = stack.environment()
        for service in SERVICES:
            assert env[f"{service.prefix}TRACES_EXPORTER"] == "otlp"
            assert env[f"{service.prefix}TRACES_ENDPOINT"] == "http://127.0.0.1:4318"
