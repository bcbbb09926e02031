"""Alert rules, dashboards and alert routing: checked by Prometheus' and Alertmanager's own
tools (`promtool`, `amtool`, Debian's prometheus and prometheus-alertmanager packages,
installed by `make unit` when missing) and against the metric names the services expose."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tradeloop_infra.alert_routing import CodeownersError, default_owner
from tradeloop_infra.dashboards import DASHBOARDS
from tradeloop_infra.observability import dashboard_files, routing_file
from tradeloop_infra.promote import SERVICES

INFRA = Path(__file__).resolve().parent.parent
ROOT = INFRA.parent
OBSERVABILITY = INFRA / "observability"
RULE_FILES = sorted((OBSERVABILITY / "rules").glob("*.rules.yml"))
REPOSITORIES = sorted(SERVICES.values())
# In the monorepo the service folders sit beside infra; alone, infra checks what it holds.
PRESENT = [r for r in REPOSITORIES if (ROOT / r / "CODEOWNERS").exists()]
# The series the services expose (tradeloop_contracts.telemetry and the services' own).
METRICS = {
    "http_requests_total",
    "http_requests_in_flight",
    "db_pool_connections",
    "bus_consumer_lag",
    "bus_dead_letters",
    "import_rows_total",
    "ws_connections",
    "ws_send_queue_drops_total",
    "llm_requests_total",
}
HISTOGRAMS = {
    "http_request_duration_seconds",
    "bus_handler_duration_seconds",
    "import_duration_seconds",
    "llm_request_duration_seconds",
}
PROMQL_WORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
}
RUNBOOK = re.compile(
    r"^https://github\.com/tradeloop/(?P<repo>[^/]+)/blob/main/docs/runbook\.md#(?P<anchor>[a-z0-9-]+)$"
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, f"{name} is missing: `make unit` installs it with apt-get"
    return found


def _rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _dashboard_exprs() -> list[str]:
    return [
        target["expr"]
        for path in sorted((OBSERVABILITY / "dashboards").glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]


def series_names(expr: str) -> set[str]:
    """The series an expression reads: what remains once matchers, groupings, strings,
    durations, functions and keywords are taken out."""
    stripped = re.sub(r'"[^"]*"', "", expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", stripped)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", stripped))
    return names - PROMQL_WORDS


def _slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def _runbook_anchors(repository: str) -> set[str]:
    text = (ROOT / repository / "docs" / "runbook.md").read_text(encoding="utf-8")
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


class TestAlertRules:
    def test_pass_promtool_check(self) -> None:
        result = subprocess.run(
            [_tool("promtool"), "check", "rules", *map(str, RULE_FILES)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_burn_rate_and_operations_unit_tests_pass(self) -> None:
        tests = sorted((OBSERVABILITY / "rules" / "tests").glob("*.test.yml"))
        assert {t.name for t in tests} >= {"slo.test.yml", "operations.test.yml"}
        result = subprocess.run(
            [_tool("promtool"), "test", "rules", *map(str, tests)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_burn_rates_compare_a_long_and_a_short_window(self) -> None:
        burns = [a for a in _alerts() if "slo" in a.get("labels", {})]
        assert {a["labels"]["slo"] for a in burns} == {
            "edge-availability",
            "edge-latency",
            "import-completion",
        }
        for alert in burns:
            windows = set(re.findall(r"ratio_rate(\w+)", alert["expr"]))
            assert windows in ({"1h", "5m"}, {"6h", "30m"}), alert["alert"]

    def test_read_only_series_the_services_expose_or_rules_record(self) -> None:
        recorded = {rule["record"] for rule in _rules() if "record" in rule}
        known = (
            METRICS
            | {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "count", "sum")}
            | recorded
        )
        for expr in [rule["expr"] for rule in _rules()] + _dashboard_exprs():
            unknown = {name for name in series_names(expr) if not name.startswith("__")}
            assert unknown <= known, (unknown - known, expr)

    def test_every_alert_names_a_severity_and_an_owner(self) -> None:
        for alert in _alerts():
            labels = alert.get("labels", {})
            assert labels.get("severity") in {"page", "ticket"}, alert["alert"]
            owner = labels.get("service")
            if owner is None:
                assert re.search(r"\bby \(service\)", alert["expr"]), alert["alert"]
            else:
                assert owner in REPOSITORIES, alert["alert"]

    @pytest.mark.parametrize("repository", PRESENT)
    def test_every_runbook_link_reaches_a_heading_of_the_owners_runbook(
        self, repository: str
    ) -> None:
        anchors = _runbook_anchors(repository)
        linked = 0
        for alert in _alerts():
            url = alert["annotations"]["runbook_url"].replace("{{ $labels.service }}", repository)
            match = RUNBOOK.match(url)
            assert match is not None, (alert["alert"], url)
            if match["repo"] == repository:
                assert match["anchor"] in anchors, (alert["alert"], match["anchor"])
                linked += 1
        assert linked > 0


class TestDashboards:
    def test_one_per_service_and_a_system_overview(self) -> None:
        uids = {path.stem for path in (OBSERVABILITY / "dashboards").glob("*.json")}
        assert uids == {f"tradeloop-{r}" for r in REPOSITORIES} | {"tradeloop-system"}

    @pytest.mark.parametrize("dashboard", [d.uid for d in DASHBOARDS])
    def test_validates_against_the_dashboard_schema(self, dashboard: str) -> None:
        schema = json.loads((OBSERVABILITY / "dashboard.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        model = json.loads((OBSERVABILITY / "dashboards" / f"{dashboard}.json").read_text())
        jsonschema.Draft202012Validator(schema).validate(model)
        ids = [panel["id"] for panel in model["panels"]]
        assert len(ids) == len(set(ids))
        assert any(a["target"]["tags"] == ["release"] for a in model["annotations"]["list"]), (
            "release markers are drawn"
        )

    def test_the_schema_refuses_a_panel_without_queries(self) -> None:
        schema = json.loads((OBSERVABILITY / "dashboard.schema.json").read_text())
        model = json.loads((OBSERVABILITY / "dashboards" / "tradeloop-web-ui.json").read_text())
        model["panels"][0]["targets"] = []
        with pytest.raises(jsonschema.ValidationError, match="should be non-empty"):
            jsonschema.Draft202012Validator(schema).validate(model)

    def test_each_service_dashboard_shows_its_own_requests(self) -> None:
        for repository in REPOSITORIES:
            model = json.loads(
                (OBSERVABILITY / "dashboards" / f"tradeloop-{repository}.json").read_text()
            )
            exprs = [t["expr"] for p in model["panels"] for t in p["targets"]]
            assert any(f'http_requests_total{{service="{repository}"' in e for e in exprs)


class TestGeneratedFiles:
    def test_committed_dashboards_are_what_observability_build_writes(self) -> None:
        for relative, text in dashboard_files().items():
            assert (INFRA / relative).read_text() == text, f"{relative}: run `observability build`"

    @pytest.mark.parametrize("repository", PRESENT)
    def test_committed_routing_is_what_observability_build_writes(self, repository: str) -> None:
        relative, text = routing_file(ROOT)
        assert (INFRA / relative).read_text() == text, f"{relative}: run `observability build`"
        assert f'service="{repository}"' in text


class TestAlertRouting:
    def _route(self, *labels: str) -> str:
        result = subprocess.run(
            [
                _tool("amtool"),
                "config",
                "routes",
                "test",
                f"--config.file={OBSERVABILITY / 'alertmanager.yml'}",
                *labels,
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def test_alertmanager_accepts_the_configuration(self) -> None:
        result = subprocess.run(
            [_tool("amtool"), "check-config", str(OBSERVABILITY / "alertmanager.yml")],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("repository", PRESENT)
    def test_a_services_alerts_reach_its_codeowners(self, repository: str) -> None:
        owner = default_owner(ROOT / repository / "CODEOWNERS")
        for severity in ("page", "ticket"):
            assert self._route(f"service={repository}", f"severity={severity}") == owner.receiver

    def test_every_alert_with_a_fixed_owner_reaches_that_owner(self) -> None:
        for alert in _alerts():
            service = alert["labels"].get("service")
            if service in PRESENT:
                expected = default_owner(ROOT / service / "CODEOWNERS").receiver
                assert self._route(f"service={service}") == expected, alert["alert"]

    def test_alerts_of_no_known_service_reach_the_platform_team(self) -> None:
        assert self._route("service=unknown") == default_owner(INFRA / "CODEOWNERS").receiver


class TestCodeowners:
    def test_the_last_catch_all_line_wins(self, tmp_path: Path) -> None:
        path = tmp_path / "CODEOWNERS"
        path.write_text("* @tradeloop/old\n/docs/ @tradeloop/docs\n*  @tradeloop/new @someone\n")
        assert default_owner(path).receiver == "new"

    def test_a_file_without_a_catch_all_says_so(self, tmp_path: Path) -> None:
        path = tmp_path / "CODEOWNERS"
        path.write_text("/src/ @tradeloop/core\n")
        with pytest.raises(CodeownersError, match="no `\\*` line"):
            default_owner(path)
