"""The integration compose file, checked without a container engine: its shape against the
subset of the Compose Specification it uses, and its wiring against the services' own
documented settings."""

from __future__ import annotations

import graphlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

INFRA = Path(__file__).resolve().parent.parent
ROOT = INFRA.parent
COMPOSE = INFRA / "compose" / "compose.yaml"
SCHEMA = INFRA / "compose" / "compose.schema.json"
# Compose service to the repository that builds its image and its settings prefix.
TRADELOOP = {
    "core-migrate": ("core-api", "CORE_"),
    "core": ("core-api", "CORE_"),
    "workers": ("workers", "WORKERS_"),
    "coach": ("ai-coach", "COACH_"),
    "edge": ("edge-bff", "EDGE_"),
    "web": ("web-ui", "WEB_"),
}
ONE_SHOT = {"core-migrate"}
PRESENT = sorted(s for s, (repo, _) in TRADELOOP.items() if (ROOT / repo / "README.md").exists())


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _documented_settings(repository: str) -> set[str]:
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / repository / "README.md").read_text()))


class TestShape:
    def test_follows_the_compose_specification_subset(self) -> None:
        _validator().validate(_compose())

    def test_a_misspelt_key_is_refused(self) -> None:
        compose = _compose()
        compose["services"]["core"]["healtcheck"] = compose["services"]["core"].pop("healthcheck")
        with pytest.raises(jsonschema.ValidationError, match="healtcheck"):
            _validator().validate(compose)

    def test_runs_the_five_services_their_stores_and_the_stubs(self) -> None:
        assert set(_services()) == set(TRADELOOP) | {
            "postgres",
            "redis",
            "broker-stub",
            "market-data-stub",
        }

    def test_every_long_running_service_has_an_image_and_a_healthcheck(self) -> None:
        for name, service in _services().items():
            assert service["image"], name
            if name not in ONE_SHOT:
                assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name

    def test_dependencies_wait_on_a_condition_that_can_be_met_and_never_loop(self) -> None:
        services = _services()
        graph = {name: set(s.get("depends_on", {})) for name, s in services.items()}
        order = list(graphlib.TopologicalSorter(graph).static_order())
        assert order.index("core-migrate") < order.index("core") < order.index("edge")
        for name, service in services.items():
            for target, rule in service.get("depends_on", {}).items():
                assert target in services, (name, target)
                if rule["condition"] == "service_healthy":
                    assert "healthcheck" in services[target], (name, target)
                if rule["condition"] == "service_completed_successfully":
                    assert services[target].get("restart") == "no", (name, target)


class TestWiring:
    @pytest.mark.parametrize("name", PRESENT)
    def test_every_setting_is_one_the_services_readme_documents(self, name: str) -> None:
        repository, prefix = TRADELOOP[name]
        environment = _services()[name]["environment"]
        assert environment, name
        for setting in environment:
            assert setting.startswith(prefix), (name, setting)
        undocumented = set(environment) - _documented_settings(repository)
        assert not undocumented, f"{repository}/README.md does not document {undocumented}"

    def test_every_address_names_a_service_on_the_port_it_listens_on(self) -> None:
        services = _services()
        ports = {
            name: int(value)
            for name, (_, prefix) in TRADELOOP.items()
            for key, value in services[name]["environment"].items()
            if key == f"{prefix}PORT"
        }
        ports |= {"postgres": 5432, "redis": 6379, "broker-stub": 8080, "market-data-stub": 8080}
        addresses = 0
        for name, service in services.items():
            for key, value in service.get("environment", {}).items():
                url = urlsplit(str(value))
                if url.scheme in {"http", "redis", "postgresql"} and url.hostname != "localhost":
                    assert url.hostname in services, (name, key, value)
                    assert url.port == ports[url.hostname], (name, key, value)
                    addresses += 1
        assert addresses >= 15

    def test_runs_distributed_with_both_ends_of_the_bus_on_one_redis(self) -> None:
        services = _services()
        workers, edge = services["workers"]["environment"], services["edge"]["environment"]
        assert workers["WORKERS_BUS_URL"] == edge["EDGE_BUS_URL"]
        assert workers["WORKERS_BUS_URL"].startswith("redis://redis:")
        assert edge["EDGE_SESSION_STORE_URL"] != edge["EDGE_BUS_URL"]
        assert services["core"]["environment"]["CORE_DATABASE_URL"].startswith("postgresql://")

    def test_core_and_workers_share_the_raw_files(self) -> None:
        services = _services()
        core, workers = services["core"], services["workers"]
        assert (
            core["environment"]["CORE_OBJECT_STORE_URL"]
            == (workers["environment"]["WORKERS_OBJECT_STORE_URL"])
        )
        assert set(core["volumes"]) == set(workers["volumes"]) == {"objects:/objects"}

    def test_workers_reach_the_broker_and_market_data_stubs(self) -> None:
        environment = _services()["workers"]["environment"]
        for setting in ("WORKERS_ALPACA_PAPER_URL", "WORKERS_ALPACA_OAUTH_TOKEN_URL"):
            assert urlsplit(environment[setting]).hostname == "broker-stub"
        assert urlsplit(environment["WORKERS_ALPACA_DATA_URL"]).hostname == "market-data-stub"

    def test_only_edge_is_published_at_its_public_origin(self) -> None:
        services = _services()
        published = {name for name, service in services.items() if service.get("ports")}
        assert published == {"edge"}
        origin = urlsplit(services["edge"]["environment"]["EDGE_PUBLIC_ORIGIN"])
        assert services["edge"]["ports"] == [
            f"{origin.port}:{services['edge']['environment']['EDGE_PORT']}"
        ]
