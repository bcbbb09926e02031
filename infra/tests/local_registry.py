"""A real Docker distribution registry (Debian's docker-registry) behind token auth.

The registry runs on a free port with its own storage and config; a small token
service signs the tokens it trusts. Images are pushed over the HTTP API.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REGISTRY_BINARY = "/usr/bin/docker-registry"
SERVICE = "tradeloop-test-registry"
ISSUER = "tradeloop-test-tokens"
USER = ("promoter", "promoter-secret")


def ensure_registry_installed() -> None:
    """Install Debian's docker-registry package when it is missing."""
    if shutil.which("docker-registry") or Path(REGISTRY_BINARY).exists():
        return
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker-registry"],
        check=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TokenIssuer:
    """Signs registry tokens with a self-signed certificate the registry trusts."""

    def __init__(self, folder: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = folder / "tokens.pem"
        self.bundle.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def token(self, scope: str) -> str:
        kind, name, actions = scope.split(":")
        now = int(time.time())
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return jwt.encode(
            {
                "iss": ISSUER,
                "sub": USER[0],
                "aud": SERVICE,
                "iat": now,
                "nbf": now - 10,
                "exp": now + 300,
                "jti": uuid.uuid4().hex,
                "access": [{"type": kind, "name": name, "actions": actions.split(",")}],
            },
            self.key,
            algorithm="ES256",
            headers={"x5c": [base64.b64encode(der).decode()]},
        )


@dataclass
class LocalRegistry:
    """A running registry: `host` is what image names start with."""

    host: str
    issuer: TokenIssuer
    token_requests: list[str]

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def push(
        self,
        name: str,
        tag: str,
        *,
        media_type: str,
        annotations: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> str:
        """Push a one-layer image (or an index of one) under `tag`; returns its digest."""
        headers = {"Authorization": f"Bearer {self.issuer.token(f'repository:{name}:pull,push')}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
            config = json.dumps(
                {"architecture": "amd64", "os": "linux", "config": {"Labels": labels or {}}}
            ).encode()
            layer = uuid.uuid4().bytes * 8
            docker = media_type.startswith("application/vnd.docker")
            manifest: dict[str, Any] = {
                "schemaVersion": 2,
                "mediaType": media_type,
                "config": self._blob(client, name, config, "config", docker),
                "layers": [self._blob(client, name, layer, "layer", docker)],
            }
            if media_type.endswith(("index.v1+json", "list.v2+json")):
                image_type = (
                    "application/vnd.docker.distribution.manifest.v2+json"
                    if docker
                    else "application/vnd.oci.image.manifest.v1+json"
                )
                child = {**manifest, "mediaType": image_type}
                child_digest = self._manifest(client, name, child, image_type, None)
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": media_type,
                    "manifests": [
                        {
                            "mediaType": image_type,
                            "digest": child_digest,
                            "size": len(json.dumps(child).encode()),
                            "platform": {"architecture": "amd64", "os": "linux"},
                        }
                    ],
                }
            if annotations:
                manifest["annotations"] = annotations
            return self._manifest(client, name, manifest, media_type, tag)

    @staticmethod
    def _blob(
        client: httpx.Client, name: str, data: bytes, kind: str, docker: bool
    ) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = client.post(f"/v2/{name}/blobs/uploads/")
        started.raise_for_status()
        location = started.headers["Location"]
        separator = "&" if "?" in location else "?"
        client.put(
            f"{location}{separator}digest={digest}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        ).raise_for_status()
        if docker:
            media = {
                "config": "application/vnd.docker.container.image.v1+json",
                "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            }[kind]
        else:
            media = {
                "config": "application/vnd.oci.image.config.v1+json",
                "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
            }[kind]
        return {"mediaType": media, "digest": digest, "size": len(data)}

    @staticmethod
    def _manifest(
        client: httpx.Client, name: str, manifest: dict[str, Any], media_type: str, tag: str | None
    ) -> str:
        body = json.dumps(manifest).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        client.put(
            f"/v2/{name}/manifests/{tag or digest}",
            content=body,
            headers={"Content-Type": media_type},
        ).raise_for_status()
        return digest


@contextmanager
def run_registry(folder: Path) -> Iterator[LocalRegistry]:
    """Start the token service and the registry; stop both when the block ends."""
    ensure_registry_installed()
    issuer = TokenIssuer(folder)
    token_requests: list[str] = []

    class TokenHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            expected = "Basic " + base64.b64encode(":".join(USER).encode()).decode()
            token_requests.append(query.get("scope", ""))
            if self.headers.get("Authorization") != expected or query.get("service") != SERVICE:
                self.send_response(401)
                self.end_headers()
                return
            data = json.dumps({"token": issuer.token(query["scope"])}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the requests are recorded in token_requests."""

    tokens = ThreadingHTTPServer(("127.0.0.1", 0), TokenHandler)
    threading.Thread(target=tokens.serve_forever, daemon=True).start()
    port = _free_port()
    config = folder / "config.yml"
    config.write_text(
        json.dumps(  # JSON is YAML; the registry reads either.
            {
                "version": 0.1,
                "log": {"level": "error"},
                "storage": {"filesystem": {"rootdirectory": str(folder / "storage")}},
                "http": {"addr": f"127.0.0.1:{port}"},
                "auth": {
                    "token": {
                        "realm": f"http://127.0.0.1:{tokens.server_address[1]}/token",
                        "service": SERVICE,
                        "issuer": ISSUER,
                        "rootcertbundle": str(issuer.bundle),
                    }
                },
            }
        )
    )
    log = (folder / "registry.log").open("w")
    process = subprocess.Popen(
        [shutil.which("docker-registry") or REGISTRY_BINARY, "serve", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the registry did not start: " + (folder / "registry.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield LocalRegistry(host=f"127.0.0.1:{port}", issuer=issuer, token_requests=token_requests)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        tokens.shutdown()
        tokens.server_close()
