"""Every body core sends or takes is a tradeloop_contracts model, except those listed here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tradeloop_contracts
from fastapi import FastAPI
from pydantic import BaseModel

CONTRACT_MODELS = {
    name
    for name in tradeloop_contracts.__all__
    if isinstance(getattr(tradeloop_contracts, name), type)
    and issubclass(getattr(tradeloop_contracts, name), BaseModel)
}

# (method, path, "request" or "response") → why that body is not a contracts model.
EXCEPTIONS = {
    ("get", "/healthz", "response"): "liveness probe, {status}; not part of the API contract",
    ("get", "/readyz", "response"): "readiness probe, {status}; not part of the API contract",
    ("get", "/.well-known/jwks.json", "response"): "an RFC 7517 JWK Set, a standard shape",
    ("post", "/v1/imports", "request"): "multipart upload: the file plus ImportOptions fields",
    ("get", "/v1/export", "response"): "a zip archive; manifest.json inside is ArchiveManifest",
    ("post", "/v1/import-archive", "request"): "multipart upload of one archive",
    **{
        (method, f"{owner}/attachments{tail}", which): reason
        for owner in ("/v1/positions/{owner_id}", "/v1/journal/entries/{owner_id}")
        for method, tail, which, reason in (
            ("post", "", "request", "multipart upload of one picture"),
            ("get", "/{attachment_id}", "response", "the picture's bytes"),
            ("get", "/{attachment_id}/thumbnail", "response", "the thumbnail's bytes"),
        )
    },
}


def body_name(schema: dict[str, Any]) -> str | None:
    """The model a body schema names, by $ref or title."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    title = schema.get("title")
    return title if isinstance(title, str) else None


def bodies(document: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    """(method, path, which, model name) for every JSON or form body of every route."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            request = operation.get("requestBody", {}).get("content", {})
            for content in request.values():
                found.append((method, path, "request", body_name(content["schema"])))
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                for content in response.get("content", {}).values():
                    found.append((method, path, "response", body_name(content.get("schema", {}))))
    return found


class TestOpenApiAgainstContracts:
    def test_every_body_is_a_contracts_model_or_a_listed_exception(self, app: FastAPI) -> None:
        strays = [
            (method, path, which, name)
            for method, path, which, name in bodies(app.openapi())
            if name not in CONTRACT_MODELS and (method, path, which) not in EXCEPTIONS
        ]
        assert strays == []

    def test_every_exception_is_still_needed(self, app: FastAPI) -> None:
        seen = {
            (method, path, which)
            for method, path, which, name in bodies(app.openapi())
            if name not in CONTRACT_MODELS
        }
        assert set(EXCEPTIONS) <= seen


def references(node: Any) -> Iterator[str]:
    """Every `$ref` anywhere under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


class TestBodiesReadRaw:
    def test_the_execution_batch_is_documented_by_its_contracts_model(self, app: FastAPI) -> None:
        operation = app.openapi()["paths"]["/internal/users/{user_id}/executions/batch"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ExecutionBatch"}

    def test_every_reference_in_the_document_resolves(self, app: FastAPI) -> None:
        document = app.openapi()
        schemas = document["components"]["schemas"]
        missing = {
            ref
            for ref in references(document)
            if ref.rsplit("/", 1)[-1] not in schemas or not ref.startswith("#/components/schemas/")
        }
        assert missing == set()
