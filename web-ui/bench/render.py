"""Server render time of the main pages against the stub edge.

Writes one JSON object per line to $BENCH_OUT: {"workload", "size", "items", "unit",
"seconds"}. `size` is the executions of the account whose answers edge sends: a demo
account, and one with 100k executions (as much of it as each page shows). Sizes above
$BENCH_MAX_SIZE are skipped.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from pydantic import AnyHttpUrl
from tradeloop_contracts.telemetry import configure_tracing

from tests.conftest import CSRF_TOKEN, NONCE, SESSION_COOKIE
from tests.demo import DAY, REPORTED_IMPORT, serve_demo
from tests.factories import a_user
from tests.stub_edge import ServerThread, StubEdge
from web_ui.app import SERVICE_NAME, create_app
from web_ui.config import WebSettings

# What edge answers for each account size: trading days in the statistics, positions on a
# list page, executions of the position shown and the price bars of its chart.
ACCOUNTS = {
    200: {"days": 40, "rows": 50, "fills": 4, "bars": 40, "rejected": 2},
    # 100k executions: about four years of trading days, a full page of positions, a
    # position scaled in and out 400 times over 2,000 one-minute bars and an import that
    # refused 1,000 rows.
    100_000: {"days": 1_000, "rows": 50, "fills": 400, "bars": 2_000, "rejected": 1_000},
}
RUNS = 5


def main() -> None:
    # Client, web-ui and the stub share one process; a short switch interval keeps GIL
    # hand-offs between their threads from adding milliseconds to every request.
    sys.setswitchinterval(0.0001)
    out = Path(os.environ.get("BENCH_OUT", "bench/results/web-ui.jsonl"))
    out.parent.mkdir(parents=True, exist_ok=True)
    max_size = int(os.environ.get("BENCH_MAX_SIZE", "100000"))
    # As `web-ui serve` runs by default: spans recorded (ids reach logs and edge), none exported.
    configure_tracing(SERVICE_NAME)
    edge = StubEdge()
    stub = ServerThread(edge.app())
    stub.start()
    web = ServerThread(create_app(WebSettings(edge_url=AnyHttpUrl(stub.url))))
    web.start()
    headers = {
        "accept": "text/html",
        "x-csp-nonce": NONCE,
        "x-csrf-token": CSRF_TOKEN,
        "cookie": SESSION_COOKIE,
    }
    try:
        with (
            httpx.Client(base_url=web.url, headers=headers) as client,
            out.open("a") as sink,
        ):
            for size, shape in ACCOUNTS.items():
                if size > max_size:
                    continue
                edge.reset()
                edge.answer("GET", "/api/v1/me", a_user())
                position = serve_demo(edge, **shape)
                pages = {
                    "dashboard page": "/",
                    "day page": f"/days/{DAY}",
                    "trades page": "/trades",
                    "position page": f"/positions/{position}",
                    "journal page": f"/journal?month={DAY[:7]}",
                    "journal day page": f"/journal/{DAY}",
                    "imports page": "/imports",
                    "import report page": f"/imports/{REPORTED_IMPORT}",
                    "plan page": "/plan",
                    "coach page": "/coach",
                    "settings page": "/settings",
                    "broker connections page": "/settings/brokers",
                }
                for workload, path in pages.items():
                    client.get(path).raise_for_status()  # warm-up
                    seconds = []
                    for _ in range(RUNS):
                        started = time.perf_counter()
                        client.get(path).raise_for_status()
                        seconds.append(time.perf_counter() - started)
                    record = {
                        "workload": workload,
                        "size": size,
                        "items": 1,
                        "unit": "requests",
                        "seconds": seconds,
                    }
                    sink.write(json.dumps(record) + "\n")
                    median = statistics.median(seconds) * 1000
                    print(f"{workload:24} {size:>7} executions: median {median:6.1f} ms")  # noqa: T201
    finally:
        web.stop()
        stub.stop()


if __name__ == "__main__":
    main()
