"""JSON bodies that a route reads itself, documented as the contracts model they are.

A route that hands its body to a work process (validated there, off the event loop) takes
the raw bytes, so FastAPI cannot see its model: `json_body` documents the body by
reference to it, and `document_json_bodies` adds that model's schema, and those it
refers to, to the document's components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

_REF_TEMPLATE = "#/components/schemas/{model}"
_MODELS: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` of a route whose JSON body is `model`."""
    _MODELS[model.__name__] = model
    reference = {"$ref": _REF_TEMPLATE.format(model=model.__name__)}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": reference}}}
    }


def document_json_bodies(app: FastAPI) -> None:
    """Makes `app`'s OpenAPI document carry the schemas of the bodies `json_body` named."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            components = generate().setdefault("components", {}).setdefault("schemas", {})
            for name, model in _MODELS.items():
                schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
                # A model FastAPI already documents keeps its entry.
                for referred, definition in schema.pop("$defs", {}).items():
                    components.setdefault(referred, definition)
                components.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
