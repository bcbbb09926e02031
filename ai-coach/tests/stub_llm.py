"""A stand-in OpenAI-compatible server: `POST /chat/completions` answering from a script.

The bodies are the shapes OpenAI's Chat Completions API returns (a plain answer, tool
calls with JSON-string arguments, the `error` object of a 429 or 500), so the client is
tested against what the real API sends. Each request takes the next scripted reply and
is recorded with its headers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

USAGE = {
    "prompt_tokens": 412,
    "completion_tokens": 38,
    "total_tokens": 450,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": USAGE,
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }


def text_reply(content: str) -> dict[str, Any]:
    """A plain assistant answer."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": None,
        "annotations": [],
    }
    return _completion(message, "stop")


def tool_call_reply(
    arguments: dict[str, Any] | str, name: str = "analytics_query"
) -> dict[str, Any]:
    """An assistant message calling one tool; a str is sent as the raw arguments."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_Qe0TbPcUhTc1vB4zqQ1eIIpU",
                "type": "function",
                "function": {"name": name, "arguments": raw},
            }
        ],
        "refusal": None,
        "annotations": [],
    }
    return _completion(message, "tool_calls")


RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for gpt-4o-mini in organization org-x on requests per "
        "min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
SERVER_ERROR = {
    "error": {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": None,
        "code": None,
    }
}


@dataclass
class Scripted:
    """One reply: status, JSON body and how long to wait before sending it."""

    body: dict[str, Any]
    status: int = 200
    delay_seconds: float = 0.0


@dataclass
class StubLlm:
    """Replies in script order; `requests` holds each request's JSON body and headers."""

    script: list[Scripted] = field(default_factory=list)
    requests: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            self.requests.append((await request.json(), dict(request.headers)))
            if not self.script:
                return JSONResponse(SERVER_ERROR, status_code=500)
            reply = self.script.pop(0)
            await asyncio.sleep(reply.delay_seconds)
            return JSONResponse(reply.body, status_code=reply.status)

        return app
