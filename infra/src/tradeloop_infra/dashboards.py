"""Grafana dashboards, one per service and one system overview, built from the metric names.

Built in code so every service's RED panels are the same panels, and written as JSON to
`observability/dashboards/` (`observability build`), where Grafana's file provisioning
reads them. Every dashboard shows release markers: annotations tagged `release` that the
prod apply posts (see `release_marker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Probes and scrapes are not traffic.
NOT_PROBES = 'route!~"/metrics|/healthz|/readyz"'
WIDTH = 24


@dataclass(frozen=True)
class Panel:
    """One time series (or stat) panel: a title, a unit and its PromQL queries by legend."""

    title: str
    queries: tuple[tuple[str, str], ...]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 12


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = ()


def red_panels(service: str) -> tuple[Panel, ...]:
    """Rate, errors and duration per route of one service's HTTP server."""
    selector = f'service="{service}",{NOT_PROBES}'
    bucket = f"http_request_duration_seconds_bucket{{{selector}}}"
    return (
        Panel(
            "Requests per second by route",
            (
                (
                    "{{method}} {{route}}",
                    "sum by (method, route) "
                    f"(rate(http_requests_total{{{selector}}}[$__rate_interval]))",
                ),
            ),
            unit="reqps",
        ),
        Panel(
            "5xx ratio by route",
            (
                (
                    "{{method}} {{route}}",
                    f'sum by (method, route) (rate(http_requests_total{{{selector},status=~"5.."}}'
                    f"[$__rate_interval])) / sum by (method, route) "
                    f"(rate(http_requests_total{{{selector}}}[$__rate_interval]))",
                ),
            ),
            unit="percentunit",
        ),
        Panel(
            "Latency p50 and p99 by route",
            tuple(
                (
                    f"p{q} {{{{method}}}} {{{{route}}}}",
                    f"histogram_quantile(0.{q}, sum by (method, route, le) "
                    f"(rate({bucket}[$__rate_interval])))",
                )
                for q in (50, 99)
            ),
            unit="s",
        ),
        Panel(
            "Requests in flight",
            (("in flight", f'sum(http_requests_in_flight{{service="{service}"}})'),),
        ),
    )


def _pool_panel(service: str) -> Panel:
    return Panel(
        "Database pool connections",
        (("{{state}}", f'sum by (state) (db_pool_connections{{service="{service}"}})'),),
    )


def _edge_objective_panels() -> tuple[Panel, ...]:
    return (
        Panel(
            "Edge availability, 30 days (objective 99.9 %)",
            (("availability", "1 - slo:edge_errors:ratio_rate30d"),),
            unit="percentunit",
            kind="stat",
            width=6,
        ),
        Panel(
            "Edge availability error budget left",
            (("budget left", "1 - slo:edge_errors:ratio_rate30d / 0.001"),),
            unit="percentunit",
            kind="stat",
            width=6,
        ),
        Panel(
            "Edge requests within 500 ms, 30 days (objective 99 %)",
            (("within 500 ms", "1 - slo:edge_slow:ratio_rate30d"),),
            unit="percentunit",
            kind="stat",
            width=6,
        ),
    )


def _import_objective_panel() -> Panel:
    return Panel(
        "Imports complete within 60 s, 30 days (objective 99 %)",
        (("within 60 s", "1 - slo:imports_late:ratio_rate30d"),),
        unit="percentunit",
        kind="stat",
        width=6,
    )


def _burn_rate_panels() -> tuple[Panel, ...]:
    return (
        Panel(
            "Edge error budget burn rate",
            (
                ("1h", "slo:edge_errors:ratio_rate1h / 0.001"),
                ("6h", "slo:edge_errors:ratio_rate6h / 0.001"),
            ),
        ),
        Panel(
            "Import budget burn rate",
            (
                ("1h", "slo:imports_late:ratio_rate1h / 0.01"),
                ("6h", "slo:imports_late:ratio_rate6h / 0.01"),
            ),
        ),
    )


def _bus_backlog_panels() -> tuple[Panel, ...]:
    return (
        Panel(
            "Bus consumer lag",
            (("{{stream}} / {{group}}", "max by (stream, group) (bus_consumer_lag)"),),
        ),
        Panel(
            "Dead letters",
            (("{{stream}} / {{group}}", "max by (stream, group) (bus_dead_letters)"),),
        ),
    )


def _bus_handler_panels() -> tuple[Panel, ...]:
    return (
        Panel(
            "Handled events per second by outcome",
            (
                (
                    "{{stream}} {{outcome}}",
                    "sum by (stream, outcome) "
                    "(rate(bus_handler_duration_seconds_count[$__rate_interval]))",
                ),
            ),
            unit="ops",
        ),
        Panel(
            "Handler p99 by stream",
            (
                (
                    "{{stream}} / {{group}}",
                    "histogram_quantile(0.99, sum by (stream, group, le) "
                    "(rate(bus_handler_duration_seconds_bucket[$__rate_interval])))",
                ),
            ),
            unit="s",
        ),
    )


def _import_panels() -> tuple[Panel, ...]:
    bucket = "import_duration_seconds_bucket"
    return (
        Panel(
            "Import duration p50 and p99 by format",
            tuple(
                (
                    f"p{q} {{{{format}}}}",
                    f"histogram_quantile(0.{q}, sum by (format, le) "
                    f'(rate({bucket}{{outcome="completed"}}[$__rate_interval])))',
                )
                for q in (50, 99)
            ),
            unit="s",
        ),
        Panel(
            "Imported rows per second",
            (
                (
                    "{{format}} {{outcome}}",
                    "sum by (format, outcome) (rate(import_rows_total[$__rate_interval]))",
                ),
            ),
            unit="rowsps",
        ),
    )


