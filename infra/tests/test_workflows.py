from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

INFRA = Path(__file__).resolve().parent.parent
# In the monorepo the service folders sit beside infra; alone, infra checks its own.
ROOT = INFRA.parent
SERVICES = {
    "edge": "edge-bff",
    "core": "core-api",
    "workers": "workers",
    "web": "web-ui",
    "ai": "ai-coach",
}
PRESENT = {s: f for s, f in SERVICES.items() if (ROOT / f / "pyproject.toml").exists()}


def _workflow(path: Path) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    loaded["on"] = loaded.pop(True)
    return {str(key): value for key, value in loaded.items()}


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _all_workflows() -> list[Path]:
    found = sorted(ROOT.glob("*/.github/workflows/*.yml"))
    return found + [INFRA / ".github" / "actions" / "promote" / "action.yml"]


@pytest.mark.parametrize("service", sorted(PRESENT))
class TestServicePipelines:
    def test_deploy_staging_builds_signs_describes_deploys_the_digest_and_runs_e2e(
        self, service: str
    ) -> None:
        workflow = _workflow(ROOT / PRESENT[service] / ".github/workflows/deploy-staging.yml")
        assert workflow["on"] == {"push": {"branches": ["main"]}}
        assert workflow["permissions"]["id-token"] == "write"
        steps = _steps(workflow)
        uses = [step.get("uses", "").split("@")[0] for step in steps]
        assert uses.count("docker/build-push-action") == 1
        build = next(s for s in steps if s.get("uses", "").startswith("docker/build-push"))
        assert build["with"]["tags"].endswith(":${{ github.sha }}")
        runs = "\n".join(step.get("run", "") for step in steps)
        assert 'cosign sign --yes "${IMAGE}@${DIGEST}"' in runs
        sbom = next(s for s in steps if s.get("uses", "").startswith("anchore/sbom-action"))
        assert sbom["with"]["format"] == "cyclonedx-json"
        deploy = next(s for s in steps if "deploy-cloudrun" in s.get("uses", ""))
        assert deploy["with"]["image"].endswith("@${{ steps.build.outputs.digest }}")
        assert "payload: {digest: $digest}" in runs
        assert "gh workflow run ci.yml" in runs
        assert workflow["env"]["SERVICE"] == service

    def test_a_release_tag_calls_the_promote_action(self, service: str) -> None:
        workflow = _workflow(ROOT / PRESENT[service] / ".github/workflows/tag-to-infra-pr.yml")
        assert workflow["on"] == {"push": {"tags": [f"{service}-v*"]}}
        promote = next(s for s in _steps(workflow) if "actions/promote" in s.get("uses", ""))
        assert promote["with"]["service"] == service


class TestPromoteAction:
    def test_runs_the_promote_command_for_prod(self) -> None:
        action = yaml.safe_load((INFRA / ".github/actions/promote/action.yml").read_text())
        assert action["runs"]["using"] == "composite"
        command = action["runs"]["steps"][-1]["run"]
        assert 'promote "$SERVICE" "$TAG" --env prod' in command


class TestApply:
    def test_prod_is_applied_only_after_staging(self) -> None:
        workflow = _workflow(INFRA / ".github/workflows/apply.yml")
        assert workflow["on"]["push"]["branches"] == ["main"]
        jobs = workflow["jobs"]
        assert jobs["prod"]["needs"] == "staging"
        for env in ("staging", "prod"):
            assert jobs[env]["uses"] == "./.github/workflows/apply-env.yml"
            assert jobs[env]["with"] == {"env": env, "before": "${{ github.event.before }}"}

    def test_each_apply_is_then_marked_on_the_dashboards(self) -> None:
        workflow = _workflow(INFRA / ".github/workflows/apply-env.yml")
        assert set(workflow["on"]["workflow_call"]["inputs"]) == {"env", "before"}
        job = workflow["jobs"]["apply"]
        assert job["environment"] == "${{ inputs.env }}"
        runs = [step.get("run", "") for step in job["steps"]]
        apply = next(i for i, run in enumerate(runs) if "apply -input=false" in run)
        marker = next(i for i, run in enumerate(runs) if "release-marker" in run)
        assert apply < marker
        assert '--since "$BEFORE"' in runs[marker]
        assert job["steps"][marker]["env"]["GRAFANA_TOKEN"] == "${{ secrets.GRAFANA_TOKEN }}"


class TestRenovate:
    def test_leaves_every_promoted_image_to_the_promote_tool(self) -> None:
        config = json.loads((INFRA / "renovate.json").read_text())
        assert config["extends"] == ["config:recommended"]
        images = [
            path.relative_to(INFRA).as_posix()
            for env in ("staging", "prod")
            for service in SERVICES
            for path in [INFRA / "terraform" / "envs" / env / f"{service}.auto.tfvars"]
        ]
        for image in images:
            assert any(fnmatch.fnmatch(image, glob) for glob in config["ignorePaths"]), image
