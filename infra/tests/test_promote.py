from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.github_stub import GitHubStub
from tests.local_registry import USER, LocalRegistry
from tradeloop_infra.promote import (
    Promotion,
    PromotionRefused,
    Settings,
    promote,
    variables_path,
)
from tradeloop_infra.registry import OCI_INDEX

INFRA = "tradeloop/infra"
OLD = "sha256:" + "0" * 64


@pytest.fixture
def prefix(registry: LocalRegistry, github: GitHubStub, infra_root: Path) -> str:
    """infra's main holds the real prod files, retargeted at the local registry."""
    prefix = f"run-{uuid.uuid4().hex[:8]}"
    files = {}
    for path in (infra_root / "terraform" / "envs" / "prod").glob("*.auto.tfvars"):
        text = path.read_text()
        service = path.name.removesuffix(".auto.tfvars")
        if service != "env":
            text = f'{service}_image = "{registry.host}/{prefix}/{service}@{OLD}"\n'
        files[f"terraform/envs/prod/{path.name}"] = text
    github.repo(INFRA).commit("main", files)
    return prefix


def _build(
    registry: LocalRegistry,
    github: GitHubStub,
    prefix: str,
    service: str,
    *,
    ref: str = "refs/heads/main",
    staged: bool = True,
) -> tuple[str, str]:
    """Push an image as the deploy-staging pipeline does; returns (tag, digest)."""
    revision = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    digest = registry.push(
        f"{prefix}/{service}",
        revision,
        media_type=OCI_INDEX,
        annotations={"org.opencontainers.image.revision": revision, "dev.tradeloop.ref": ref},
    )
    if staged:
        repo = {"core": "tradeloop/core-api", "edge": "tradeloop/edge-bff"}[service]
        github.add_deployment(
            repo, environment="staging", sha=revision, digest=digest, state="success"
        )
    return revision, digest


def _promote(github: GitHubStub, service: str, tag: str) -> Promotion:
    settings = Settings(
        infra_repo=INFRA,
        github_api_url=github.url,
        github_token="test-token",
        registry_scheme="http",
        registry_credentials=USER,
    )
    with httpx.Client() as client:
        return promote(service, tag, "prod", settings, client)


def _pr_files(github: GitHubStub, branch: str) -> dict[str, str]:
    repo = github.repo(INFRA)
    main, head = repo.files_at("main"), repo.files_at(branch)
    assert main is not None
    assert head is not None
    return {path: text for path, text in head.items() if main.get(path) != text}


class TestPromote:
    def test_opens_a_pull_request_changing_only_the_services_variable(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        tag, digest = _build(registry, github, prefix, "core")
        promotion = _promote(github, "core", tag)
        image = f"{registry.host}/{prefix}/core@{digest}"
        assert promotion.image == image
        assert not promotion.updated
        assert _pr_files(github, "promote/prod/core") == {
            variables_path("core", "prod"): f'# tag: {tag}\ncore_image = "{image}"\n'
        }
        assert [p["head"] for p in github.repo(INFRA).pulls] == ["promote/prod/core"]

    def test_two_services_get_two_pull_requests(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        core_tag, _ = _build(registry, github, prefix, "core")
        edge_tag, _ = _build(registry, github, prefix, "edge")
        core = _promote(github, "core", core_tag)
        edge = _promote(github, "edge", edge_tag)
        assert core.pull_number != edge.pull_number
        assert set(_pr_files(github, "promote/prod/edge")) == {variables_path("edge", "prod")}
        assert len(github.repo(INFRA).pulls) == 2

    def test_the_same_service_again_updates_its_pull_request(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        first_tag, _ = _build(registry, github, prefix, "core")
        second_tag, second = _build(registry, github, prefix, "core")
        first = _promote(github, "core", first_tag)
        again = _promote(github, "core", second_tag)
        assert again.updated
        assert again.pull_number == first.pull_number
        assert len(github.repo(INFRA).pulls) == 1
        assert second_tag in github.repo(INFRA).pulls[0]["title"]
        changed = _pr_files(github, "promote/prod/core")
        assert changed == {
            variables_path("core", "prod"): f'# tag: {second_tag}\ncore_image = "{again.image}"\n'
        }
        assert again.image.endswith(second)
        assert ("POST", "/repos/tradeloop/infra/pulls") in github.calls
        assert ("PATCH", f"/repos/tradeloop/infra/pulls/{first.pull_number}") in github.calls

    def test_refuses_an_image_built_from_another_branch(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        tag, _ = _build(registry, github, prefix, "core", ref="refs/heads/feature")
        with pytest.raises(PromotionRefused, match="built from refs/heads/feature"):
            _promote(github, "core", tag)
        assert github.repo(INFRA).pulls == []

    def test_refuses_an_image_never_deployed_to_staging(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        tag, _ = _build(registry, github, prefix, "core", staged=False)
        with pytest.raises(PromotionRefused, match="not deployed to staging first"):
            _promote(github, "core", tag)
        assert not any(method != "GET" for method, _ in github.calls)

    def test_refuses_when_the_staging_deployment_failed(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        tag, digest = _build(registry, github, prefix, "core", staged=False)
        github.add_deployment(
            "tradeloop/core-api", environment="staging", sha=tag, digest=digest, state="failure"
        )
        with pytest.raises(PromotionRefused, match="not deployed to staging first"):
            _promote(github, "core", tag)

    def test_refuses_an_unknown_tag(
        self, registry: LocalRegistry, github: GitHubStub, prefix: str
    ) -> None:
        _build(registry, github, prefix, "core")
        with pytest.raises(PromotionRefused, match="manifests/no-such-tag"):
            _promote(github, "core", "no-such-tag")

    def test_refuses_an_unknown_service(self, github: GitHubStub) -> None:
        with pytest.raises(PromotionRefused, match="unknown service 'billing'"):
            _promote(github, "billing", "v1")
