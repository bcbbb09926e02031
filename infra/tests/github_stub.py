"""A local stand-in for the part of GitHub's REST API a promotion uses; it records calls."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def blob_sha(text: str) -> str:
    return hashlib.sha1(f"blob {len(text.encode())}\0{text}".encode()).hexdigest()


@dataclass
class Repository:
    """Commits as whole file maps, branches as names of commits."""

    commits: dict[str, dict[str, str]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)

    def commit(self, branch: str, files: dict[str, str]) -> str:
        sha = hashlib.sha1(json.dumps([branch, files, len(self.commits)]).encode()).hexdigest()
        self.commits[sha] = dict(files)
        self.branches[branch] = sha
        return sha

    def files_at(self, ref: str) -> dict[str, str] | None:
        return self.commits.get(self.branches.get(ref, ref))


@dataclass
class GitHubStub:
    """State of every repository and the list of calls, in order, as (method, path)."""

    url: str = ""
    repositories: dict[str, Repository] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def repo(self, name: str) -> Repository:
        return self.repositories.setdefault(name, Repository())

    def add_deployment(
        self, repo: str, *, environment: str, sha: str, digest: str, state: str
    ) -> None:
        deployments = self.repo(repo).deployments
        deployments.append(
            {
                "id": len(deployments) + 1,
                "environment": environment,
                "sha": sha,
                "payload": {"digest": digest},
                "statuses": [{"state": state}],
            }
        )

    def handle(self, method: str, target: str, body: Any) -> tuple[int, Any]:
        split = urlsplit(target)
        query = {key: values[0] for key, values in parse_qs(split.query).items()}
        parts = split.path.strip("/").split("/")
        with self.lock:
            self.calls.append((method, split.path))
            if parts[0] != "repos" or len(parts) < 4:
                return 404, {"message": "Not Found"}
            repo = self.repo(f"{parts[1]}/{parts[2]}")
            return self._route(repo, method, parts[3:], query, body)

    def _route(
        self, repo: Repository, method: str, rest: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        match method, rest:
            case "GET", ["git", "ref", "heads", *branch]:
                sha = repo.branches.get("/".join(branch))
                if sha is None:
                    return 404, {"message": "Not Found"}
                return 200, {"ref": f"refs/heads/{'/'.join(branch)}", "object": {"sha": sha}}
            case "POST", ["git", "refs"]:
                branch = body["ref"].removeprefix("refs/heads/")
                if branch in repo.branches:
                    return 422, {"message": "Reference already exists"}
                repo.branches[branch] = body["sha"]
                return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}
            case "PATCH", ["git", "refs", "heads", *branch]:
                repo.branches["/".join(branch)] = body["sha"]
                return 200, {"object": {"sha": body["sha"]}}
            case "GET", ["contents", *path]:
                files = repo.files_at(query.get("ref", "main"))
                text = None if files is None else files.get("/".join(path))
                if text is None:
                    return 404, {"message": "Not Found"}
                content = base64.b64encode(text.encode()).decode()
                return 200, {"content": content, "sha": blob_sha(text)}
            case "PUT", ["contents", *path]:
                files = dict(repo.files_at(body["branch"]) or {})
                name = "/".join(path)
                if name in files and blob_sha(files[name]) != body.get("sha"):
                    return 409, {"message": "sha does not match"}
                files[name] = base64.b64decode(body["content"]).decode()
                return 200, {"commit": {"sha": repo.commit(body["branch"], files)}}
            case "GET", ["pulls"]:
                head = query.get("head", "").split(":")[-1]
                found = [
                    p
                    for p in repo.pulls
                    if p["state"] == query.get("state", "open") and (not head or p["head"] == head)
                ]
                return 200, found
            case "POST", ["pulls"]:
                number = len(repo.pulls) + 1
                pull = {
                    **body,
                    "number": number,
                    "state": "open",
                    "html_url": f"https://github.example/pull/{number}",
                }
                repo.pulls.append(pull)
                return 201, pull
            case "PATCH", ["pulls", number]:
                pull = repo.pulls[int(number) - 1]
                pull.update(body)
                return 200, pull
            case "GET", ["deployments"]:
                found = [
                    {key: value for key, value in d.items() if key != "statuses"}
                    for d in repo.deployments
                    if d["environment"] == query.get("environment") and d["sha"] == query.get("sha")
                ]
                return 200, found
            case "GET", ["deployments", deployment_id, "statuses"]:
                return 200, list(reversed(repo.deployments[int(deployment_id) - 1]["statuses"]))
        return 404, {"message": "Not Found"}


@contextmanager
def serve_github() -> Iterator[GitHubStub]:
    """A GitHubStub listening on a free local port until the block ends."""
    stub = GitHubStub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("Authorization") != "Bearer test-token":
                status, body = 401, {"message": "Bad credentials"}
            else:
                status, body = stub.handle(
                    self.command, self.path, json.loads(raw) if raw else None
                )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded calls are what the tests read."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
