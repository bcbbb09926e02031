"""Read images from an OCI distribution registry: tag to digest, and how a digest was built."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Where the image records the commit and the branch it was built from (set by the
# service's deploy-staging pipeline, as manifest annotations or image labels).
REVISION_KEY = "org.opencontainers.image.revision"
REF_KEY = "dev.tradeloop.ref"


class RegistryError(Exception):
    """The registry refused, or answered something that is not an image."""


@dataclass(frozen=True)
class Provenance:
    """The commit and the git ref an image was built from, as the image records them."""

    revision: str | None
    ref: str | None


class Registry:
    """A client of one registry, following its Bearer token challenge when it sends one."""

    def __init__(
        self,
        base_url: str,
        client: httpx.Client,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = client
        self._credentials = credentials
        self._tokens: dict[str, str] = {}

    def resolve(self, name: str, tag: str) -> str:
        """The digest `name:tag` points at; RegistryError when the tag is unknown.

        Uses the registry's Docker-Content-Digest header, else hashes the manifest body.
        """
        path = f"/v2/{name}/manifests/{tag}"
        response = self._request("HEAD", path, name)
        digest: str | None = response.headers.get("Docker-Content-Digest")
        if digest is None:
            response = self._request("GET", path, name)
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        if not DIGEST.match(digest):
            raise RegistryError(f"{name}:{tag}: the registry answered digest {digest!r}")
        return digest

    def provenance(self, name: str, digest: str) -> Provenance:
        """Where the image was built from: its manifest annotations, else its config labels."""
        response = self._request("GET", f"/v2/{name}/manifests/{digest}", name)
        if "sha256:" + hashlib.sha256(response.content).hexdigest() != digest:
            raise RegistryError(f"{name}@{digest}: the manifest does not match its digest")
        manifest = _json_object(response.content, f"{name}@{digest}")
        recorded: dict[str, Any] = dict(manifest.get("annotations") or {})
        config = manifest.get("config")
        if REVISION_KEY not in recorded and isinstance(config, dict) and "digest" in config:
            blob = self._request("GET", f"/v2/{name}/blobs/{config['digest']}", name)
            image = _json_object(blob.content, f"{name} config {config['digest']}")
            recorded.update((image.get("config") or {}).get("Labels") or {})
        revision, ref = recorded.get(REVISION_KEY), recorded.get(REF_KEY)
        return Provenance(
            revision=revision if isinstance(revision, str) else None,
            ref=ref if isinstance(ref, str) else None,
        )

    def _request(self, method: str, path: str, name: str) -> httpx.Response:
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        if name in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[name]}"
        response = self._client.request(method, self._base_url + path, headers=headers)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and challenge.lower().startswith("bearer "):
            self._tokens[name] = self._token(challenge)
            headers["Authorization"] = f"Bearer {self._tokens[name]}"
            response = self._client.request(method, self._base_url + path, headers=headers)
        if response.status_code == 404:
            raise RegistryError(f"{method} {path}: not found in the registry")
        if response.status_code >= 400:
            raise RegistryError(f"{method} {path}: the registry answered {response.status_code}")
        return response

    def _token(self, challenge: str) -> str:
        """A token from the realm the challenge names, for the service and scope it names."""
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if realm is None:
            raise RegistryError(f"the registry's challenge names no realm: {challenge!r}")
        response = self._client.get(realm, params=params, auth=self._credentials)
        if response.status_code != 200:
            raise RegistryError(f"the token service answered {response.status_code}")
        body = _json_object(response.content, "the token service's answer")
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str):
            raise RegistryError("the token service answered no token")
        return token


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError as error:
        raise RegistryError(f"{what} is not JSON") from error
    if not isinstance(value, dict):
        raise RegistryError(f"{what} is not a JSON object")
    return value
