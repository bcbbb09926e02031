"""Spans as the local OTLP receiver writes them (one JSON object per line), and the
checks the end-to-end suite makes on one trace."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """One finished span: ids in lower-case hex, times in Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    service: str
    start: int
    end: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


def read_spans(path: Path) -> list[Span]:
    """Every span in a receiver's file; a missing file holds none.

    A line that is not a span raises ValueError naming the file and line number.
    """
    if not path.exists():
        return []
    spans = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            spans.append(Span(**json.loads(line)))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a span ({error})") from error
    return spans


def in_trace(spans: list[Span], trace_id: str) -> list[Span]:
    """The spans of one trace, earliest first."""
    return sorted((s for s in spans if s.trace_id == trace_id), key=lambda s: s.start)


def broken_links(trace: list[Span]) -> list[str]:
    """What keeps a trace from being one tree: an empty list when every span's parent is
    in the trace and exactly one span is the root."""
    ids = {span.span_id for span in trace}
    roots = [span for span in trace if span.parent_span_id is None]
    problems = [
        f"{span.service} span {span.name!r} has a parent that is not in the trace"
        for span in trace
        if span.parent_span_id is not None and span.parent_span_id not in ids
    ]
    if len(roots) != 1:
        named = ", ".join(f"{span.service} {span.name!r}" for span in roots)
        problems.append(f"{len(roots)} root spans, not one: {named}")
    return problems


def service_paths(trace: list[Span]) -> set[tuple[str, ...]]:
    """For every span, the services on the way from the root to it, each stretch of
    spans of one service counted once: ("edge-bff", "core-api", "workers", "core-api")
    is an ingest call that a worker made for an upload that came in through the edge."""
    by_id = {span.span_id: span for span in trace}
    paths = set()
    for span in trace:
        path: list[str] = []
        node: Span | None = span
        for _ in trace:  # bounded, should ids ever form a loop
            if node is None:
                break
            if not path or path[-1] != node.service:
                path.append(node.service)
            node = by_id.get(node.parent_span_id or "")
        paths.add(tuple(reversed(path)))
    return paths


def services(trace: list[Span]) -> Counter[str]:
    """How many spans each service contributed."""
    return Counter(span.service for span in trace)


def passes_through(trace: list[Span], route: tuple[str, ...]) -> bool:
    """Whether some span descends, through spans of these services in this order, from
    the root: ("edge-bff", "core-api", "workers") holds for a worker's span under a core
    span under an edge span, other services in between or not."""
    for path in service_paths(trace):
        remaining = iter(path)
        if all(service in remaining for service in route):
            return True
    return False
