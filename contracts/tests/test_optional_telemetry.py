import subprocess
import sys
from pathlib import Path

# Runs in a fresh interpreter where the telemetry extra's packages cannot be imported.
WITHOUT_EXTRA = """
import asyncio, sys, uuid
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"opentelemetry", "prometheus_client", "pythonjsonlogger"}:
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Missing())
from tradeloop_contracts import ImportProgressed, make_event
from tradeloop_contracts.bus import _observe, open_bus

async def main():
    bus = open_bus(f"sqlite:///{sys.argv[1]}")
    data = ImportProgressed(user_id=uuid.uuid4(), import_id=uuid.uuid4(), rows_processed=1)
    await bus.publish(make_event("import.progressed.v1", data, source="/test"))
    seen, stop = [], asyncio.Event()
    async def handle(event):
        seen.append(event)
        stop.set()
    await bus.consume(group="g", consumer="c", families=["import"], handler=handle, stop=stop)
    await bus.close()
    print(_observe.ENABLED, len(seen), seen[0].traceparent)

asyncio.run(main())
"""


def test_the_bus_works_without_the_telemetry_extra(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, str(tmp_path / "bus.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stderr == ""
    assert result.stdout.split() == ["False", "1", "None"]
