"""Smoke load: N traders for M seconds against a running Tradeloop; fails above thresholds.

    python -m e2e.load [--users N] [--seconds M] [--base-url URL]

Each simulated trader signs up (edge allows `EDGE_RATE_LIMIT_AUTH_PER_MINUTE` sign-ups
a minute from one address, 10 by default), then, with a pause between requests, opens
the dashboard, lists positions, and now and then uploads a small broker file, with the
session cookie and CSRF token a browser would send. Locust runs in this process as
a library; the run prints one JSON line (requests, error rate over every request, p50
and p99 in ms over the traffic after sign-up, the same per request) and exits 1 when the
error rate or a percentile is above its threshold, or when nothing ran.
Locust patches the standard library with gevent when imported, which is why the test
runs this module in its own process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import gevent
from gevent.resolver.blocking import Resolver as BlockingResolver
from locust import HttpUser, between, task
from locust.env import Environment
from locust.stats import StatsEntry

PASSWORD = "correct-horse-battery-9"
STOP_SECONDS = 30.0
# Setting a trader up is not the traffic the thresholds judge (signing up hashes a password).
SETUP = {"signup", "accounts"}
SETTINGS = {
    "users": ("LOAD_USERS", 5, "simulated traders"),
    "seconds": ("LOAD_SECONDS", 10, "how long they keep going after all have started"),
    "spawn_rate": ("LOAD_SPAWN_RATE", 5.0, "traders started per second"),
    "max_p50_ms": ("LOAD_MAX_P50_MS", 500.0, "highest acceptable median response time"),
    "max_p99_ms": ("LOAD_MAX_P99_MS", 3000.0, "highest acceptable 99th percentile"),
    "max_error_rate": ("LOAD_MAX_ERROR_RATE", 0.01, "highest acceptable share of failures"),
}
_executions = itertools.count()


def _executions_csv() -> bytes:
    """Two round trips with execution ids no other upload uses, so each import adds fills."""
    run = uuid.uuid4().hex[:12]
    lines = ["Time,Symbol,Side,Quantity,Price,Commission,Execution ID"]
    for trip in range(2):
        n = next(_executions)
        minute = n % 50
        lines.append(f"2026-09-01T10:{minute:02d}:00-04:00,AAPL,BUY,10,180.00,1.00,{run}-{trip}-o")
        lines.append(
            f"2026-09-01T10:{minute + 5:02d}:00-04:00,AAPL,SELL,10,181.25,1.00,{run}-{trip}-c"
        )
    return ("\n".join(lines) + "\n").encode()


class Trader(HttpUser):
    """One trader using the API the way the web pages and the mobile app do."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        # One auth call per trader: edge limits them per client IP, and a load run comes
        # from one address. The session works like a browser's: cookie plus CSRF token.
        self.account_id: str | None = None
        credentials = {"email": f"load-{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
        with self.client.post(
            "/api/v1/auth/signup", json=credentials, name="signup", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"signup answered {response.status_code}")
                return
            # The `__Host-` cookie is Secure; plain-HTTP clients keep it but would not send it.
            session = "; ".join(f"{c.name}={c.value}" for c in response.cookies)
            self.client.cookies.clear()
            self.client.headers["Cookie"] = session
            self.client.headers["X-CSRF-Token"] = response.headers["X-CSRF-Token"]
        accounts = self.client.get("/api/v1/accounts", name="accounts")
        items = accounts.json().get("items", []) if accounts.status_code == 200 else []
        self.account_id = items[0]["id"] if items else None

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/api/v1/dashboard", name="dashboard")

    @task(4)
    def positions(self) -> None:
        self.client.get("/api/v1/positions?limit=50", name="positions")

    @task(1)
    def upload(self) -> None:
        if self.account_id is None:
            return
        self.client.post(
            "/api/v1/imports",
            files={"file": ("executions.csv", _executions_csv(), "text/csv")},
            data={"account_id": self.account_id},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="import",
        )


@dataclass(frozen=True)
class Summary:
    """What a run measured; `problems` is empty when it stayed within the thresholds."""

    users: int
    seconds: float
    requests: int
    failures: int
    error_rate: float
    p50_ms: float
    p99_ms: float
    requests_per_second: float
    by_request: dict[str, dict[str, float]]
    problems: list[str]


def run(base_url: str, settings: dict[str, Any]) -> Summary:
    """Runs the load and judges it against the thresholds in `settings`."""
    # gevent's default resolver sends "localhost" to DNS and can wait seconds for an
    # answer, which would be measured; the system's resolver reads /etc/hosts at once.
    # (The type stubs declare the hub's resolver as AbstractResolver; this one is duck-typed.)
    gevent.get_hub().resolver = BlockingResolver()  # type: ignore[assignment]
    # At the end each trader finishes the request it is making, so a slow one is
    # measured rather than cut off; STOP_SECONDS bounds that wait.
    environment = Environment(
        user_classes=[Trader], host=base_url.rstrip("/"), stop_timeout=STOP_SECONDS
    )
    runner = environment.create_local_runner()
    users = int(settings["users"])
    ramp = users / float(settings["spawn_rate"])
    runner.start(users, spawn_rate=float(settings["spawn_rate"]))
    gevent.spawn_later(ramp + float(settings["seconds"]), runner.quit)
    runner.greenlet.join()
    total = environment.stats.total
    traffic = StatsEntry(environment.stats, "traffic", "")
    for entry in environment.stats.entries.values():
        if entry.name not in SETUP:
            traffic.extend(entry)
    requests = total.num_requests
    error_rate = total.fail_ratio
    p50 = float(traffic.get_response_time_percentile(0.5) or 0)
    p99 = float(traffic.get_response_time_percentile(0.99) or 0)
    problems = []
    if requests == 0:
        problems.append("no request was made")
    if error_rate > settings["max_error_rate"]:
        errors = sorted(
            f"{e.method} {e.name}: {e.error}" for e in environment.stats.errors.values()
        )
        problems.append(
            f"error rate {error_rate:.2%} above {settings['max_error_rate']:.2%}: {errors[:5]}"
        )
    if p50 > settings["max_p50_ms"]:
        problems.append(f"p50 {p50:.0f} ms above {settings['max_p50_ms']:.0f} ms")
    if p99 > settings["max_p99_ms"]:
        problems.append(f"p99 {p99:.0f} ms above {settings['max_p99_ms']:.0f} ms")
    return Summary(
        users=users,
        seconds=float(settings["seconds"]),
        requests=requests,
        failures=total.num_failures,
        error_rate=round(error_rate, 4),
        p50_ms=p50,
        p99_ms=p99,
        requests_per_second=round(total.total_rps, 2),
        by_request={
            f"{entry.method} {entry.name}": {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": float(entry.get_response_time_percentile(0.5) or 0),
                "p99_ms": float(entry.get_response_time_percentile(0.99) or 0),
            }
            for entry in sorted(environment.stats.entries.values(), key=lambda e: e.name)
        },
        problems=problems,
    )


def main(argv: list[str] | None = None) -> int:
    """0 when the run stayed within every threshold, 1 otherwise; the summary goes to stdout."""
    parser = argparse.ArgumentParser(prog="e2e.load", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", default=os.environ.get("E2E_BASE_URL", "http://localhost:8000")
    )
    for name, (variable, default, meaning) in SETTINGS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=type(default),
            default=type(default)(os.environ.get(variable, default)),
            help=f"{meaning} (${variable}, default {default})",
        )
    args = parser.parse_args(argv)
    summary = run(args.base_url, vars(args))
    sys.stdout.write(json.dumps(asdict(summary)) + "\n")
    for problem in summary.problems:
        sys.stderr.write(f"load: {problem}\n")
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
