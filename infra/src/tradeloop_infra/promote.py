"""Promote one service's image to prod: the digest of a tag, by a pull request in infra.

    promote SERVICE TAG --env prod

The tag is resolved to its digest in the registry the prod variables file already
names. The promotion is refused unless the image records that it was built from main
(manifest annotations or image labels `org.opencontainers.image.revision` and
`dev.tradeloop.ref`) and the service repository has a successful GitHub deployment of
that commit to `staging` whose payload names that digest (the deploy-staging pipeline
records both). The pull request changes only `terraform/envs/prod/<service>.auto.tfvars`;
a later promotion of the same service updates the same pull request.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass

import httpx

from tradeloop_infra.github import GitHub, GitHubError
from tradeloop_infra.registry import Registry, RegistryError

# Service name to the repository that builds it.
SERVICES = {
    "edge": "edge-bff",
    "core": "core-api",
    "workers": "workers",
    "web": "web-ui",
    "ai": "ai-coach",
}
MAIN = "main"
MAIN_REF = "refs/heads/main"
TAG_COMMENT = "# tag: "


class PromotionRefused(Exception):
    """The image may not go to prod (or the tools around it failed); the message says why."""


@dataclass(frozen=True)
class Promotion:
    """What a promotion did: the image it proposed and the pull request that proposes it."""

    image: str
    pull_number: int
    pull_url: str
    updated: bool


@dataclass(frozen=True)
class Settings:
    """Where the promotion reads and writes."""

    infra_repo: str
    github_api_url: str
    github_token: str
    registry_scheme: str = "https"
    registry_credentials: tuple[str, str] | None = None

    @property
    def owner(self) -> str:
        return self.infra_repo.split("/")[0]


def variables_path(service: str, env: str) -> str:
    """The one file a promotion of `service` to `env` changes."""
    return f"terraform/envs/{env}/{service}.auto.tfvars"


def promote(
    service: str, tag: str, env: str, settings: Settings, client: httpx.Client
) -> Promotion:
    """Open or update the pull request that runs `service`'s image `tag` in `env`.

    Raises PromotionRefused when the service is unknown, the tag is missing, the image
    was not built from main or not deployed to staging first, or GitHub refuses a call.
    """
    if service not in SERVICES:
        raise PromotionRefused(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    github = GitHub(settings.github_api_url, settings.github_token, client)
    path = variables_path(service, env)
    try:
        base = github.branch_head(settings.infra_repo, MAIN)
        if base is None:
            raise PromotionRefused(f"{settings.infra_repo} has no {MAIN} branch")
        text, blob_sha = github.read_file(settings.infra_repo, path, base)
        repository = _image_repository(service, text, path)
        host, _, name = repository.partition("/")
        registry = Registry(
            f"{settings.registry_scheme}://{host}", client, settings.registry_credentials
        )
        digest = registry.resolve(name, tag)
        _check_built_from_main(registry, name, tag, digest)
        revision = registry.provenance(name, digest).revision
        assert revision is not None
        _check_deployed_to_staging(
            github, f"{settings.owner}/{SERVICES[service]}", revision, digest
        )
        image = f"{repository}@{digest}"
        branch = f"promote/{env}/{service}"
        title = f"{service}: promote {tag} to {env}"
        body = (
            f"Runs `{image}` in {env}.\n\n"
            f"Tag `{tag}`, built from {MAIN} at `{revision}` and deployed to staging first.\n"
            f"Changes only `{path}`."
        )
        github.put_branch(settings.infra_repo, branch, base)
        github.write_file(
            settings.infra_repo,
            path,
            branch=branch,
            text=variables_text(service, image, tag),
            blob_sha=blob_sha,
            message=title,
        )
        existing = github.open_pull(settings.infra_repo, branch, MAIN)
        if existing is None:
            pull = github.create_pull(
                settings.infra_repo, branch=branch, base=MAIN, title=title, body=body
            )
        else:
            pull = github.update_pull(
                settings.infra_repo, int(existing["number"]), title=title, body=body
            )
    except (GitHubError, RegistryError) as error:
        raise PromotionRefused(str(error)) from error
    return Promotion(
        image=image,
        pull_number=int(pull["number"]),
        pull_url=str(pull["html_url"]),
        updated=existing is not None,
    )


def _image_repository(service: str, text: str, path: str) -> str:
    match = re.search(rf'^{service}_image\s*=\s*"([^"@]+)@sha256:[0-9a-f]{{64}}"', text, re.M)
    if match is None:
        raise PromotionRefused(f"{path} does not set {service}_image to a digest")
    return match.group(1)


def variables_text(service: str, image: str, tag: str) -> str:
    """The whole variables file: the image, and the tag it came from for release markers."""
    return f'{TAG_COMMENT}{tag}\n{service}_image = "{image}"\n'


def _check_built_from_main(registry: Registry, name: str, tag: str, digest: str) -> None:
    provenance = registry.provenance(name, digest)
    if provenance.revision is None:
        raise PromotionRefused(
            f"{name}:{tag} records no revision; it was not built by the pipeline"
        )
    if provenance.ref != MAIN_REF:
        built_from = provenance.ref or "an unrecorded ref"
        raise PromotionRefused(f"{name}:{tag} was built from {built_from}, not {MAIN}")


def _check_deployed_to_staging(github: GitHub, repo: str, revision: str, digest: str) -> None:
    deployments = github.successful_deployments(repo, "staging", revision)
    if not any((d.get("payload") or {}).get("digest") == digest for d in deployments):
        raise PromotionRefused(
            f"{digest} of {repo} at {revision} was not deployed to staging first"
        )


def main(argv: list[str] | None = None) -> int:
    """The `promote` command: 0 with the pull request's address, 1 with the reason it refused."""
    parser = argparse.ArgumentParser(prog="promote", description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("tag", help="the image tag to promote, e.g. the commit sha")
    parser.add_argument("--env", choices=["prod"], required=True)
    parser.add_argument(
        "--infra-repo", default=os.environ.get("PROMOTE_INFRA_REPO", "tradeloop/infra")
    )
    parser.add_argument(
        "--registry-scheme",
        choices=["https", "http"],
        default=os.environ.get("PROMOTE_REGISTRY_SCHEME", "https"),
    )
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        parser.error("GITHUB_TOKEN must hold a token that may open pull requests in infra")
    username, password = os.environ.get("REGISTRY_USERNAME"), os.environ.get("REGISTRY_PASSWORD")
    settings = Settings(
        infra_repo=args.infra_repo,
        github_api_url=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        github_token=token,
        registry_scheme=args.registry_scheme,
        registry_credentials=(username, password) if username and password else None,
    )
    with httpx.Client(timeout=30) as client:
        try:
            promotion = promote(args.service, args.tag, args.env, settings, client)
        except PromotionRefused as error:
            sys.stderr.write(f"promote: refused: {error}\n")
            return 1
    verb = "updated" if promotion.updated else "opened"
    sys.stdout.write(f"{verb} {promotion.pull_url} for {promotion.image}\n")
    return 0
