"""The client of edge-bff's `/api/v1` API, acting as the browser whose request is served."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, SecretStr, ValidationError
from tradeloop_contracts import Problem, RequestBody

from web_ui.browser import BrowserContext

ModelT = TypeVar("ModelT", bound=BaseModel)


class EdgeError(Exception):
    """edge did not give the answer a page needs."""


class EdgeUnauthorizedError(EdgeError):
    """edge answered 401: the browser has no valid session."""


class EdgeNotFoundError(EdgeError):
    """edge answered 404: the thing does not exist or is another trader's."""


class EdgeUnavailableError(EdgeError):
    """edge could not be reached, answered 5xx, or sent a body that is not its contract."""


class EdgeProblemError(EdgeError):
    """edge refused the request with an RFC 9457 problem (4xx other than 401 and 404)."""

    def __init__(self, problem: Problem, body: bytes = b"") -> None:
        super().__init__(problem.title)
        self.problem = problem
        # The problem as sent, for pages that read a richer problem type from it.
        self.body = body


def request_json(body: RequestBody, *, only_set: bool = False) -> dict[str, Any]:
    """The JSON object of a request body, with secrets (passwords) written out in clear.

    With `only_set`, fields the body was not given are left out: a PATCH changes exactly
    the fields it sends, so an unset field must not travel as `null`."""
    data = body.model_dump(mode="json", exclude_unset=only_set)
    for name in data:
        value = getattr(body, name)
        if isinstance(value, SecretStr):
            data[name] = value.get_secret_value()
    return data


def parse(response: httpx.Response, model: type[ModelT]) -> ModelT:
    """The response body as `model`; EdgeUnavailableError when it does not match."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise EdgeUnavailableError(f"edge sent a body that is not a {model.__name__}") from exc


def _problem_of(response: httpx.Response) -> Problem:
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return Problem(
            title=response.reason_phrase or "Request refused", status=response.status_code
        )


def _raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    if response.status_code == 401:
        raise EdgeUnauthorizedError(path)
    if response.status_code == 404:
        raise EdgeNotFoundError(path)
    if response.status_code >= 500:
        raise EdgeUnavailableError(f"edge answered {response.status_code} to {method} {path}")
    if response.status_code >= 400:
        raise EdgeProblemError(_problem_of(response), response.content)


class EdgeClient:
    """Calls edge's API with the browser's cookie and CSRF token; every answer is checked."""

    def __init__(
        self, http: httpx.AsyncClient, upload_timeout_seconds: float, probe: httpx.AsyncClient
    ) -> None:
        self._http = http
        self._upload_timeout = upload_timeout_seconds
        self._probe = probe

    async def send(
        self,
        browser: BrowserContext,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        content: AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """edge's successful answer to one call.

        Raises EdgeUnauthorizedError (401), EdgeNotFoundError (404), EdgeProblemError
        (other 4xx) and EdgeUnavailableError (unreachable, timeout or 5xx).
        """
        outgoing = {"accept": "application/json", **browser.forwarded, **(headers or {})}
        if method != "GET":
            # edge deduplicates unsafe calls by this key; a browser retry brings its own.
            outgoing.setdefault("idempotency-key", str(uuid.uuid4()))
        else:
            outgoing.pop("idempotency-key", None)
        try:
            response = await self._http.request(
                method,
                path,
                params=params,
                json=request_json(body, only_set=method == "PATCH") if body is not None else None,
                content=content,
                headers=outgoing,
                timeout=self._upload_timeout if content is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as exc:
            raise EdgeUnavailableError(f"edge did not answer {method} {path}") from exc
        _raise_for_status(response, method, path)
        return response

    async def stream(
        self, browser: BrowserContext, path: str, *, accept: str = "*/*"
    ) -> httpx.Response:
        """edge's successful answer to `GET path` with its body still to come: read it with
        `aiter_bytes()` and `aclose()` it. Raises as `send` does."""
        outgoing = {**browser.forwarded, "accept": accept}
        outgoing.pop("idempotency-key", None)
        request = self._http.build_request("GET", path, headers=outgoing)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise EdgeUnavailableError(f"edge did not answer GET {path}") from exc
        if response.status_code >= 400:
            try:
                await response.aread()
            except httpx.TransportError as exc:
                raise EdgeUnavailableError(f"edge broke off its answer to GET {path}") from exc
            finally:
                await response.aclose()
            _raise_for_status(response, "GET", path)
        return response

    async def get(
        self,
        browser: BrowserContext,
        path: str,
        model: type[ModelT],
        params: Mapping[str, str] | None = None,
    ) -> ModelT:
        """edge's answer to `GET path` as `model`; raises as `send` does."""
        return parse(await self.send(browser, "GET", path, params=params), model)

    async def is_ready(self) -> bool:
        """True when edge answers its health check."""
        try:
            response = await self._probe.get("/healthz", timeout=2.0)
        except httpx.TransportError:
            return False
        return response.status_code == 200


def edge_client(request: Request) -> EdgeClient:
    """The app's edge client."""
    client: EdgeClient = request.app.state.edge
    return client


Edge = Annotated[EdgeClient, Depends(edge_client)]


def download(answer: httpx.Response, media_type: str) -> StreamingResponse:
    """edge's streamed answer (from `EdgeClient.stream`) passed on chunk by chunk as a file
    to save, never shown in the page's origin whatever it holds."""
    disposition = answer.headers.get("content-disposition", "")
    headers = {
        "content-disposition": disposition
        if disposition.startswith("attachment")
        else "attachment",
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
    }
    if "content-encoding" not in answer.headers and (
        length := answer.headers.get("content-length")
    ):
        headers["content-length"] = length

    async def chunks() -> AsyncIterator[bytes]:
        # Closed however the download ends, the browser going away included.
        try:
            async for chunk in answer.aiter_bytes():
                yield chunk
        finally:
            await answer.aclose()

    return StreamingResponse(chunks(), media_type=media_type, headers=headers)
