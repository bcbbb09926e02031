from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grafana_stub import TOKEN, GrafanaStub, serve_grafana
from tradeloop_infra.promote import variables_text
from tradeloop_infra.release_marker import MarkerError, main, read_release

INFRA = Path(__file__).resolve().parent.parent
IMAGE = "europe-docker.pkg.dev/tradeloop-images/services/core"
DIGEST = "sha256:" + "ab" * 32


def _git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repository,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def infra_copy(tmp_path: Path) -> tuple[Path, str]:
    """A git repository holding infra's real prod variables; returns it and its first commit."""
    envs = tmp_path / "terraform" / "envs"
    shutil.copytree(INFRA / "terraform" / "envs" / "prod", envs / "prod")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "prod as it runs")
    return tmp_path, _git(tmp_path, "rev-parse", "HEAD")


@pytest.fixture
def grafana(monkeypatch: pytest.MonkeyPatch) -> Iterator[GrafanaStub]:
    with serve_grafana() as stub:
        monkeypatch.setenv("GRAFANA_URL", stub.url)
        monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
        yield stub


def _merge_promotion(repository: Path, service: str, image: str, tag: str) -> None:
    path = repository / "terraform" / "envs" / "prod" / f"{service}.auto.tfvars"
    path.write_text(variables_text(service, image, tag))
    _git(repository, "commit", "-q", "-am", f"{service}: promote {tag} to prod")


class TestReleaseMarker:
    def test_marks_each_service_whose_image_the_apply_changed(
        self, infra_copy: tuple[Path, str], grafana: GrafanaStub
    ) -> None:
        repository, before = infra_copy
        _merge_promotion(repository, "core", f"{IMAGE}@{DIGEST}", "core-v1.4.0")
        started = time.time() * 1000
        assert main(["--env", "prod", "--since", before, "--repository", str(repository)]) == 0
        [annotation] = grafana.annotations
        assert annotation["tags"] == ["release", "prod", "core-api", "core-v1.4.0"]
        assert DIGEST in annotation["text"]
        assert started - 1000 <= annotation["time"] <= time.time() * 1000

    def test_two_promotions_in_one_apply_give_two_markers(
        self, infra_copy: tuple[Path, str], grafana: GrafanaStub
    ) -> None:
        repository, before = infra_copy
        _merge_promotion(repository, "core", f"{IMAGE}@{DIGEST}", "core-v1.4.0")
        _merge_promotion(repository, "edge", f"{IMAGE}@{DIGEST}", "edge-v2.0.1")
        assert main(["--env", "prod", "--since", before, "--repository", str(repository)]) == 0
        assert sorted(a["tags"][2] for a in grafana.annotations) == ["core-api", "edge-bff"]

    def test_an_apply_that_changes_no_image_marks_nothing(
        self, infra_copy: tuple[Path, str], grafana: GrafanaStub
    ) -> None:
        repository, before = infra_copy
        (repository / "terraform" / "envs" / "prod" / "env.auto.tfvars").write_text("x = 1\n")
        _git(repository, "commit", "-q", "-am", "another setting")
        assert main(["--env", "prod", "--since", before, "--repository", str(repository)]) == 0
        assert grafana.annotations == []

    def test_a_refused_token_fails_without_printing_it(
        self,
        infra_copy: tuple[Path, str],
        grafana: GrafanaStub,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        repository, before = infra_copy
        _merge_promotion(repository, "core", f"{IMAGE}@{DIGEST}", "core-v1.4.0")
        monkeypatch.setenv("GRAFANA_TOKEN", "glsa_wrong-secret")
        assert main(["--env", "prod", "--since", before, "--repository", str(repository)]) == 1
        out = capsys.readouterr()
        assert "Grafana refused the core-api marker: 401" in out.err
        assert "glsa_wrong-secret" not in out.err + out.out
        assert grafana.annotations == []

    @pytest.mark.usefixtures("grafana")
    def test_an_unknown_base_commit_is_named(
        self, infra_copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        repository, _ = infra_copy
        assert main(["--env", "prod", "--since", "0" * 40, "--repository", str(repository)]) == 1
        assert f"git diff {'0' * 40}..HEAD failed" in capsys.readouterr().err


class TestReadRelease:
    def test_a_file_written_by_hand_has_no_recorded_tag(self) -> None:
        release = read_release("web", f'web_image = "{IMAGE}@{DIGEST}"\n', "web.auto.tfvars")
        assert (release.repository, release.digest, release.tag) == ("web-ui", DIGEST, "unrecorded")

    def test_a_tag_instead_of_a_digest_is_refused_with_the_file(self) -> None:
        with pytest.raises(MarkerError, match="prod/ai.auto.tfvars does not set ai_image"):
            read_release("ai", f'ai_image = "{IMAGE}:latest"\n', "prod/ai.auto.tfvars")
