"""The few GitHub REST calls a promotion makes."""

from __future__ import annotations

import base64
from typing import Any

import httpx


class GitHubError(Exception):
    """GitHub refused a call; the message names the call and the status."""


class GitHub:
    """A GitHub REST client for one token."""

    def __init__(self, api_url: str, token: str, client: httpx.Client) -> None:
        self._api = api_url.rstrip("/")
        self._client = client
        self._headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def branch_head(self, repo: str, branch: str) -> str | None:
        """The commit at the tip of `branch`, or None when there is no such branch."""
        response = self._call("GET", f"/repos/{repo}/git/ref/heads/{branch}", allow_404=True)
        return None if response is None else str(response["object"]["sha"])

    def put_branch(self, repo: str, branch: str, sha: str) -> None:
        """Point `branch` at `sha`, creating the branch or moving it (force)."""
        if self.branch_head(repo, branch) is None:
            self._call(
                "POST", f"/repos/{repo}/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha}
            )
        else:
            self._call(
                "PATCH", f"/repos/{repo}/git/refs/heads/{branch}", {"sha": sha, "force": True}
            )

    def read_file(self, repo: str, path: str, ref: str) -> tuple[str, str]:
        """The text of `path` at `ref` and its blob sha; GitHubError when it is missing."""
        body = self._call("GET", f"/repos/{repo}/contents/{path}?ref={ref}")
        assert body is not None
        return base64.b64decode(body["content"]).decode(), str(body["sha"])

    def write_file(
        self, repo: str, path: str, *, branch: str, text: str, blob_sha: str, message: str
    ) -> None:
        """Commit `text` as `path` on `branch`, replacing the blob `blob_sha`."""
        self._call(
            "PUT",
            f"/repos/{repo}/contents/{path}",
            {
                "message": message,
                "content": base64.b64encode(text.encode()).decode(),
                "sha": blob_sha,
                "branch": branch,
            },
        )

    def open_pull(self, repo: str, branch: str, base: str) -> dict[str, Any] | None:
        """The open pull request from `branch` into `base`, if there is one."""
        owner = repo.split("/")[0]
        pulls = self._call(
            "GET", f"/repos/{repo}/pulls?state=open&head={owner}:{branch}&base={base}"
        )
        assert isinstance(pulls, list)
        return pulls[0] if pulls else None

    def create_pull(
        self, repo: str, *, branch: str, base: str, title: str, body: str
    ) -> dict[str, Any]:
        """Open a pull request; the caller gets GitHub's pull object."""
        pull = self._call(
            "POST",
            f"/repos/{repo}/pulls",
            {"head": branch, "base": base, "title": title, "body": body},
        )
        assert isinstance(pull, dict)
        return pull

    def update_pull(self, repo: str, number: int, *, title: str, body: str) -> dict[str, Any]:
        """Retitle and redescribe pull request `number`."""
        pull = self._call("PATCH", f"/repos/{repo}/pulls/{number}", {"title": title, "body": body})
        assert isinstance(pull, dict)
        return pull

    def successful_deployments(self, repo: str, environment: str, sha: str) -> list[dict[str, Any]]:
        """Deployments of commit `sha` to `environment` whose latest status is success."""
        deployments = self._call(
            "GET", f"/repos/{repo}/deployments?environment={environment}&sha={sha}"
        )
        assert isinstance(deployments, list)
        succeeded = []
        for deployment in deployments:
            statuses = self._call("GET", f"/repos/{repo}/deployments/{deployment['id']}/statuses")
            # GitHub lists statuses newest first.
            if isinstance(statuses, list) and statuses and statuses[0]["state"] == "success":
                succeeded.append(deployment)
        return succeeded

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, allow_404: bool = False
    ) -> Any:
        response = self._client.request(method, self._api + path, headers=self._headers, json=body)
        if response.status_code == 404 and allow_404:
            return None
        if response.status_code >= 400:
            raise GitHubError(
                f"{method} {path.split('?')[0]}: GitHub answered {response.status_code}"
            )
        return response.json()
