from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

SERVICES = ["edge", "core", "workers", "web", "ai"]
ENVS = ["staging", "prod"]
# Each service's secrets: the settings it reads from Secret Manager.
SECRETS = {
    "edge": {"EDGE_CSRF_PEPPER", "EDGE_SESSION_STORE_URL", "EDGE_BUS_URL", "EDGE_METRICS_TOKEN"},
    "core": {
        "CORE_DATABASE_URL",
        "CORE_SIGNING_KEY",
        "CORE_SEALING_KEYS",
        "CORE_SERVICE_CLIENTS",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    },
    "workers": {
        "WORKERS_CORE_CLIENT_SECRET",
        "WORKERS_BUS_URL",
        "WORKERS_SEALING_KEYS",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    },
    "web": set(),
    "ai": {"COACH_CORE_CLIENT_SECRET"},
}
DIGEST_IMAGE = "europe-docker.pkg.dev/p/services/core@sha256:" + "a" * 64
NOT_DIGESTS = [
    "europe-docker.pkg.dev/p/services/core:latest",
    "europe-docker.pkg.dev/p/services/core@sha256:" + "A" * 64,
    "europe-docker.pkg.dev/p/services/core@sha256:" + "a" * 63,
    "europe-docker.pkg.dev/p/services/core:v1@sha256:" + "a" * 64 + "x",
]
TERRAFORM = Path(__file__).resolve().parent.parent / "terraform"


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and keys; the tests compare values."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        return {_unquote(key): _unquote(item) for key, item in value.items()}
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        parsed: dict[str, Any] = _unquote(hcl2.load(handle))
    return parsed


def _blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {_unquote(name): body for block in parsed.get(kind, []) for name, body in block.items()}


