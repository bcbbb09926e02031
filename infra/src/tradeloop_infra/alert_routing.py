"""Alertmanager routing from the repositories' CODEOWNERS: an alert goes to the team that owns
the service named in its `service` label.

Each repository's default owners (the `*` line of its CODEOWNERS) receive the alerts of
that service; anything unrouted goes to infra's owners. Receivers post to Slack, one
channel per team (`#alerts-<team>`), with the webhook address read from a file the
deployment mounts, so no secret sits in the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLACK_URL_FILE = "/etc/alertmanager/slack-webhook-url"


class CodeownersError(ValueError):
    """A CODEOWNERS file names no default owner; the message says which file and line."""


@dataclass(frozen=True)
class Owner:
    """The team that owns a repository by default, as CODEOWNERS spells it."""

    handle: str

    @property
    def receiver(self) -> str:
        """`@tradeloop/edge` → `edge`."""
        return self.handle.rsplit("/", 1)[-1].lstrip("@")


def default_owner(path: Path) -> Owner:
    """The first owner on the last `*` line of a CODEOWNERS file (the last match wins)."""
    found: Owner | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and fields[0] == "*":
            if len(fields) < 2:
                raise CodeownersError(f"{path}: the `*` line names no owner")
            found = Owner(fields[1])
    if found is None:
        raise CodeownersError(f"{path}: no `*` line, so the repository has no default owner")
    return found


def alertmanager_config(owners: Mapping[str, Owner], fallback: Owner) -> dict[str, Any]:
    """The Alertmanager configuration routing `service=<repository>` to its owners.

    Pages repeat every hour until resolved; tickets every twelve hours.
    """
    teams = sorted({owner.receiver for owner in (*owners.values(), fallback)})
    return {
        "global": {"slack_api_url_file": SLACK_URL_FILE, "resolve_timeout": "5m"},
        "route": {
            "receiver": fallback.receiver,
            "group_by": ["alertname", "service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": [
                {
                    "receiver": owner.receiver,
                    "matchers": [f'service="{service}"'],
                    "routes": [{"matchers": ['severity="page"'], "repeat_interval": "1h"}],
                }
                for service, owner in sorted(owners.items())
            ],
        },
        "inhibit_rules": [
            {
                # A page for a service says enough; its tickets for the same alert wait.
                "source_matchers": ['severity="page"'],
                "target_matchers": ['severity="ticket"'],
                "equal": ["service"],
            }
        ],
        "receivers": [
            {
                "name": team,
                "slack_configs": [
                    {
                        "channel": f"#alerts-{team}",
                        "send_resolved": True,
                        "title": "{{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }} "
                        "({{ .CommonLabels.service }})",
                        "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
                        "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}",
                    }
                ],
            }
            for team in teams
        ],
    }
