"""The model's series on `/metrics`: how each use of it ended, and how long it took.

One request is one use of the model for a trader: a chat reply (all its tool-call
rounds and retries) or a review narration. Its outcome is "ok" when the model's text was
kept, else why the template answered instead: "budget" (the trader's daily budget or the
chat's token budget was used up), "rejected_numbers" (the text cited numbers not in the
results), "empty_answer", "no_tool_call" (a chat answered without asking the analytics),
"too_many_rounds", or the client's error class ("timeout", "unreachable",
"rate_limited", "server_error", "refused", "invalid_answer").
"""

from __future__ import annotations

from tradeloop_contracts.telemetry import counter, histogram

REQUESTS = counter(
    "llm_requests_total",
    "Uses of the language model (chat replies, review narrations) by how they ended.",
    ["model", "outcome"],
)
# Model calls take seconds, and a chat may take several rounds with retries.
DURATION = histogram(
    "llm_request_duration_seconds",
    "Time from the first call to the model to the end of one use of it.",
    ["model"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0),
)


def record_request(model: str, outcome: str, seconds: float | None) -> None:
    """Count one use of the model; `seconds` is None when the model was never called."""
    REQUESTS.labels(model=model, outcome=outcome).inc()
    if seconds is not None:
        DURATION.labels(model=model).observe(seconds)
