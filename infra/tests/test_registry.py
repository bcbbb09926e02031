from __future__ import annotations

import uuid

import httpx
import pytest

from tests.local_registry import USER, LocalRegistry
from tradeloop_infra.registry import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Provenance,
    Registry,
    RegistryError,
)


def _name() -> str:
    return f"services/test-{uuid.uuid4().hex[:8]}"


class TestRegistry:
    @pytest.mark.parametrize("media_type", MANIFEST_TYPES)
    def test_resolves_a_tag_of_every_manifest_kind_to_its_digest(
        self, registry: LocalRegistry, media_type: str
    ) -> None:
        name = _name()
        pushed = registry.push(name, "v1", media_type=media_type)
        with httpx.Client() as client:
            assert Registry(registry.url, client, USER).resolve(name, "v1") == pushed

    def test_follows_the_token_challenge_with_the_credentials(
        self, registry: LocalRegistry
    ) -> None:
        name = _name()
        registry.push(name, "v1", media_type=OCI_MANIFEST)
        with httpx.Client() as client:
            Registry(registry.url, client, USER).resolve(name, "v1")
        assert f"repository:{name}:pull" in registry.token_requests

    def test_refuses_without_the_token_service_accepting_the_credentials(
        self, registry: LocalRegistry
    ) -> None:
        name = _name()
        registry.push(name, "v1", media_type=OCI_MANIFEST)
        with httpx.Client() as client, pytest.raises(RegistryError, match="token service"):
            Registry(registry.url, client, ("promoter", "wrong")).resolve(name, "v1")

    def test_an_unknown_tag_is_an_error_naming_it(self, registry: LocalRegistry) -> None:
        name = _name()
        registry.push(name, "v1", media_type=OCI_MANIFEST)
        with httpx.Client() as client, pytest.raises(RegistryError, match="manifests/v2"):
            Registry(registry.url, client, USER).resolve(name, "v2")

    def test_reads_provenance_from_index_annotations(self, registry: LocalRegistry) -> None:
        name = _name()
        digest = registry.push(
            name,
            "v1",
            media_type=OCI_INDEX,
            annotations={"org.opencontainers.image.revision": "abc", "dev.tradeloop.ref": "x"},
        )
        with httpx.Client() as client:
            found = Registry(registry.url, client, USER).provenance(name, digest)
        assert found == Provenance(revision="abc", ref="x")

    def test_reads_provenance_from_docker_image_labels(self, registry: LocalRegistry) -> None:
        name = _name()
        digest = registry.push(
            name,
            "v1",
            media_type=DOCKER_MANIFEST,
            labels={"org.opencontainers.image.revision": "def", "dev.tradeloop.ref": "y"},
        )
        with httpx.Client() as client:
            found = Registry(registry.url, client, USER).provenance(name, digest)
        assert found == Provenance(revision="def", ref="y")

    def test_an_index_without_annotations_records_nothing(self, registry: LocalRegistry) -> None:
        name = _name()
        digest = registry.push(name, "v1", media_type=DOCKER_LIST)
        with httpx.Client() as client:
            found = Registry(registry.url, client, USER).provenance(name, digest)
        assert found == Provenance(revision=None, ref=None)
