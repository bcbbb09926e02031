"""Release markers: after a prod apply, one Grafana annotation per service whose image changed.

    release-marker --env prod --since <commit before the apply>

The services are those whose `terraform/envs/<env>/<service>.auto.tfvars` changed between
`--since` and HEAD in the infra repository; each annotation carries the service, the
digest and the tag the promotion recorded in that file (`# tag: ...`), and is tagged
`release`, so every dashboard draws it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tradeloop_infra.promote import SERVICES, TAG_COMMENT, variables_path

INFRA = Path(__file__).resolve().parents[2]


class MarkerError(Exception):
    """A release could not be read or marked; the message says which and why."""


@dataclass(frozen=True)
class Release:
    """One service's image that went out."""

    service: str
    digest: str
    tag: str

    @property
    def repository(self) -> str:
        return SERVICES[self.service]


def read_release(service: str, text: str, path: str) -> Release:
    """The release a variables file describes; MarkerError when it sets no image digest."""
    image = re.search(rf'^{service}_image\s*=\s*"[^"@]+@(sha256:[0-9a-f]{{64}})"', text, re.M)
    if image is None:
        raise MarkerError(f"{path} does not set {service}_image to a digest")
    tag = next(
        (
            line.removeprefix(TAG_COMMENT).strip()
            for line in text.splitlines()
            if line.startswith(TAG_COMMENT)
        ),
        "unrecorded",
    )
    return Release(service=service, digest=image.group(1), tag=tag)


def changed_releases(repository: Path, env: str, since: str) -> list[Release]:
    """The releases whose variables file changed between `since` and HEAD, by service name."""
    paths = {variables_path(service, env): service for service in sorted(SERVICES)}
    result = subprocess.run(
        ["git", "diff", "--name-only", since, "HEAD", "--", *paths],
        cwd=repository,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise MarkerError(f"git diff {since}..HEAD failed: {result.stderr.strip()}")
    changed = set(result.stdout.split())
    return [
        read_release(service, (repository / path).read_text(encoding="utf-8"), path)
        for path, service in paths.items()
        if path in changed
    ]


def post_annotation(
    client: httpx.Client, grafana_url: str, token: str, release: Release, env: str
) -> int:
    """Posts the release's annotation (now, tagged `release`) and returns Grafana's id for it."""
    response = client.post(
        f"{grafana_url.rstrip('/')}/api/annotations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "time": int(time.time() * 1000),
            "tags": ["release", env, release.repository, release.tag],
            "text": f"{release.repository} {release.tag} ({release.digest}) released to {env}",
        },
    )
    if response.status_code != 200:
        raise MarkerError(
            f"Grafana refused the {release.repository} marker: "
            f"{response.status_code} {response.text[:200]}"
        )
    return int(response.json()["id"])


def main(argv: list[str] | None = None) -> int:
    """The `release-marker` command: 0 once every changed service is marked, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="release-marker", description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=["staging", "prod"], required=True)
    parser.add_argument("--since", required=True, help="the commit before the applied change")
    parser.add_argument("--repository", type=Path, default=INFRA)
    args = parser.parse_args(argv)
    grafana_url, token = os.environ.get("GRAFANA_URL"), os.environ.get("GRAFANA_TOKEN")
    if not grafana_url or not token:
        parser.error("GRAFANA_URL and GRAFANA_TOKEN (a service account token) must be set")
    try:
        releases = changed_releases(args.repository, args.env, args.since)
        with httpx.Client(timeout=30) as client:
            for release in releases:
                post_annotation(client, grafana_url, token, release, args.env)
                sys.stdout.write(f"marked {release.repository} {release.tag} {release.digest}\n")
    except (MarkerError, httpx.HTTPError) as error:
        sys.stderr.write(f"release-marker: {error}\n")
        return 1
    if not releases:
        sys.stdout.write("no image changed; nothing to mark\n")
    return 0
