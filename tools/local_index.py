"""Serve `contracts/releases/` as the local package index at a fixed address.

Services pin `tradeloop-contracts==X.Y.Z` from a named index whose URL is this
address, so their lock files hold the same URL on every machine. A folder path
would be written into the lock files as an absolute path.

    python3 tools/local_index.py start   # idempotent; returns once it answers
    python3 tools/local_index.py stop
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "contracts" / "releases"
HOST, PORT = "127.0.0.1", 3141
URL = f"http://{HOST}:{PORT}/"
PID_FILE = ROOT / ".data" / "local-index.pid"


def is_serving() -> bool:
    """True when something answers the index address with our release listing."""
    try:
        with urllib.request.urlopen(URL, timeout=1) as response:
            return b"tradeloop_contracts-" in response.read()
    except OSError:
        return False


def start() -> int:
    if is_serving():
        return 0
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(PORT), "--bind", HOST, "--directory", RELEASES],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    PID_FILE.write_text(str(process.pid))
    for _ in range(100):
        if is_serving():
            return 0
        time.sleep(0.05)
    sys.stderr.write(f"local index did not start on {URL} (is the port taken?)\n")
    return 1


def stop() -> int:
    if PID_FILE.exists():
        try:
            os.kill(int(PID_FILE.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
        PID_FILE.unlink()
    return 0


if __name__ == "__main__":
    commands = {"start": start, "stop": stop}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.stderr.write("usage: local_index.py start|stop\n")
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