def _imports_by_outcome_panel() -> Panel:
    return Panel(
        "Imports per minute by outcome",
        (("{{outcome}}", "sum by (outcome) (increase(import_duration_seconds_count[1m]))"),),
    )


def _socket_panels(service: str) -> tuple[Panel, ...]:
    return (
        Panel(
            "Open WebSocket connections",
            (("connections", f'sum(ws_connections{{service="{service}"}})'),),
        ),
        Panel(
            "WebSocket messages dropped per second (slow clients)",
            (
                (
                    "dropped",
                    f'sum(rate(ws_send_queue_drops_total{{service="{service}"}}'
                    "[$__rate_interval]))",
                ),
            ),
            unit="ops",
        ),
    )


def _llm_panels() -> tuple[Panel, ...]:
    return (
        Panel(
            "LLM calls per second by outcome",
            (
                (
                    "{{model}} {{outcome}}",
                    "sum by (model, outcome) (rate(llm_requests_total[$__rate_interval]))",
                ),
            ),
            unit="ops",
        ),
        Panel(
            "LLM latency p50 and p99",
            tuple(
                (
                    f"p{q} {{{{model}}}}",
                    f"histogram_quantile(0.{q}, sum by (model, le) "
                    "(rate(llm_request_duration_seconds_bucket[$__rate_interval])))",
                )
                for q in (50, 99)
            ),
            unit="s",
        ),
    )


def _system_panels() -> tuple[Panel, ...]:
    traffic = f"http_requests_total{{{NOT_PROBES}}}"
    return (
        *_edge_objective_panels(),
        _import_objective_panel(),
        *_burn_rate_panels(),
        Panel(
            "Requests per second by service",
            (
                (
                    "{{service}}",
                    f"sum by (service) (rate({traffic}[$__rate_interval]))",
                ),
            ),
            unit="reqps",
        ),
        Panel(
            "5xx ratio by service",
            (
                (
                    "{{service}}",
                    f'sum by (service) (rate(http_requests_total{{{NOT_PROBES},status=~"5.."}}'
                    f"[$__rate_interval])) / sum by (service) (rate({traffic}[$__rate_interval]))",
                ),
            ),
            unit="percentunit",
        ),
        Panel(
            "Latency p99 by service",
            (
                (
                    "{{service}}",
                    "histogram_quantile(0.99, sum by (service, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{NOT_PROBES}}}"
                    "[$__rate_interval])))",
                ),
            ),
            unit="s",
        ),
        *_bus_backlog_panels(),
        _imports_by_outcome_panel(),
    )


DASHBOARDS = (
    Dashboard(
        "tradeloop-system",
        "Tradeloop: system overview",
        "Objectives and error budgets, traffic, errors and latency of every service, the bus.",
        _system_panels(),
        ("overview",),
    ),
    Dashboard(
        "tradeloop-edge-bff",
        "edge-bff",
        "The front door: RED per route, objectives, WebSockets.",
        (*red_panels("edge-bff"), *_edge_objective_panels(), *_socket_panels("edge-bff")),
    ),
    Dashboard(
        "tradeloop-core-api",
        "core-api",
        "The domain and the database: RED per route and the connection pool.",
        (*red_panels("core-api"), _pool_panel("core-api")),
    ),
    Dashboard(
        "tradeloop-workers",
        "workers",
        "The bus, imports and the health server.",
        (
            *_bus_backlog_panels(),
            *_bus_handler_panels(),
            *_import_panels(),
            _imports_by_outcome_panel(),
            _import_objective_panel(),
            *red_panels("workers"),
        ),
    ),
    Dashboard(
        "tradeloop-ai-coach",
        "ai-coach",
        "Analytics and insights: RED per route and LLM calls when configured.",
        (*red_panels("ai-coach"), *_llm_panels()),
    ),
    Dashboard(
        "tradeloop-web-ui",
        "web-ui",
        "Server-rendered pages: RED per route.",
        red_panels("web-ui"),
    ),
)


def render(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model, panels laid out left to right, top to bottom."""
    panels = []
    x = y = row_height = 0
    for number, panel in enumerate(dashboard.panels, start=1):
        height = 4 if panel.kind == "stat" else 8
        if x + panel.width > WIDTH:
            x, y, row_height = 0, y + row_height, 0
        panels.append(
            {
                "id": number,
                "type": panel.kind,
                "title": panel.title,
                "datasource": DATASOURCE,
                "gridPos": {"h": height, "w": panel.width, "x": x, "y": y},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "options": {},
                "targets": [
                    {
                        "refId": chr(ord("A") + index),
                        "datasource": DATASOURCE,
                        "expr": expr,
                        "legendFormat": legend,
                    }
                    for index, (legend, expr) in enumerate(panel.queries)
                ],
            }
        )
        x += panel.width
        row_height = max(row_height, height)
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["tradeloop", *dashboard.tags],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "utc",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "annotations": {
            "list": [
                {
                    "name": "Releases",
                    "enable": True,
                    "iconColor": "blue",
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "target": {"type": "tags", "tags": ["release"], "matchAny": True},
                }
            ]
        },
        "panels": panels,
    }