def _resources(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("resource", []):
        for resource_type, named in block.items():
            if _unquote(resource_type) == kind:
                found.update({_unquote(n): body for n, body in named.items()})
    return found


def _digest_pattern(condition: str) -> re.Pattern[str]:
    match = re.search(r'regex\(\\?"(.+?)\\?", var\.', condition)
    assert match, condition
    return re.compile(match.group(1).replace("\\\\", "\\"))


class TestImageVariables:
    @pytest.mark.parametrize("env", ENVS)
    @pytest.mark.parametrize("service", SERVICES)
    def test_every_service_image_accepts_only_a_digest(self, env: str, service: str) -> None:
        variables = _blocks(_load(TERRAFORM / "envs" / env / "variables.tf"), "variable")
        validation = variables[f"{service}_image"]["validation"][0]
        pattern = _digest_pattern(validation["condition"])
        assert pattern.match(DIGEST_IMAGE)
        for image in NOT_DIGESTS:
            assert not pattern.match(image), image

    def test_the_module_refuses_a_tag_too(self) -> None:
        variables = _blocks(_load(TERRAFORM / "modules" / "service" / "variables.tf"), "variable")
        pattern = _digest_pattern(variables["image"]["validation"][0]["condition"])
        assert pattern.match(DIGEST_IMAGE)
        assert not pattern.match(NOT_DIGESTS[0])

    @pytest.mark.parametrize("env", ENVS)
    @pytest.mark.parametrize("service", SERVICES)
    def test_each_image_lives_alone_in_its_own_variables_file(self, env: str, service: str) -> None:
        values = _load(TERRAFORM / "envs" / env / f"{service}.auto.tfvars")
        assert list(values) == [f"{service}_image"]
        variables = _blocks(_load(TERRAFORM / "envs" / env / "variables.tf"), "variable")
        pattern = _digest_pattern(variables[f"{service}_image"]["validation"][0]["condition"])
        assert pattern.match(_unquote(values[f"{service}_image"]))

    def test_no_other_variables_file_sets_an_image(self) -> None:
        for env in ENVS:
            for path in (TERRAFORM / "envs" / env).glob("*.tfvars"):
                names = set(_load(path))
                others = {n for n in names if n.endswith("_image")} - {
                    path.name.replace(".auto.tfvars", "_image")
                }
                assert not others, path.name


class TestServices:
    @pytest.mark.parametrize("env", ENVS)
    @pytest.mark.parametrize("service", SERVICES)
    def test_every_service_runs_its_digest_with_its_own_secrets(
        self, env: str, service: str
    ) -> None:
        module = _blocks(_load(TERRAFORM / "envs" / env / "main.tf"), "module")[service]
        assert module["source"] == "../../modules/service"
        assert module["image"] == f"${{var.{service}_image}}"
        assert set(module.get("secrets", [])) == SECRETS[service]

    def test_the_module_gives_each_service_its_own_account_reading_only_its_secrets(self) -> None:
        parsed = _load(TERRAFORM / "modules" / "service" / "main.tf")
        account = _resources(parsed, "google_service_account")["runtime"]
        assert account["account_id"] == "${var.name}-run"
        access = _resources(parsed, "google_secret_manager_secret_iam_member")["runtime"]
        assert access["role"] == "roles/secretmanager.secretAccessor"
        assert access["for_each"] == "${google_secret_manager_secret.this}"
        assert "google_service_account.runtime.email" in access["member"]
        assert not _resources(parsed, "google_project_iam_member")
        for name in ("pinned", "rolling"):
            service = _resources(parsed, "google_cloud_run_v2_service")[name]
            template = service["template"][0]
            assert template["service_account"] == "${google_service_account.runtime.email}"

    def test_traffic_waits_for_readiness_and_a_hung_process_is_restarted(self) -> None:
        parsed = _load(TERRAFORM / "modules" / "service" / "main.tf")
        for name in ("pinned", "rolling"):
            service = _resources(parsed, "google_cloud_run_v2_service")[name]
            container = service["template"][0]["containers"][0]
            startup = container["startup_probe"][0]["http_get"][0]
            liveness = container["liveness_probe"][0]["http_get"][0]
            assert (startup["path"], liveness["path"]) == ("/readyz", "/healthz"), name

    def test_prod_pins_every_image_and_staging_lets_pipelines_deploy(self) -> None:
        for env, pinned in (("prod", True), ("staging", False)):
            modules = _blocks(_load(TERRAFORM / "envs" / env / "main.tf"), "module")
            for service in SERVICES:
                assert modules[service]["image_pinned"] is pinned, (env, service)

    def test_only_edge_is_public(self) -> None:
        modules = _blocks(_load(TERRAFORM / "envs" / "prod" / "main.tf"), "module")
        assert [s for s in SERVICES if modules[s]["public"]] == ["edge"]


class TestWhoMayApply:
    def test_only_infra_has_an_identity_in_prod(self) -> None:
        modules = _blocks(_load(TERRAFORM / "envs" / "prod" / "main.tf"), "module")
        assert modules["github"]["deployers"] == {"infra": "infra"}
        for service in SERVICES:
            assert "deployer" not in modules[service]

    def test_each_service_repository_deploys_only_its_own_service_in_staging(self) -> None:
        modules = _blocks(_load(TERRAFORM / "envs" / "staging" / "main.tf"), "module")
        deployers = modules["github"]["deployers"]
        assert deployers == {
            "infra": "infra",
            "edge": "edge-bff",
            "core": "core-api",
            "workers": "workers",
            "web": "web-ui",
            "ai": "ai-coach",
        }
        for service in SERVICES:
            assert modules[service]["deployer"] == f'${{module.github.deployers["{service}"]}}'

    def test_identities_are_bound_to_their_repository_and_main(self) -> None:
        parsed = _load(TERRAFORM / "modules" / "github_oidc" / "main.tf")
        provider = _resources(parsed, "google_iam_workload_identity_pool_provider")["github"]
        assert "assertion.repository in" in provider["attribute_condition"]
        assert 'assertion.ref == \\"refs/heads/main\\"' in provider["attribute_condition"]
        binding = _resources(parsed, "google_service_account_iam_member")["deployer"]
        assert binding["role"] == "roles/iam.workloadIdentityUser"
        assert binding["member"].endswith("/attribute.repository/${var.github_owner}/${each.value}")

    def test_only_infra_gets_project_wide_roles(self) -> None:
        for env in ENVS:
            parsed = _load(TERRAFORM / "envs" / env / "main.tf")
            grants = _resources(parsed, "google_project_iam_member")
            assert list(grants) == ["infra_apply"]
            assert grants["infra_apply"]["member"] == (
                'serviceAccount:${module.github.deployers["infra"]}'
            )
            assert "roles/owner" not in grants["infra_apply"]["for_each"]


class TestState:
    def test_each_environment_has_postgres_redis_and_objects(self) -> None:
        parsed = _load(TERRAFORM / "modules" / "data" / "main.tf")
        for kind in ("neon_project", "upstash_redis_database", "cloudflare_r2_bucket"):
            assert _resources(parsed, kind), kind
        for env in ENVS:
            assert "data" in _blocks(_load(TERRAFORM / "envs" / env / "main.tf"), "module")
